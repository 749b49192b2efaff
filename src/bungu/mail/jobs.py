"""The mail app's periodic jobs (bungu.operations finds this module and runs them)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bungu.periodic import Job

from .delivery import smtp_configured
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


JOBS = [Job("stuck mail", retry_stuck_mail)]
