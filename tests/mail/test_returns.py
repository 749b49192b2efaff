"""Returned mail: bounces and complaints suppress the address (issue 13, P13, P21)."""

from __future__ import annotations

import mailbox
from email import message_from_string
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from bungu.mail import services
from bungu.mail.dsn import UnreadableReportError, Verdict, read_report
from bungu.mail.models import MailSuppression, OutboxMessage, State, SuppressionKind
from bungu.mail.returns import Outcome, read_returns
from tests.accounts.factories import CustomerFactory

from . import returned
from .factories import OutboxMessageFactory

pytestmark = pytest.mark.django_db


def _sent(to: str, **kwargs: object) -> OutboxMessage:
    return OutboxMessageFactory(
        to_address=to, kind="marketing", state=State.SENT, sent_at=timezone.now(), **kwargs
    )


def _mbox(tmp_path: Path, *messages: str) -> Path:
    path = tmp_path / "returns.mbox"
    box = mailbox.mbox(path)
    for text in messages:
        box.add(text)
    box.close()
    return path


def _maildir(tmp_path: Path, *messages: str | bytes) -> Path:
    path = tmp_path / "Returns"
    box = mailbox.Maildir(path)
    for text in messages:
        box.add(text)
    return path


def test_a_postfix_bounce_suppresses_the_address_naming_the_message_and_account(
    tmp_path,
) -> None:
    customer = CustomerFactory(email="Gone@Example.com")
    sent = _sent("Gone@Example.com", recipient=customer)

    report = read_returns(
        _mbox(tmp_path, returned.postfix_bounce(to="gone@example.com", message_id=sent.message_id))
    )

    assert report.counts[Outcome.BOUNCE] == 1
    assert report.new_suppressions == 1
    suppression = MailSuppression.objects.get()
    assert suppression.address == "gone@example.com"
    assert suppression.kind == SuppressionKind.BOUNCE
    assert suppression.recipient_id == customer.pk
    assert suppression.source == "returned mail"
    assert f"#{sent.pk}" in suppression.detail
    assert sent.message_id in suppression.detail
    assert "5.1.1" in suppression.detail
    assert "User unknown" in suppression.detail


def test_personal_data_the_suppression_keeps_no_part_of_the_returned_letter(tmp_path) -> None:
    sent = _sent("gone@example.com")
    read_returns(
        _mbox(tmp_path, returned.postfix_bounce(to="gone@example.com", message_id=sent.message_id))
    )

    suppression = MailSuppression.objects.get()
    assert "private letter" not in suppression.detail
    assert "fountain pens" not in suppression.detail
    assert len(suppression.detail) <= 300


def test_a_gmail_style_bounce_with_only_the_original_headers_suppresses(tmp_path) -> None:
    sent = _sent("nobody.here@example.com")

    report = read_returns(
        _maildir(
            tmp_path,
            returned.gmail_bounce(to="nobody.here@example.com", message_id=sent.message_id),
        )
    )

    assert report.counts[Outcome.BOUNCE] == 1
    suppression = MailSuppression.objects.get(address="nobody.here@example.com")
    assert suppression.kind == SuppressionKind.BOUNCE
    assert "does not exist" in suppression.detail
    # The server's long explanation is cut short.
    assert "support.google.com" not in suppression.detail


def test_a_gmail_bounce_without_the_quoted_headers_is_matched_by_its_original_id() -> None:
    text = returned.gmail_bounce(to="a@example.com", message_id="<g@bungu.test>")
    text = text.replace("Message-ID: <g@bungu.test>\nDate", "Date")

    (finding,) = read_report(message_from_string(text))

    assert finding.message_id == "<g@bungu.test>"


def test_an_arf_complaint_suppresses_the_original_recipient_as_a_complaint(tmp_path) -> None:
    sent = _sent("annoyed@example.org")

    complaint = returned.arf_complaint(to="annoyed@example.org", message_id=sent.message_id)

    report = read_returns(_mbox(tmp_path, complaint))

    assert report.counts[Outcome.COMPLAINT] == 1
    suppression = MailSuppression.objects.get()
    assert (suppression.address, suppression.kind) == ("annoyed@example.org", "complaint")
    assert f"#{sent.pk}" in suppression.detail
    assert "private letter" not in suppression.detail


def test_a_not_spam_feedback_report_suppresses_nothing(tmp_path) -> None:
    sent = _sent("happy@example.org")

    report = read_returns(
        _mbox(
            tmp_path,
            returned.arf_complaint(
                to="happy@example.org", message_id=sent.message_id, feedback_type="not-spam"
            ),
        )
    )

    assert report.counts[Outcome.IGNORED] == 1
    assert not MailSuppression.objects.exists()


