"""The mail app's periodic jobs (bungu.operations finds this module and runs them)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings

from bungu.periodic import Job

from .delivery import smtp_configured
from .returns import ReturnsError, read_returns
from .services import deliver_due_messages

# A queued message older than this has lost its delivery job (a worker restart, a backend
# that cannot defer a retry); younger ones are still the worker's.
STUCK_MAIL_AFTER = timedelta(minutes=15)


def retry_stuck_mail(*, now: datetime) -> str:
    """Hand the worker again the mail whose delivery job was lost."""
    if not smtp_configured():
        return "SMTP not configured; mail waits in the outbox"
    handed = deliver_due_messages(now=now, queued_before=now - STUCK_MAIL_AFTER)
    return f"{handed} message(s) handed to the worker"


def read_returned_mail(*, now: datetime) -> str:
    """P21: act on the bounces and complaints that came back to the shop's return mailbox
    (BUNGU_RETURNS_MAILBOX), as ``bungu mail read-returns`` does by hand."""
    if not settings.BUNGU_RETURNS_MAILBOX:
        return "no returns mailbox (BUNGU_RETURNS_MAILBOX) to read"
    try:
        report = read_returns(Path(settings.BUNGU_RETURNS_MAILBOX), mark_seen=True)
    except ReturnsError as error:
        # Raised, so the run reports this job failed while the others go on.
        raise ReturnsError(f"BUNGU_RETURNS_MAILBOX: {error}") from None
    return report.summary()


JOBS = [
    Job("stuck mail", retry_stuck_mail),
    Job("returned mail (P21)", read_returned_mail, every=timedelta(minutes=10)),
]
