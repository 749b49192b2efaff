"""The privacy app's periodic jobs (bungu.operations finds this module and runs them).

Deleted accounts are erased when their grace period ends (P22), nothing is kept longer than
the data map declares (P5), and customers hear of a new notice (P24).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from bungu.periodic import Job
from bungu.privacy.notices.consent import find_notice_in_force
from bungu.privacy.notices.publishing import send_notice_reminders
from bungu.privacy.rights.deletion import run_due_deletions
from bungu.privacy.rights.retention import enforce_retention

# A notice announced automatically only while it is new: its reminders are not re-sent
# once their own two-year retention has removed the record of having sent them.
NOTICE_REMINDER_WINDOW = timedelta(days=90)


def erase_due_accounts(*, now: datetime) -> str:
    return f"{run_due_deletions(now=now)} account(s) erased"


def expire_by_data_map(*, now: datetime) -> str:
    done = [item for item in enforce_retention(now=now) if item.count]
    return "; ".join(str(item) for item in done) or "nothing past its retention"


def announce_current_notice(*, now: datetime) -> str:
    notice = find_notice_in_force(at=now)
    if notice is None or timezone.localdate(now) - notice.effective > NOTICE_REMINDER_WINDOW:
        return "no new notice to announce"
    written = send_notice_reminders(notice_version=notice.version)
    return f"{written} reminder(s) of notice v{notice.version} written"


JOBS = [
    Job("account deletions (P22)", erase_due_accounts),
    Job("retention (P5)", expire_by_data_map),
    Job("notice reminders (P24)", announce_current_notice),
]
