"""Dependencies that fail for real, on loopback: a closed port and a listener that never
answers (the connection is made, then nothing comes back: a hung server)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


def closed_port() -> int:
    """A loopback port nothing listens on (connecting is refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def silent_listener() -> Iterator[int]:
    """A port whose connections the kernel completes but nobody ever reads or answers; on
    exit they are reset, so whatever waited on them fails then."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]
