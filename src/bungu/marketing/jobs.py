"""The marketing app's periodic jobs (bungu.operations finds this module and runs them): a new
notice is announced to the customers it concerns (P24), as a reminder campaign; scheduled
campaigns start, and any campaign whose worker died goes on (its leases run out, and the rows
are claimed again)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from bungu import privacy
from bungu.periodic import Job

from .psi import close_expired_exchanges
from .runner import send_due_campaigns
from .services import start_notice_reminders

# The job shares the housekeeping run with the others; a long campaign goes on in the next.
BUDGET = timedelta(seconds=50)
# A notice announced automatically only while it is new: its reminders are not re-sent
# once their own two-year retention has removed the record of having sent them.
NOTICE_REMINDER_WINDOW = timedelta(days=90)


def announce_current_notice(*, now: datetime) -> str:
    notice = privacy.find_notice_in_force(at=now)
    if notice is None or timezone.localdate(now) - notice.effective > NOTICE_REMINDER_WINDOW:
        return "no new notice to announce"
    campaign = start_notice_reminders(notice_version=notice.version, now=now)
    if campaign is None:
        return f"nobody left to remind of notice v{notice.version}"
    return (
        f"{campaign.recipients.count()} reminder(s) of notice v{notice.version} to send "
        f"(campaign #{campaign.pk})"
    )


def send_campaigns(*, now: datetime) -> str:
    return f"campaigns: {send_due_campaigns(budget=BUDGET, now=now)}"


def close_comparison_exchanges(*, now: datetime) -> str:
    return f"{close_expired_exchanges(now=now)} expired PSI exchange(s) closed"


JOBS = [
    Job("notice reminders (P24)", announce_current_notice),
    Job("campaigns (P17, P21, P25)", send_campaigns, every=timedelta(minutes=10)),
    Job("list comparison exchanges (P8)", close_comparison_exchanges),
]
