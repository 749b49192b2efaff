"""An SMTP server on loopback that accepts every message, keeps none and counts them: the
campaign scenario's far end. Prints ``PORT <n>`` once listening; on SIGTERM prints
``RECEIVED <count>`` and ``CPU <seconds>`` and exits."""

from __future__ import annotations

import resource
import signal
import socket
import sys
import threading
from typing import Any

from aiosmtpd.controller import Controller


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.count += len(envelope.rcpt_tos)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> int:
    counter = _Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=_free_port())
    controller.start()
    print(f"PORT {controller.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"RECEIVED {counter.count}", flush=True)
    print(f"CPU {usage.ru_utime + usage.ru_stime:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
