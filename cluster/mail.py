"""The cluster's SMTP sink: an aiosmtpd server on loopback that keeps every message the
shop's workers deliver, for a person to read in the log and for the checks to find links in.

(The tests' own server, ``tests/smtp.py``, plays refusals too; the supervisor needs only a
sink and keeps out of the tests' package.)"""

from __future__ import annotations

import threading
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from .processes import HOST, free_port


class _Keeper:
    def __init__(self, log: Path) -> None:
        self.log = log
        self.messages: list[Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        message = message_from_bytes(raw, policy=policy.default)
        with self.lock:
            self.messages.append(message)
            with self.log.open("a") as log:
                log.write(f"{message['Date']} to {message['To']}: {message['Subject']}\n")
        return "250 Message accepted for delivery"


class MailSink:
    """``start()``, ``stop()``; ``messages`` holds what arrived, oldest first."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self._keeper = _Keeper(log)
        self._controller = Controller(self._keeper, hostname=HOST, port=self.port)

    @property
    def messages(self) -> list[Message]:
        with self._keeper.lock:
            return list(self._keeper.messages)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
