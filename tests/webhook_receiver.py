"""A tiny HTTP server on loopback that receives webhooks, for the processor's tests."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """``received`` lists what arrived (failed answers included); ``fail_next(n)`` makes it
    answer 500 to the next ``n`` requests."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.accepted: list[Received] = []
        self._failures = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                item = Received({k.lower(): v for k, v in self.headers.items()}, body)
                with receiver._lock:
                    receiver.received.append(item)
                    failing = receiver._failures > 0
                    if failing:
                        receiver._failures -= 1
                    else:
                        receiver.accepted.append(item)
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/checkout/webhook/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def fail_next(self, count: int) -> None:
        with self._lock:
            self._failures = count

    def wait_for(self, count: int, *, timeout: float = 30.0) -> list[Received]:
        """Wait until ``count`` requests were accepted (answered 200); returns them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.accepted) >= count:
                    return list(self.accepted)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.accepted)} of {count} webhooks arrived in {timeout} s")

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
