"""The checks of ``make cluster-test``: one cluster (``cluster/``) for the whole session.

Collected only with ``BUNGU_CLUSTER_TESTS=1``, so ``make test`` never starts a cluster."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest

from cluster import Cluster
from tests.cluster import figures, shop
from tests.cluster.browser import Browser

if os.environ.get("BUNGU_CLUSTER_TESTS") != "1":
    collect_ignore_glob = ["test_*.py"]

# The agents' API allows this many calls a minute per token in the cluster: the rate limit
# that 100 concurrent calls across the nodes must respect exactly.
API_CALLS_PER_MINUTE = 3


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    # CI's time limit ends the run with SIGTERM: as Ctrl-C, so the cluster's teardown runs
    # and stops every part (each runs in a session of its own, out of reach of the signal).
    signal.signal(signal.SIGTERM, _interrupted)
    started = Cluster(
        extra_env={"BUNGU_API_CALLS_PER_MINUTE": str(API_CALLS_PER_MINUTE)},
        say=lambda line: print(f"cluster: {line}", flush=True),  # noqa: T201 - the progress
    )
    with started:
        yield started


@pytest.fixture
def browser(cluster: Cluster) -> Iterator[Browser]:
    person = Browser(cluster)
    yield person
    person.close()


@pytest.fixture
def staff(cluster: Cluster) -> Iterator[Browser]:
    """A browser signed in to the admin as the shop's owner (through the front)."""
    person = Browser(cluster)
    person.sign_in_to_admin("staff@bungu.test", cluster.staff_password)
    yield person
    person.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    lines = figures.table()
    if lines:
        terminalreporter.section("cluster figures")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def stock(cluster: Cluster) -> dict[str, Any]:
    """Four SKUs with a million units each, and one with a single unit (bench's seed)."""
    return shop.shop_state(cluster, "seed", "--plenty", "4", "--stock", "1000000", "--scarce", "1")
