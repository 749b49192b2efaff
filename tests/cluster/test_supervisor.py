"""The supervisor stops every part it started when one part fails to start (here nginx,
the last: a failure planted in its start), and leaves nothing running or on disk."""

from __future__ import annotations

import pytest

from cluster import Cluster
from cluster.processes import ClusterError, Part, port_open
from tests.cluster import figures


def test_a_part_that_fails_to_start_stops_every_part_started_before_it() -> None:
    attempt = Cluster()
    running: list[Part] = []
    ports: list[int] = []

    def refuse() -> None:
        # The positive control: at this moment every earlier part is up.
        running.extend(attempt.parts.values())
        ports.extend([attempt.redis_port, attempt.processor_port, *(n.port for n in attempt.nodes)])
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
