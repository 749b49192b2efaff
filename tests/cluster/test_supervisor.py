"""The supervisor stops every part it started when one part fails to start (here nginx,
the last: a failure planted in its start), and leaves nothing running or on disk. Once the
cluster runs, a node's part that dies is started again with doubling pauses, and given up on
when it keeps dying; a shared part is never restarted (``cluster/supervisor.py``)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cluster import Cluster
from cluster.processes import ClusterError, Part, port_open, start
from cluster.supervisor import RestartPolicy, Supervisor
from tests.cluster import figures


def test_a_part_that_fails_to_start_stops_every_part_started_before_it() -> None:
    attempt = Cluster()
    running: list[Part] = []
    ports: list[int] = []

    def refuse() -> None:
        # The positive control: at this moment every earlier part is up.
        running.extend(attempt.parts.values())
        ports.extend([attempt.redis_port, attempt.processor_port, *(n.port for n in attempt.nodes)])
        ports.extend(node.metrics_port for node in attempt.nodes)
        assert all(part.alive() for part in running)
        assert all(port_open(port) for port in ports)
        raise ClusterError("nginx refused to start (planted)")

    attempt._start_front = refuse  # type: ignore[method-assign]
    with pytest.raises(ClusterError, match="planted"):
        attempt.start()
    figures.record(
        "(0) supervisor",
        "parts running when a start failed / left after",
        (f"{len(running)} / {sum(part.alive() for part in running)}"),
    )
    assert len(running) >= 8
    assert [part.name for part in running if part.alive()] == []
    assert [port for port in ports if port_open(port)] == []
    assert attempt.parts == {}
    assert not attempt.run_dir.exists()


# ---------------------------------------------------------------- restarts (no cluster needed)
def _dying(name: str, log: Path, *, lives: float = 0.0) -> Part:
    """A part whose process ends by itself after ``lives`` seconds (exit 3)."""
    return start(
        name,
        [sys.executable, "-c", f"import time, sys; time.sleep({lives}); sys.exit(3)"],
        env={},
        log=log,
    )


@pytest.fixture
def parts() -> Iterator[dict[str, Part]]:
    """The parts of a check; whatever still runs at its end is stopped."""
    running: dict[str, Part] = {}
    yield running
    for part in running.values():
        part.stop(timeout=5)


def _supervise(
    tmp_path: Path, parts: dict[str, Part], policy: RestartPolicy, *, lives: float = 0.0
) -> Supervisor:
    """A supervisor of ``parts`` that restarts one as a process living ``lives`` seconds."""

    def restart(name: str) -> Part:
        parts[name].stop(timeout=5)
        parts[name] = _dying(name, tmp_path / f"{name}.log", lives=lives)
        return parts[name]

    return Supervisor(
        parts=lambda: dict(parts), restart=restart, policy=policy, log=tmp_path / "supervisor.log"
    )


def _step_until(supervisor: Supervisor, done: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        supervisor.step()
        time.sleep(0.01)


def test_a_node_that_keeps_dying_is_restarted_with_doubling_pauses_then_given_up(
    tmp_path: Path, parts: dict[str, Part]
) -> None:
    parts["node-b"] = _dying("node-b", tmp_path / "node-b.log")
    policy = RestartPolicy(limit=3, window=60, first_delay=0.05, max_delay=0.15)
    supervisor = _supervise(tmp_path, parts, policy)
    _step_until(supervisor, lambda: supervisor.gave_up is not None)
    log = (tmp_path / "supervisor.log").read_text()
    assert [restart.name for restart in supervisor.restarts] == ["node-b"] * 3
    assert {restart.exit_code for restart in supervisor.restarts} == {3}
    # Each restart logged with its pause: doubling, up to the largest.
    assert [
        line.split(" in ")[1].split(" s ")[0]
        for line in log.splitlines()
        if "restarting it" in line
    ] == ["0.05", "0.1", "0.15"]
    assert log.count("node-b restarted") == 3
    reason = supervisor.why_stop()
    assert reason is not None
    assert reason.startswith("node-b died again (exit 3) after 3 restarts within 60 s")
    # Given up: it stays dead, whatever more looks.
    dead = parts["node-b"]
    for _ in range(5):
        supervisor.step()
    assert parts["node-b"] is dead
    # Started by hand, it has a clean slate again.
    supervisor.forget("node-b")
    assert supervisor.why_stop() is None


def test_restarts_older_than_the_window_do_not_count_toward_the_limit(
    tmp_path: Path, parts: dict[str, Part]
) -> None:
    parts["worker-a"] = _dying("worker-a", tmp_path / "worker-a.log", lives=0.3)
    # Each process lives 0.3 s: never two restarts within 0.2 s of each other.
    policy = RestartPolicy(limit=1, window=0.2, first_delay=0.01, max_delay=0.01)
    supervisor = _supervise(tmp_path, parts, policy, lives=0.3)
    _step_until(supervisor, lambda: len(supervisor.restarts) >= 4, seconds=20)
    assert len(supervisor.restarts) >= 4
    assert supervisor.gave_up is None


def test_a_shared_part_that_dies_is_not_restarted_and_stops_everything(
    tmp_path: Path, parts: dict[str, Part]
) -> None:
    parts["postgres-primary"] = _dying("postgres-primary", tmp_path / "pg.log")
    parts["redis"] = _dying("redis", tmp_path / "redis.log")
    # The positive control: a node's part dead the same way is restarted.
    parts["metrics-a"] = _dying("metrics-a", tmp_path / "metrics-a.log", lives=60)
    parts["metrics-a"].crash()
    for part in parts.values():
        part.process.wait(timeout=30)
    supervisor = _supervise(tmp_path, parts, RestartPolicy(first_delay=0.01), lives=60)
    primary, redis = parts["postgres-primary"], parts["redis"]
    _step_until(supervisor, lambda: bool(supervisor.restarts))
    assert [restart.name for restart in supervisor.restarts] == ["metrics-a"]
    assert parts["metrics-a"].alive()
    assert (parts["postgres-primary"], parts["redis"]) == (primary, redis)
    assert (
        supervisor.why_stop() == "postgres-primary, redis stopped (a shared part is not restarted)"
    )


def test_a_part_stopped_on_purpose_stays_stopped_until_started_by_hand(
    tmp_path: Path, parts: dict[str, Part]
) -> None:
    parts["node-a"] = _dying("node-a", tmp_path / "node-a.log", lives=60)
    parts["worker-a"] = _dying("worker-a", tmp_path / "worker-a.log", lives=60)
    supervisor = _supervise(tmp_path, parts, RestartPolicy(first_delay=0.01), lives=60)
    held = parts["node-a"]
    supervisor.hold("node-a")
    held.stop()
    # The positive control: the worker, crashed and not held, is started again.
    parts["worker-a"].crash()
    parts["worker-a"].process.wait(timeout=30)
    _step_until(supervisor, lambda: bool(supervisor.restarts))
    for _ in range(20):
        supervisor.step()
        time.sleep(0.01)
    assert [restart.name for restart in supervisor.restarts] == ["worker-a"]
    assert parts["node-a"] is held
    assert supervisor.why_stop() is None
    # Started by hand, it is watched again: a crash is restarted.
    parts["node-a"] = _dying("node-a", tmp_path / "node-a.log", lives=60)
    supervisor.forget("node-a")
    parts["node-a"].crash()
    _step_until(supervisor, lambda: len(supervisor.restarts) == 2)
    assert [restart.name for restart in supervisor.restarts] == ["worker-a", "node-a"]
