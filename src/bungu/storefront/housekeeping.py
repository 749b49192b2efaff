"""The shop's periodic jobs: what keeps the promises true while nobody is watching.

Deleted accounts are erased when their grace period ends (P22), nothing is kept longer than
the data map declares (P5), ended sessions go, customers hear of a new notice (P24), and
mail whose delivery job was lost is handed to the worker again.

``run_housekeeping`` runs every job once; ``housekeeping`` (tasks.py) is the same as a
background task that enqueues its own next run, so the worker started by ``make run`` keeps
the jobs going without cron. ``bungu housekeeping`` runs them by hand or (``--schedule``)
makes sure the next run is queued.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.utils import timezone

from bungu import privacy
from bungu.accounts.sessions import purge_ended_sessions
from bungu.mail.delivery import smtp_configured
from bungu.mail.services import deliver_due_messages
from bungu.privacy.account_deletion import run_due_deletions

logger = logging.getLogger(__name__)

# A notice announced automatically only while it is new: its reminders are not re-sent
# once their own two-year retention has removed the record of having sent them.
NOTICE_REMINDER_WINDOW = timedelta(days=90)
# A queued message older than this has lost its delivery job (a worker restart, a backend
# that cannot defer a retry); younger ones are still the worker's.
STUCK_MAIL_AFTER = timedelta(minutes=15)


def interval() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "BUNGU_HOUSEKEEPING_MINUTES", 60)))


@dataclass(frozen=True)
class Outcome:
    job: str
    done: str
    failed: bool = False

    def __str__(self) -> str:
        return f"{self.job}: {'FAILED: ' if self.failed else ''}{self.done}"


def erase_due_accounts(now: datetime) -> str:
    return f"{run_due_deletions(now=now)} account(s) erased"


def expire_by_data_map(now: datetime) -> str:
    done = [item for item in privacy.enforce_retention(now=now) if item.count]
    return "; ".join(str(item) for item in done) or "nothing past its retention"


def clear_sessions(now: datetime) -> str:
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
    return f"{purge_ended_sessions()} ended session record(s) deleted"


def announce_current_notice(now: datetime) -> str:
    notice = privacy.find_notice_in_force(at=now)
    if notice is None or timezone.localdate(now) - notice.effective > NOTICE_REMINDER_WINDOW:
        return "no new notice to announce"
    written = privacy.send_notice_reminders(notice_version=notice.version)
    return f"{written} reminder(s) of notice v{notice.version} written"


def retry_stuck_mail(now: datetime) -> str:
    if not smtp_configured():
        return "SMTP not configured; mail waits in the outbox"
    handed = deliver_due_messages(now=now, queued_before=now - STUCK_MAIL_AFTER)
    return f"{handed} message(s) handed to the worker"


JOBS: dict[str, Callable[[datetime], str]] = {
    "account deletions (P22)": erase_due_accounts,
    "retention (P5)": expire_by_data_map,
    "sessions (P3, P5)": clear_sessions,
    "notice reminders (P24)": announce_current_notice,
    "stuck mail": retry_stuck_mail,
}


def run_housekeeping(*, now: datetime | None = None) -> list[Outcome]:
    """Run every job once. One job's failure is logged and reported, and the others still
    run: a broken mail server must not keep expired data in the shop."""
    now = now or timezone.now()
    outcomes = []
    for name, job in JOBS.items():
        try:
            outcomes.append(Outcome(name, job(now)))
        except Exception as error:  # reported, and the next job still runs
            logger.exception("Housekeeping job %r failed", name)
            outcomes.append(Outcome(name, f"{type(error).__name__}: {error}", failed=True))
    return outcomes