def test_a_delay_is_counted_as_transient_and_suppresses_nothing(tmp_path) -> None:
    sent = _sent("slow@example.com")

    report = read_returns(
        _mbox(tmp_path, returned.delay(to="slow@example.com", message_id=sent.message_id))
    )

    assert report.counts[Outcome.TRANSIENT] == 1
    assert report.counts[Outcome.BOUNCE] == 0
    assert not MailSuppression.objects.exists()


def test_a_failure_with_a_4xx_status_is_transient_not_a_bounce(tmp_path) -> None:
    sent = _sent("full@example.com")
    text = returned.postfix_bounce(to="full@example.com", message_id=sent.message_id)
    text = text.replace("Status: 5.1.1", "Status: 4.2.2")

    report = read_returns(_mbox(tmp_path, text))

    assert report.counts[Outcome.TRANSIENT] == 1
    assert not MailSuppression.objects.exists()


def test_a_forged_report_about_an_address_we_never_mailed_suppresses_nothing(tmp_path) -> None:
    # Anyone can mail the shop's return address a well-formed report: believing it would let
    # them stop the shop's mail to any address they like.
    _sent("customer@example.com")
    CustomerFactory(email="victim@example.com")

    report = read_returns(
        _mbox(
            tmp_path,
            returned.postfix_bounce(to="victim@example.com", message_id="<made.up@bungu.test>"),
            returned.arf_complaint(to="victim@example.com", message_id=""),
        )
    )

    assert report.counts[Outcome.NOT_OURS] == 2
    assert report.counts[Outcome.BOUNCE] == report.counts[Outcome.COMPLAINT] == 0
    assert not MailSuppression.objects.exists()
    assert not services.is_suppressed("victim@example.com")


def test_a_forged_report_must_name_the_recipient_of_the_message_it_quotes(tmp_path) -> None:
    # A real Message-ID (the victim's own newsletter shows it) pointed at someone else's
    # address; and an address we did mail, with a Message-ID we never sent.
    mine = _sent("attacker@example.com")
    _sent("victim@example.com")

    report = read_returns(
        _mbox(
            tmp_path,
            returned.postfix_bounce(to="victim@example.com", message_id=mine.message_id),
            returned.postfix_bounce(to="victim@example.com", message_id="<not.ours@bungu.test>"),
        )
    )

    # The first quotes our message about another address: refused; the second is not ours.
    assert (report.counts[Outcome.REFUSED], report.counts[Outcome.NOT_OURS]) == (1, 1)
    assert not MailSuppression.objects.exists()


def test_mail_that_never_went_is_not_ours_to_bounce(tmp_path) -> None:
    held = OutboxMessageFactory(to_address="held@example.com", state=State.SUPPRESSED)

    report = read_returns(
        _mbox(tmp_path, returned.postfix_bounce(to="held@example.com", message_id=held.message_id))
    )

    assert report.counts[Outcome.NOT_OURS] == 1
    assert not MailSuppression.objects.exists()


def test_a_report_without_a_message_id_is_matched_by_an_address_we_mailed(tmp_path) -> None:
    sent = _sent("Mixed.Case@Example.com")
    text = returned.delay(to="mixed.case@example.com", message_id="")
    text = text.replace("Action: delayed", "Action: failed").replace("4.4.1", "5.2.1")

    report = read_returns(_mbox(tmp_path, text))

    assert report.counts[Outcome.BOUNCE] == 1
    assert f"#{sent.pk}" in MailSuppression.objects.get().detail


def test_reading_the_same_returns_twice_suppresses_once(tmp_path) -> None:
    sent = _sent("gone@example.com")
    path = _mbox(
        tmp_path, returned.postfix_bounce(to="gone@example.com", message_id=sent.message_id)
    )

    read_returns(path)
    again = read_returns(path)

    assert again.counts[Outcome.BOUNCE] == 1
    assert again.new_suppressions == 0
    assert "already suppressed" in again.lines[0]
    assert MailSuppression.objects.count() == 1


def test_a_bounced_address_gets_no_more_marketing_but_still_gets_its_order_mail(
    tmp_path,
) -> None:
    customer = CustomerFactory(email="gone@example.com")
    sent = _sent("gone@example.com", recipient=customer)
    read_returns(
        _mbox(tmp_path, returned.postfix_bounce(to="gone@example.com", message_id=sent.message_id))
    )

    marketing = services.queue_message(
        to="gone@example.com", kind="marketing", subject="New inks", text_body="Look."
    )
    order = services.queue_message(
        to="gone@example.com", kind="transactional", subject="Your order", text_body="Thanks."
    )

    assert marketing.state == State.SUPPRESSED
    assert "bounced" in marketing.suppressed_reason
    assert order.state == State.QUEUED


