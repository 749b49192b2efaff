"""P21: the periodic job that reads the returns mailbox named by BUNGU_RETURNS_MAILBOX."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest
from django.utils import timezone

from bungu.mail import jobs
from bungu.mail.models import MailSuppression, State
from bungu.mail.returns import ReturnsError
from tests.accounts.factories import CustomerFactory

from . import returned
from .factories import OutboxMessageFactory

pytestmark = pytest.mark.django_db


def _sent(to: str) -> object:
    return OutboxMessageFactory(
        to_address=to,
        kind="marketing",
        state=State.SENT,
        sent_at=timezone.now(),
        recipient=CustomerFactory(email=to),
    )


def test_p21_the_job_suppresses_what_the_mailbox_reports_and_reads_each_message_once(
    settings, tmp_path: Path
) -> None:
    sent = _sent("gone@example.com")
    box = mailbox.Maildir(tmp_path / "Returns")
    box.add(returned.postfix_bounce(to="gone@example.com", message_id=sent.message_id))  # type: ignore[attr-defined]
    settings.BUNGU_RETURNS_MAILBOX = str(tmp_path / "Returns")

    first = jobs.read_returned_mail(now=timezone.now())
    again = jobs.read_returned_mail(now=timezone.now())

    assert "bounces: 1" in first
    assert "new suppressions: 1" in first
    assert "bounces: 0" in again  # marked seen: not read again
    assert list(MailSuppression.objects.values_list("address", flat=True)) == ["gone@example.com"]
    (key,) = box.keys()
    assert "S" in box.get_message(key).get_flags()


def test_without_a_mailbox_the_job_says_so_and_does_nothing(settings) -> None:
    settings.BUNGU_RETURNS_MAILBOX = ""

    assert jobs.read_returned_mail(now=timezone.now()) == (
        "no returns mailbox (BUNGU_RETURNS_MAILBOX) to read"
    )


def test_a_mailbox_that_is_not_there_fails_the_job_with_the_reason(settings, tmp_path) -> None:
    settings.BUNGU_RETURNS_MAILBOX = str(tmp_path / "missing")

    with pytest.raises(ReturnsError, match=r"BUNGU_RETURNS_MAILBOX: .*no such file or folder"):
        jobs.read_returned_mail(now=timezone.now())
    assert MailSuppression.objects.count() == 0
