"""Waiting for a message at the real SMTP test server, by its subject."""

from __future__ import annotations

import time
from typing import Any

from tests.e2e.timeouts import MAIL_SECONDS


def mail_about(smtp_server, subject: str, *, timeout: float = MAIL_SECONDS) -> Any:  # type: ignore[no-untyped-def]
    """The e-mail whose subject contains ``subject`` (it is sent just after the commit)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in smtp_server.messages:
            if subject in str(mail["Subject"]):
                return mail
        time.sleep(0.05)
    subjects = [m["Subject"] for m in smtp_server.messages]
    raise AssertionError(f"no mail about {subject!r}: {subjects}")