def test_garbage_is_counted_as_unreadable_with_a_line_and_the_rest_still_read(tmp_path) -> None:
    sent = _sent("gone@example.com")
    path = _maildir(
        tmp_path,
        returned.GARBAGE,
        returned.BROKEN_REPORT,
        b"\x00\x01 not even headers \xff\xfe\n",
        returned.postfix_bounce(to="gone@example.com", message_id=sent.message_id),
    )
    out = StringIO()

    call_command("mail", "read-returns", str(path), stdout=out)

    text = out.getvalue()
    assert "unreadable: not a report (text/plain)" in text
    assert "unreadable: no message/delivery-status part" in text
    assert "Traceback" not in text
    assert text.strip().splitlines()[-1] == (
        "bounces: 1, complaints: 0, transient: 0, not ours: 0, refused: 0, ignored: 0,"
        " unreadable: 3;"
        " new suppressions: 1"
    )
    # Lines name messages and outcomes, never an address.
    assert "gone@example.com" not in text


def test_the_command_counts_every_kind_of_return(tmp_path) -> None:
    bounced, complained, slow = (
        _sent("a@example.com"),
        _sent("b@example.com"),
        _sent("c@example.com"),
    )
    path = _mbox(
        tmp_path,
        returned.postfix_bounce(to="a@example.com", message_id=bounced.message_id),
        returned.arf_complaint(to="b@example.com", message_id=complained.message_id),
        returned.delay(to="c@example.com", message_id=slow.message_id),
        returned.postfix_bounce(to="stranger@example.com", message_id=""),
        returned.GARBAGE,
    )
    out = StringIO()

    call_command("mail_read_returns", str(path), "--quiet", stdout=out)

    assert out.getvalue().strip() == (
        "bounces: 1, complaints: 1, transient: 1, not ours: 1, refused: 0, ignored: 0,"
        " unreadable: 1;"
        " new suppressions: 2"
    )


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda tmp: tmp / "missing.mbox", "no such file or folder"),
        (lambda tmp: tmp, "not a maildir"),
        (lambda tmp: _file(tmp / "x.txt", "hello\n"), "not an mbox file"),
    ],
)
def test_the_command_refuses_what_it_cannot_open_with_a_reason(tmp_path, make, reason) -> None:
    with pytest.raises(CommandError, match=reason):
        call_command("mail", "read-returns", str(make(tmp_path)), stdout=StringIO())


def _file(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_an_empty_mbox_reads_as_nothing(tmp_path) -> None:
    report = read_returns(_file(tmp_path / "empty.mbox", ""))

    assert sum(report.counts.values()) == 0


# The parser on its own.


def test_one_report_about_several_recipients_gives_a_finding_each() -> None:
    text = returned.postfix_bounce(to="a@example.com", message_id="<m@bungu.test>").replace(
        "Diagnostic-Code: smtp; 550 5.1.1",
        "Diagnostic-Code: smtp; 550 5.1.1 gone\n\n"
        "Final-Recipient: rfc822; b@example.com\nAction: delayed\nStatus: 4.4.7\n"
        "X-Note: 550 5.1.1",
        1,
    )

    findings = read_report(message_from_string(text))

    assert [(f.addresses, f.verdict) for f in findings] == [
        (("a@example.com",), Verdict.BOUNCE),
        (("b@example.com",), Verdict.TRANSIENT),
    ]
    assert findings[0].message_id == "<m@bungu.test>"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (("Final-Recipient: rfc822; a@example.com", "Final-Recipient: x400; a"), "not an e-mail"),
        (("Status: 5.1.1", "Status: soon"), "without a Status"),
        (("Action: failed", "Action: exploded"), "unknown Action"),
        (("report-type=delivery-status", "report-type=disposition"), "unknown type"),
    ],
)
def test_a_malformed_report_is_unreadable_with_a_reason(change, reason) -> None:
    text = returned.delay(to="a@example.com", message_id="<m@bungu.test>")
    text = text.replace("Action: delayed", "Action: failed").replace("4.4.1", "5.1.1")
    text = text.replace(*change)

    with pytest.raises(UnreadableReportError, match=reason):
        read_report(message_from_string(text))
