"""Global Privacy Control (P17): ``Sec-GPC: 1`` is an opt-out of sale-like uses and tracking.

A browser that sends the signal is treated as opted out for that request (``request.gpc``,
set by ``GlobalPrivacyControlMiddleware``). For a signed-in customer the signal is written to
the consent ledger once (method "gpc"), so ``may_use`` honours it everywhere, on every later
visit and from every browser, until the customer opts in to a practice again.

Nothing about the signal is ever rendered into a cached catalogue page: only the privacy page,
which is never cached, says that it was honoured.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from bungu.privacy.models import ConsentEvent, ConsentKind, ConsentMethod
from bungu.privacy.notices.consent import GPC_PRACTICE, Subject, find_notice_in_force, subject_id

HEADER = "Sec-GPC"
_META_KEY = "HTTP_SEC_GPC"
# When the shop's support of the signal last changed; /.well-known/gpc.json publishes it.
LAST_UPDATE = datetime.date(2026, 11, 25)


def signal_sent(request: HttpRequest) -> bool:
    """Whether the browser sent the signal. Only the value "1" means anything."""
    return str(request.META.get(_META_KEY, "")).strip() == "1"


def well_known() -> dict[str, object]:
    """The document served at /.well-known/gpc.json."""
    return {"gpc": True, "lastUpdate": LAST_UPDATE.isoformat()}


def find_gpc_signal(*, subject: Subject) -> ConsentEvent | None:
    """The customer's Global Privacy Control opt-out on record, if any."""
    return (
        ConsentEvent.objects.filter(subject_id=subject_id(subject), practice=GPC_PRACTICE)
        .order_by("-at", "-id")
        .first()
    )


def find_gpc_signals(*, subjects: Iterable[Subject]) -> dict[int, ConsentEvent]:
    """``find_gpc_signal`` for many customers with one query: by customer id, the ones who
    have a signal on record."""
    ids = {subject_id(subject) for subject in subjects}
    found: dict[int, ConsentEvent] = {}
    events = ConsentEvent.objects.filter(subject_id__in=ids, practice=GPC_PRACTICE)
    # Oldest first, so the latest of each customer is the one kept.
    for event in events.order_by("at", "id"):
        found[event.subject_id] = event
    return found


@transaction.atomic
def record_gpc_signal(
    *, subject: Subject, page: str = "", at: datetime.datetime | None = None
) -> ConsentEvent | None:
    """Write the signal to the consent ledger as an opt-out, once per customer: returns the
    new entry, or None if it is already on record or no notice is in force yet."""
    if find_gpc_signal(subject=subject) is not None:
        return None
    at = at or timezone.now()
    notice = find_notice_in_force(at=at)
    if notice is None:
        return None
    return ConsentEvent.objects.create(
        subject_id=subject_id(subject),
        kind=ConsentKind.WITHDRAWN,
        notice=notice,
        practice=GPC_PRACTICE,
        at=at,
        method=ConsentMethod.GPC,
        page=page[:500],
    )
