"""A real SMTP server on loopback for the tests (aiosmtpd), collecting what it receives."""

from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

_LINK = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    # When the server had the whole message (``time.monotonic``), to measure a rate by.
    at: float = field(default_factory=time.monotonic)

    def __getitem__(self, header: str) -> str | None:
        value = self.message[header]
        return None if value is None else str(value)

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return "" if part is None else str(part.get_content())  # type: ignore[attr-defined]

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return "" if part is None else str(part.get_content())  # type: ignore[attr-defined]


@dataclass
class _Collector:
    messages: list[ReceivedMail] = field(default_factory=list)
    # An SMTP reply ("451 4.3.0 Try again later") to give instead of accepting a message.
    refuse_with: str | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.refuse_with:
            return self.refuse_with
        raw = envelope.original_content or b""
        message = message_from_bytes(raw, policy=policy.default)
        self.messages.append(
            ReceivedMail(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                message=message,  # type: ignore[arg-type]
            )
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SMTPTestServer:
    """Start with ``start()``, stop with ``stop()``; ``messages`` lists what arrived."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self._collector = _Collector()
        self.port = free_port()
        self._controller = Controller(self._collector, hostname=self.host, port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    @property
    def messages(self) -> list[ReceivedMail]:
        return self._collector.messages

    @property
    def last(self) -> ReceivedMail:
        if not self.messages:
            raise AssertionError("the SMTP test server has received no message")
        return self.messages[-1]

    def refuse(self, reply: str | None) -> None:
        """Answer every message with this SMTP reply (e.g. "451 4.3.0 Try later"); None
        accepts them again."""
        self._collector.refuse_with = reply

    def find_link(self, containing: str = "") -> str:
        """The first link in the last message's text body whose address contains
        ``containing`` (e.g. "/accounts/confirm-email/")."""
        for link in _LINK.findall(self.last.text):
            if containing in link:
                return str(link)
        raise AssertionError(f"no link containing {containing!r} in: {self.last.text}")
