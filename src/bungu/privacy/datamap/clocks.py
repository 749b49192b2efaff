"""The legal clocks of a privacy request (P26): confirm within 10 business days, answer
within 45 days.

Business days are Monday to Friday. Public holidays are not counted out: they differ by
country and state, and counting them in only makes the shop answer earlier than the law asks,
never later.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

CONFIRM_WITHIN_BUSINESS_DAYS = 10
ANSWER_WITHIN_DAYS = 45
# How long the link that verifies a request made without signing in works: long enough for a
# weekend away from the mailbox, short enough that an old mail is not a standing key. The
# pending request is kept exactly as long (personal_data.py).
REQUEST_LINK_VALID_DAYS = 3


def add_business_days(start: date, days: int) -> date:
    """The date ``days`` working days (Monday to Friday) after ``start``."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def due_dates(*, received_at: datetime) -> tuple[date, date]:
    """(confirm by, answer by) for a request received at that moment, in the shop's time."""
    received = timezone.localdate(received_at)
    return (
        add_business_days(received, CONFIRM_WITHIN_BUSINESS_DAYS),
        received + timedelta(days=ANSWER_WITHIN_DAYS),
    )
