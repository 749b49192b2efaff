"""Returned mail: bounces and complaints that come back suppress the address.

``read_returns`` reads a maildir or an mbox of returned messages (``bungu mail read-returns``),
``record_finding`` acts on one recipient of one report (``bungu.mail.dsn`` reads them): a
permanent failure suppresses the address as a bounce, a complaint as a complaint; a delay or
a passing failure is only counted.

Only an address we mailed is suppressed. Anyone can send the shop's return address a
well-formed report about any address, so a report is believed only when it is about a
message the shop sent, to the address it names:

* a Message-ID with a return tag (``bungu.mail.return_tags``: a campaign's message, sent
  without the outbox) only when the tag was made for that address;
* another quoted Message-ID only when the outbox sent it, and to that address;
* a report that quotes none, by the address having been sent mail from the outbox at all.

A report that quotes a message of ours about another address, or a tag that does not verify,
is refused (counted apart: someone forging, or a mail system muddling); one about a message
we never sent is not ours. A forged report can therefore at worst stop stoppable mail to an
address the shop already mails, and never with a Message-ID it did not send; the
suppression says which message it was, so staff can lift a wrong one.
"""

from __future__ import annotations

import mailbox
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from enum import StrEnum
from pathlib import Path
from typing import Any

from django.db.models.functions import Lower

from .dsn import Finding, UnreadableReportError, Verdict, read_report, shorten
from .models import OutboxMessage, State, SuppressionKind
from .return_tags import is_tagged, tagged_recipient
from .services import suppress_address

SOURCE = "returned mail"


class Outcome(StrEnum):
    BOUNCE = "bounces"
    COMPLAINT = "complaints"
    TRANSIENT = "transient"
    NOT_OURS = "not ours"
    REFUSED = "refused"
    IGNORED = "ignored"
    UNREADABLE = "unreadable"


class ReturnsError(ValueError):
    """The returned mail cannot be opened at all (no such file, not a maildir or mbox)."""


@dataclass
class ReturnsReport:
    """What reading a mailbox of returned mail did: counts per outcome (recipients, and whole
    messages for the unreadable), new suppressions, and one line per message worth a look."""

    counts: Counter[Outcome] = field(default_factory=Counter)
    new_suppressions: int = 0
    lines: list[str] = field(default_factory=list)

    def unreadable(self, name: str, reason: str) -> None:
        self.counts[Outcome.UNREADABLE] += 1
        self.lines.append(f"{name}: unreadable: {reason}")

    def summary(self) -> str:
        parts = [f"{outcome.value}: {self.counts[outcome]}" for outcome in Outcome]
        return ", ".join(parts) + f"; new suppressions: {self.new_suppressions}"


@dataclass(frozen=True)
class _Sent:
    """A message of ours a report is about: where it went, and how to name it."""

    address: str
    about: str
    recipient_id: int | None = None


def _sent_message(finding: Finding) -> _Sent | Outcome:
    """The message we sent that the finding is about, or why it is not believed."""
    if finding.message_id and is_tagged(finding.message_id):
        # Sent without the outbox (a campaign): the tag says to which address.
        address = tagged_recipient(finding.message_id, addresses=finding.addresses)
        if address is None:
            return Outcome.REFUSED
        return _Sent(address=address, about=f"message {finding.message_id}")
    sent = OutboxMessage.objects.filter(state=State.SENT)
    if finding.message_id:
        # A Message-ID is ours only as the outbox wrote it; one we never sent is not ours,
        # whatever address the report names.
        message = sent.filter(message_id=finding.message_id).first()
        if message is None:
            return Outcome.NOT_OURS
        if message.to_address.strip().lower() not in finding.addresses:
            return Outcome.REFUSED
    else:
        message = (
            sent.annotate(low=Lower("to_address"))
            .filter(low__in=finding.addresses)
            .order_by("-sent_at", "-id")
            .first()
        )
        if message is None:
            return Outcome.NOT_OURS
    return _Sent(
        address=message.to_address,
        about=f"message #{message.pk} {message.message_id}",
        recipient_id=message.recipient_id,
    )


_NOT_BELIEVED = {
    Outcome.NOT_OURS: "about an address or message the shop did not mail",
    Outcome.REFUSED: "names an address the quoted Message-ID was not sent to (forged, or muddled)",
}


