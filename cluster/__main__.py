"""``python -m cluster`` (``make cluster``): start the topology, print its addresses, and run
until Ctrl-C or SIGTERM. A node, worker or metrics listener that dies is started again (at
most 5 times a minute, ``cluster/supervisor.py``); a shared part that dies (PostgreSQL, Redis,
nginx, the processor), or a node's part that keeps dying, stops the whole cluster."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from .processes import ClusterError
from .topology import STAFF_EMAIL, Cluster


class Stopped(Exception):  # noqa: N818 - a signal, not a failure
    pass


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signal.Signals(signum).name)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m cluster", description=__doc__)
    parser.add_argument(
        "--run-dir",
        type=Path,
        help="where the parts keep data and logs, kept afterwards (default: a temp dir, removed)",
    )
    options = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    cluster = Cluster(
        run_dir=options.run_dir, say=lambda line: print(f"cluster: {line}", flush=True)
    )
    try:
        cluster.start()
        print(
            f"\nThe shop runs on {cluster.url}/ (three nodes behind nginx; http://127.0.0.1:"
            f"{cluster.http_port}/ redirects there).\n"
            f"Its certificate is self-signed for this run: {cluster.cert}\n"
            f"Back office: {cluster.url}/admin/ as {STAFF_EMAIL} / {cluster.staff_password}\n"
            f"Sandbox processor: {cluster.processor_url}/test-cards\n"
            "Each node's metrics (loopback only, never through nginx):\n"
            + "".join(f"  node {node.name}: {node.metrics_url}\n" for node in cluster.nodes)
            + f"Restarts of nodes, workers and metrics are logged to {cluster.supervisor.log}\n"
            f"Data and logs: {cluster.run_dir} (removed at the end unless given by --run-dir)\n"
            "Ctrl-C stops everything.",
            flush=True,
        )
        while True:
            reason = cluster.supervisor.why_stop()
            if reason is not None:
                print(f"cluster: {reason}\ncluster: stopping everything", file=sys.stderr)
                return 1
            time.sleep(1)
    except Stopped:
        return 0
    except ClusterError as error:
        print(f"cluster: {error}", file=sys.stderr)
        return 1
    finally:
        # Ignore a second Ctrl-C while the parts stop.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cluster.stop()
        print("cluster: stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
