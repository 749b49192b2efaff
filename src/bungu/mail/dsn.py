"""Reading returned mail: delivery status notifications (RFC 3464) and complaints (RFC 5965).

Pure parsing with the standard library's ``email`` package, no database: ``read_report``
turns one returned message into what it reports, recipient by recipient. What the shop does
about it (match it to the outbox, suppress the address) is ``bungu.mail.returns``.

What is kept of a report is only what a suppression needs: the address, the status code, a
short diagnostic and the Message-ID of the message it is about; never the returned message
itself (it quotes the customer's mail).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses, parseaddr
from enum import StrEnum

# How much of a diagnostic a suppression keeps: enough to tell "no such user" from "mailbox
# full", not a whole server's essay.
DIAGNOSTIC_LENGTH = 120
# RFC 3464 section 2.3.4: class.subject.detail, the class 2 (success), 4 (persistent
# transient failure) or 5 (permanent failure).
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
# RFC 5965 feedback types that are a complaint about our mail; "not-spam" and "virus" are not.
COMPLAINT_TYPES = frozenset({"abuse", "fraud"})


class Verdict(StrEnum):
    # The address does not take mail: Action failed with a 5.x.x status.
    BOUNCE = "bounce"
    # The person marked the mail as spam (an ARF abuse or fraud report).
    COMPLAINT = "complaint"
    # Not delivered yet, or failed for a reason that may pass (4.x.x, Action delayed).
    TRANSIENT = "transient"
    # A report that asks nothing of us: delivered, relayed, a "not-spam" feedback.
    IGNORED = "ignored"


@dataclass(frozen=True)
class Finding:
    """What a report says about one recipient of one of our messages."""

    verdict: Verdict
    # The addresses the report names for the recipient (final first, then original), in
    # lower case; the outbox decides which, if any, is one we mailed.
    addresses: tuple[str, ...]
    # The Message-ID of the message it is about, from the headers the report quotes; "" when
    # the report quotes none.
    message_id: str
    # "5.1.1", or the feedback type of a complaint ("abuse").
    status: str
    diagnostic: str


class UnreadableReportError(ValueError):
    """Not a delivery status notification or complaint this reader understands; the message
    says why, in words for the person running the command."""


def read_report(message: Message) -> list[Finding]:
    """What a returned message reports, one finding per recipient. Raises UnreadableReportError
    for anything but a readable multipart/report of a delivery-status or feedback-report."""
    content_type = message.get_content_type()
    if content_type != "multipart/report":
        raise UnreadableReportError(f"not a report ({content_type})")
    report_type = str(message.get_param("report-type") or "").lower()
    payload = message.get_payload()
    if not isinstance(payload, list):
        raise UnreadableReportError("a multipart/report without parts")
    parts = [part for part in payload if isinstance(part, Message)]
    message_id = _quoted_message_id(parts)
    if report_type == "delivery-status":
        return _delivery_status(_part(parts, "message/delivery-status"), message_id)
    if report_type == "feedback-report":
        return [_feedback(_part(parts, "message/feedback-report"), parts, message_id)]
    raise UnreadableReportError(f"a report of an unknown type ({report_type or 'none given'})")


def _part(parts: list[Message], content_type: str) -> list[Message]:
    """The header blocks of the report's machine-readable part."""
    for part in parts:
        if part.get_content_type() == content_type:
            blocks = part.get_payload()
            if isinstance(blocks, list):
                return [block for block in blocks if isinstance(block, Message)]
            raise UnreadableReportError(f"its {content_type} part cannot be read")
    raise UnreadableReportError(f"no {content_type} part")


def _original_headers(parts: list[Message]) -> Message | None:
    """The headers of the message the report is about: its third part, a message/rfc822 (the
    whole message) or text/rfc822-headers (its headers only)."""
    for part in parts[1:]:
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return inner[0]
        if part.get_content_type() == "text/rfc822-headers":
            text = part.get_payload(decode=True)
            if isinstance(text, bytes):
                return HeaderParser().parsestr(text.decode("utf-8", "replace"))
    return None


def _quoted_message_id(parts: list[Message]) -> str:
    original = _original_headers(parts)
    if original is None:
        return ""
    found = re.search(r"<[^<>\s]{1,250}>", _text(original.get("Message-ID")))
    return found.group(0) if found else ""