def record_finding(*, finding: Finding, source: str = SOURCE) -> tuple[Outcome, bool, str]:
    """Act on what a report says about one recipient. Returns the outcome, whether a new
    suppression was made, and a line for the person reading the result (no address in it)."""
    message = _sent_message(finding)
    if isinstance(message, Outcome):
        return message, False, _NOT_BELIEVED[message]
    about = message.about
    if finding.verdict is Verdict.IGNORED:
        return Outcome.IGNORED, False, f"{finding.status or 'no status'} for {about}: no action"
    if finding.verdict is Verdict.TRANSIENT:
        return Outcome.TRANSIENT, False, f"{finding.status or 'delayed'} for {about}: counted"
    if finding.verdict is Verdict.BOUNCE:
        kind, outcome = SuppressionKind.BOUNCE, Outcome.BOUNCE
        detail = f"status {finding.status} on {about}: {finding.diagnostic}"
    else:
        kind, outcome = SuppressionKind.COMPLAINT, Outcome.COMPLAINT
        detail = f"complaint ({finding.status}) about {about}"
    # Personal data: only the status, a short diagnostic and which message, never the report.
    _, new = suppress_address(
        address=message.address,
        kind=kind,
        source=source,
        detail=shorten(detail, 300),
        recipient_id=message.recipient_id,
    )
    verb = "suppressed" if new else "already suppressed"
    return outcome, new, f"{finding.status} for {about}: {verb} as a {kind.label}"


def record_returned_message(
    message: Message, *, name: str, report: ReturnsReport, source: str = SOURCE
) -> None:
    """Read one returned message and act on each recipient it reports, adding to ``report``."""
    try:
        findings = read_report(message)
    except UnreadableReportError as error:
        report.unreadable(name, str(error))
        return
    except (LookupError, ValueError, TypeError, UnicodeError, AttributeError) as error:
        # Malformed MIME the parser let through: one bad message does not stop the rest.
        report.unreadable(name, f"malformed ({type(error).__name__})")
        return
    for finding in findings:
        outcome, new, line = record_finding(finding=finding, source=source)
        report.counts[outcome] += 1
        report.new_suppressions += new
        report.lines.append(f"{name}: {outcome.value}: {line}")


def _open(path: Path) -> mailbox.Mailbox[Any]:
    if path.is_dir():
        if not (path / "cur").is_dir() or not (path / "new").is_dir():
            raise ReturnsError(f"{path} is a folder but not a maildir (no cur/ and new/ in it).")
        return mailbox.Maildir(path, create=False)
    if not path.is_file():
        raise ReturnsError(f"{path}: no such file or folder.")
    with path.open("rb") as file:
        start = file.read(5)
    if start and start != b"From ":
        raise ReturnsError(f"{path} is not an mbox file (it does not begin with a From line).")
    return mailbox.mbox(path, create=False)


def _messages(box: mailbox.Mailbox[Any]) -> Iterator[tuple[Any, str, Message | str]]:
    """Each message's key, a name for it, and it or the reason it could not be read."""
    for key in sorted(box.iterkeys(), key=str):
        # An mbox numbers its messages from 0; a maildir names each by its file.
        name = f"message {key + 1}" if isinstance(key, int) else f"message {key}"
        try:
            yield key, name, box.get_message(key)
        except (OSError, KeyError, ValueError, LookupError) as error:
            yield key, name, f"cannot be read from the mailbox ({type(error).__name__})"


def _seen(message: Message | str) -> bool:
    return isinstance(message, mailbox.MaildirMessage) and "S" in message.get_flags()


def read_returns(path: Path, *, source: str = SOURCE, mark_seen: bool = False) -> ReturnsReport:
    """Read a maildir or mbox of returned mail and suppress what it reports. Raises
    ReturnsError when it cannot be opened; a bad message is counted as unreadable.
    ``mark_seen`` (the periodic job): in a maildir, skip the messages marked seen and mark
    the others once read, so each is acted on once; an mbox is read whole every time (acting
    on a report twice changes nothing)."""
    report = ReturnsReport()
    box = _open(path)
    try:
        for key, name, message in _messages(box):
            if mark_seen and _seen(message):
                continue
            if isinstance(message, str):
                report.unreadable(name, message)
                continue
            record_returned_message(message, name=name, report=report, source=source)
            if mark_seen and isinstance(box, mailbox.Maildir):
                _mark_seen(box, key=key, message=message)
    finally:
        box.close()
    return report


def _mark_seen(box: mailbox.Maildir, *, key: str, message: Message) -> None:
    if not isinstance(message, mailbox.MaildirMessage):
        return
    message.set_subdir("cur")
    message.add_flag("S")
    box[key] = message
