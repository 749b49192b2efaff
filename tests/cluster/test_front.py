"""(14) The front's passive checks (cluster/front.py), against nodes that die mid-request:
a GET that a node dropped is passed to the next node; a POST is never passed on, except
"Place order", whose checkout attempt makes a second try safe (the node-loss checks prove
that one order and one charge come of it).

The nodes here are two sockets that read a whole request and drop the connection (a node
killed while it works), so every case is decided: nginx's own config, no shop needed."""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from cluster import front
from cluster.processes import HOST, Part, free_port, port_open, start, wait_until
from tests.cluster import figures


@dataclass
class DyingNode:
    """Accepts, reads one request, notes its first line, and resets the connection."""

    server: socket.socket = field(default_factory=lambda: socket.create_server((HOST, 0)))
    seen: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.server.getsockname()[1])

    def serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    head += chunk
                if head:
                    self.seen.append(head.split(b"\r\n", 1)[0].decode())
                # A reset, not a clean close: as the kernel answers for a killed process.
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return front.make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def dying_front(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> Iterator[tuple[str, list[DyingNode]]]:
    """nginx with this run's config over two dying nodes; a fresh one per check, so no
    node is still marked failed from the check before."""
    tmp_path.chmod(0o755)
    nodes = [DyingNode(), DyingNode()]
    for node in nodes:
        threading.Thread(target=node.serve, daemon=True).start()
    https_port = free_port()
    config = front.write_config(
        tmp_path / "front",
        http_port=free_port(),
        https_port=https_port,
        node_ports=[node.port for node in nodes],
        cert=certificate[0],
        key=certificate[1],
        media=tmp_path / "media",
        static=tmp_path / "static",
    )
    nginx: Part = start("nginx", front.command(config), env={}, log=tmp_path / "nginx.log")
    try:
        wait_until(lambda: port_open(https_port), part=nginx, what="nginx")
        yield f"https://{HOST}:{https_port}", nodes
    finally:
        nginx.stop()
        for node in nodes:
            node.server.close()


def _ask(url: str, certificate: Path, method: str, path: str) -> int:
    with httpx.Client(
        verify=ssl.create_default_context(cafile=str(certificate)), timeout=30
    ) as client:
        body = {"attempt": "a1"} if method == "POST" else None
        return client.request(method, url + path, data=body).status_code


@pytest.mark.parametrize(
    ("method", "path", "nodes_asked"),
    [
        # The positive control of "passed on": the same dead nodes, an idempotent request.
        ("GET", "/brands/", 2),
        ("HEAD", "/brands/", 2),
        ("POST", "/cart/add/1/", 1),
        ("POST", "/checkout/review/", 1),
        ("POST", "/api/v1/orders/", 1),
        ("POST", "/checkout/pay/", 2),
    ],
)
def test_a_request_a_dying_node_took_is_passed_on_only_when_that_is_safe(
    dying_front: tuple[str, list[DyingNode]],
    certificate: tuple[Path, Path],
    method: str,
    path: str,
    nodes_asked: int,
) -> None:
    url, nodes = dying_front
    status = _ask(url, certificate[0], method, path)
    asked = [line for node in nodes for line in node.seen]
    figures.record("(14) front", f"{method} {path}: nodes that got it", len(asked))
    assert status == 502
    assert asked == [f"{method} {path} HTTP/1.1"] * nodes_asked