def _text(value: object) -> str:
    """A header's value as one line of text (an email.header.Header too), or ""."""
    return " ".join(str(value).split()) if value is not None else ""


def _address(value: object) -> str:
    """The address of a recipient field: "rfc822; Who@Example.com" -> "who@example.com"; ""
    for another address type (x400, utf-8 addresses we never send to) or none."""
    text = _text(value)
    kind, _, rest = text.partition(";")
    if not rest:
        kind, rest = "rfc822", text
    if kind.strip().lower() != "rfc822":
        return ""
    _, address = parseaddr(rest.strip())
    return address.strip().lower() if "@" in address else ""


def shorten(text: str, length: int = DIAGNOSTIC_LENGTH) -> str:
    text = _text(text)
    return text if len(text) <= length else text[: length - 1] + "…"


def _delivery_status(blocks: list[Message], message_id: str) -> list[Finding]:
    # RFC 3464 section 2.1: one per-message block, then one block per recipient.
    recipients = [b for b in blocks[1:] if b.get("Final-Recipient") is not None]
    if not recipients:
        raise UnreadableReportError("a delivery status without a Final-Recipient")
    if not message_id and blocks:
        # Gmail names the message in the per-message block when it quotes no headers.
        found = re.search(r"<[^<>\s]{1,250}>", _text(blocks[0].get("X-Original-Message-ID")))
        message_id = found.group(0) if found else ""
    return [_recipient(block, message_id) for block in recipients]


def _recipient(block: Message, message_id: str) -> Finding:
    final = _address(block.get("Final-Recipient"))
    original = _address(block.get("Original-Recipient"))
    addresses = tuple(dict.fromkeys(a for a in (final, original) if a))
    if not addresses:
        raise UnreadableReportError("a Final-Recipient that is not an e-mail address")
    action = _text(block.get("Action")).lower()
    status_match = _STATUS.search(_text(block.get("Status")))
    status = status_match.group(0) if status_match else ""
    if action in {"delivered", "relayed", "expanded"}:
        verdict = Verdict.IGNORED
    elif action == "delayed":
        verdict = Verdict.TRANSIENT
    elif action == "failed":
        if not status:
            raise UnreadableReportError("Action: failed without a Status")
        # A 4.x.x "failure" is the sender giving up on a passing fault: not a reason to stop
        # mailing the address for good.
        verdict = Verdict.BOUNCE if status.startswith("5.") else Verdict.TRANSIENT
    else:
        raise UnreadableReportError(f"an unknown Action ({shorten(action, 30) or 'none'})")
    # "smtp; 550 5.1.1 <who@example.com>: user unknown": the words after the type.
    diagnostic_type, has_type, diagnostic = _text(block.get("Diagnostic-Code")).partition(";")
    diagnostic = diagnostic if has_type else diagnostic_type
    return Finding(
        verdict=verdict,
        addresses=addresses,
        message_id=message_id,
        status=status,
        diagnostic=shorten(diagnostic),
    )


def _feedback(blocks: list[Message], parts: list[Message], message_id: str) -> Finding:
    if not blocks:
        raise UnreadableReportError("an empty feedback report")
    fields = blocks[0]
    feedback_type = _text(fields.get("Feedback-Type")).lower()
    if not feedback_type:
        raise UnreadableReportError("a feedback report without a Feedback-Type")
    # RFC 5965 section 3.2: Original-Rcpt-To is optional (providers often redact it); the To
    # of the quoted message names the recipient too.
    addresses = [_address(value) for value in fields.get_all("Original-Rcpt-To") or []]
    if not any(addresses):
        original = _original_headers(parts)
        quoted_to = [] if original is None else original.get_all("To") or []
        addresses = [a.lower() for _, a in getaddresses([_text(v) for v in quoted_to]) if "@" in a]
    addresses = [a for a in dict.fromkeys(addresses) if a]
    if not addresses:
        raise UnreadableReportError("a complaint that names no recipient")
    return Finding(
        verdict=Verdict.COMPLAINT if feedback_type in COMPLAINT_TYPES else Verdict.IGNORED,
        addresses=tuple(addresses),
        message_id=message_id,
        status=shorten(feedback_type, 20),
        diagnostic="",
    )
