"""The sandbox card processor as the tests run it: a real ``python -m cardsandbox`` process.

``start_processor(tmp_dir, **env)`` starts one on a free loopback port with its own var dir
and waits until it answers; ``CardProcessor`` talks to it (API calls, paying on the hosted
page with a test card, the webhook knobs) and stops it. The ``card_processor`` fixture in
``tests/conftest.py`` keeps one per test session (per xdist worker); ``start_card_processor``
starts one with its own settings (a tiny TTL, say).
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

SRC = Path(__file__).resolve().parents[1] / "src"
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class CardProcessor:
    base_url: str
    api_key: str
    webhook_secrets: list[str]
    var_dir: Path
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        # A new connection per call: this client lives for the whole session, and a pooled
        # connection gunicorn closes after its 2 s keep-alive can be reset under the next call.
        self.client = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=10,
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    # ------------------------------------------------------------ the API, raw
    def api(self, method: str, path: str, *, key: str = "", **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if key:
            headers["Idempotency-Key"] = key
        return self.client.request(method, path, headers=headers, **kwargs)

    def create(self, *, amount: int = 1234, reference: str = "", **extra: Any) -> dict[str, Any]:
        reference = reference or f"att_{secrets.token_hex(6)}"
        body = {
            "reference": reference,
            "amount": amount,
            "currency": "USD",
            "return_url": "http://127.0.0.1:9/checkout/return/",
        } | extra
        response = self.api("POST", "/v1/payments", key=reference, json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def get(self, payment_id: str) -> dict[str, Any]:
        response = self.api("GET", f"/v1/payments/{payment_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def events(self, payment_id: str) -> list[dict[str, Any]]:
        response = self.api("GET", "/v1/events", params={"payment": payment_id})
        return list(response.json()["data"])

    def webhook_mode(self, mode: str = "normal", *, delay: float = 1.0, url: str = "") -> None:
        response = self.api(
            "POST", "/v1/test/webhook-mode", json={"mode": mode, "delay": delay, "url": url}
        )
        assert response.status_code == 200, response.text

    # ------------------------------------------------------------ the hosted page
    def page_session(self) -> httpx.Client:
        """A browser-like client (cookies, no API key) on the processor's origin."""
        return httpx.Client(base_url=self.base_url, timeout=10, follow_redirects=False)

    def submit(
        self,
        browser: httpx.Client,
        path: str,
        data: dict[str, str],
    ) -> httpx.Response:
        """GET the page, then POST its form with the CSRF token it carries."""
        page = browser.get(path)
        match = _CSRF.search(page.text)
        assert match, page.text
        return browser.post(
            path,
            data={"csrfmiddlewaretoken": match.group(1), **data},
            headers={"Origin": self.base_url, "Referer": f"{self.base_url}{path}"},
        )

    def pay(
        self,
        payment_id: str,
        *,
        number: str = "4242 4242 4242 4242",
        expiry: str = "12/34",
        cvc: str = "123",
        challenge: str | None = None,
    ) -> httpx.Response:
        """Pay on the hosted page as a customer would; ``challenge`` "complete" or "fail"
        answers a 3-D Secure challenge. Returns the last response (303 to the shop, or the
        page with the decline)."""
        with self.page_session() as browser:
            form = {"name": "Test Buyer", "number": number, "expiry": expiry, "cvc": cvc}
            response = self.submit(browser, f"/pay/{payment_id}", form)
            if challenge is not None and response.status_code == 303:
                location = response.headers["location"]
                if location.endswith("/challenge"):
                    response = self.submit(browser, location, {"result": challenge})
            return response

    # ------------------------------------------------------------ the process
    def stop(self) -> None:
        self.client.close()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path and self.log_path.exists() else ""


def start_processor(var_dir: Path, **env: str) -> CardProcessor:
    """Start ``python -m cardsandbox`` on a free loopback port; returns once it answers."""
    api_key = f"sk_test_{secrets.token_hex(8)}"
    webhook_secrets = [f"whsec_{secrets.token_hex(8)}", f"whsec_{secrets.token_hex(8)}"]
    var_dir.mkdir(parents=True, exist_ok=True)
    log_path = var_dir / "processor.log"
    for _ in range(3):  # another process may take the free port first
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        process_env = (
            {
                key: value
                for key, value in os.environ.items()
                if not key.startswith(("CARDSANDBOX_", "DJANGO_", "BUNGU_"))
            }
            | {
                "PYTHONPATH": str(SRC),
                "PROCESSOR_PORT": str(port),
                "CARDSANDBOX_VAR_DIR": str(var_dir),
                "CARDSANDBOX_API_KEY": api_key,
                "CARDSANDBOX_WEBHOOK_SECRETS": ",".join(webhook_secrets),
                "CARDSANDBOX_WORKERS": "1",
                "CARDSANDBOX_THREADS": "4",
                "CARDSANDBOX_WEBHOOK_BACKOFF": "0.2",
            }
            | env
        )
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "cardsandbox"],
                env=process_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processor = CardProcessor(
            base_url=base_url,
            api_key=api_key,
            webhook_secrets=webhook_secrets,
            var_dir=var_dir,
            process=process,
            log_path=log_path,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                # Our key, so a processor of another test on a reused port does not count.
                answer = processor.client.get("/v1/payments", params={"limit": 1}, timeout=1)
                if answer.status_code == 200 and process.poll() is None:
                    return processor
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        processor.stop()
    raise RuntimeError(f"The sandbox processor did not start:\n{processor.log()}")
