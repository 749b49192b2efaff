"""P9: information from other sources added to customers' accounts, and the customer's say.

``import_sourced_details`` takes the checked rows of a file (``sourced_file``) and, for each
row whose address is a customer's, adds each value the notice allows: the shop may add data
of that category for ``marketing.enrichment`` under the notice in force now *and* the one
that binds the customer's account (P25, ``privacy.may_use``, dated by the day the account was
opened). Each value keeps its source, agreement, date and the notice rule that allowed it.
Rows that match no customer are counted and dropped: nothing of them is stored or logged.
Staff accounts are never matched. A value the notice does not allow is counted apart, with
the reason, and not stored either.

The customer corrects a value (a copy of the earlier version is kept, P20) or removes it
(gone for good: keeping a copy of what they asked to remove would defeat the removal). Either
way a later file from that source does not undo it: a removal is remembered as the source
and the kind (``SourcedRemoval``, without the value), a correction by its row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from bungu import privacy

from .models import PriorVersion, SourcedDetail, SourcedRemoval, User
from .sourced_file import SourcedRow

MAX_NAME = 100
MAX_AGREEMENT = 200
_CATEGORIES = {
    SourcedDetail.Kind.INTERESTS: privacy.DataCategory.DERIVED,
    SourcedDetail.Kind.ADDRESS: privacy.DataCategory.ADDRESS,
}


@dataclass
class ImportReport:
    rows: int = 0
    matched: int = 0
    # Rows whose address is no customer's: counted, never stored.
    unmatched: int = 0
    added: Counter[str] = field(default_factory=Counter)
    already_on_record: int = 0
    # Values the customer removed or corrected before: left as the customer left them.
    left_as_customer_said: int = 0
    # Values the notice does not allow, by kind and reason: counted, never stored.
    refused: Counter[tuple[str, str]] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        lines = [
            f"rows read: {self.rows}",
            f"matched a customer: {self.matched}",
            f"matched no customer (not stored): {self.unmatched}",
        ]
        lines += [f"added {kind}: {count}" for kind, count in sorted(self.added.items())]
        lines.append(f"already on record: {self.already_on_record}")
        lines.append(
            f"removed or corrected by the customer before (left so): {self.left_as_customer_said}"
        )
        lines += [
            f"refused {kind} (not stored): {count}: {reason}"
            for (kind, reason), count in sorted(self.refused.items())
        ]
        return lines


def _check_names(source: str, agreement: str) -> tuple[str, str]:
    source, agreement = source.strip(), agreement.strip()
    if not source or len(source) > MAX_NAME:
        raise ValueError(f"Name the source in 1 to {MAX_NAME} characters.")
    if not agreement or len(agreement) > MAX_AGREEMENT:
        raise ValueError(f"Name the agreement in 1 to {MAX_AGREEMENT} characters.")
    return source, agreement


def _customers_by_email(rows: list[SourcedRow]) -> dict[str, User]:
    wanted = {row.email.lower() for row in rows}
    found: dict[str, User] = {}
    # In slices, so a large file never makes one query with too many parameters.
    emails = sorted(wanted)
    for start in range(0, len(emails), 500):
        chunk = emails[start : start + 500]
        customers = User.objects.filter(is_staff=False, is_active=True)
        for user in customers.annotate(email_lower=Lower("email")).filter(email_lower__in=chunk):
            found[user.email.lower()] = user
    return found


def _values(row: SourcedRow) -> list[tuple[str, dict[str, Any]]]:
    values: list[tuple[str, dict[str, Any]]] = []
    if row.interests:
        values.append((SourcedDetail.Kind.INTERESTS, {"interests": list(row.interests)}))
    if row.address:
        values.append((SourcedDetail.Kind.ADDRESS, {"postal_address": dict(row.address)}))
    return values


@transaction.atomic
def import_sourced_details(
    *,
    rows: Iterable[SourcedRow],
    source: str,
    agreement: str,
    now: datetime | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Add the rows' values to the matching customers' accounts (P9), as the notice allows.
    Raises ValueError for a missing or over-long source or agreement, NoNoticeInForce."""
    source, agreement = _check_names(source, agreement)
    now = now or timezone.now()
    notice = privacy.get_notice_in_force(at=now)
    rows = list(rows)
    report = ImportReport(rows=len(rows))
    customers = _customers_by_email(rows)
    for row in rows:
        customer = customers.get(row.email.lower())
        if customer is None:
            report.unmatched += 1
            continue
        report.matched += 1
        for kind, value in _values(row):
            decision = privacy.may_use(
                subject=customer,
                data_category=_CATEGORIES[SourcedDetail.Kind(kind)],
                purpose=privacy.Purpose.ENRICHMENT,
                recipient="shop",
                collected_at=min(customer.date_joined, now),
                now=now,
            )
            if not decision:
                report.refused[(kind, decision.reason)] += 1
                continue
            held = SourcedDetail.objects.filter(customer=customer, kind=kind, source=source)
            said = SourcedRemoval.objects.filter(customer=customer, kind=kind, source=source)
            if said.exists() or held.filter(corrected_at__isnull=False).exists():
                report.left_as_customer_said += 1
                continue
            if held.filter(**value).exists():
                report.already_on_record += 1
                continue
            if not dry_run:
                SourcedDetail.objects.create(
                    customer=customer,
                    kind=kind,
                    source=source,
                    agreement=agreement,
                    received_at=now,
                    notice_version=notice.version,
                    notice_rule=f"{decision.practice}: {decision.reason}"[:300],
                    **value,
                )
            report.added[kind] += 1
    return report


def list_sourced_details(*, customer: User) -> list[SourcedDetail]:
    return list(SourcedDetail.objects.filter(customer=customer))


def get_sourced_detail(*, customer: User, detail_id: int) -> SourcedDetail:
    """One of the customer's own values. Raises SourcedDetail.DoesNotExist."""
    return SourcedDetail.objects.get(customer=customer, pk=detail_id)


def _snapshot(detail: SourcedDetail) -> dict[str, Any]:
    return {
        "kind": detail.kind,
        "interests": list(detail.interests),
        "postal_address": dict(detail.postal_address),
        "source": detail.source,
        "agreement": detail.agreement,
        "received_at": detail.received_at.isoformat(),
    }


@transaction.atomic
def correct_sourced_detail(
    *, detail: SourcedDetail, actor: User, value: Mapping[str, Any]
) -> SourcedDetail:
    """The customer's correction of a value from another source (P9, P19); the earlier
    version is kept (P20). ``value``: ``{"interests": [...]}`` or ``{"postal_address": {...}}``
    as the kind says. Raises ValueError for the other kind's value."""
    wanted = "interests" if detail.kind == SourcedDetail.Kind.INTERESTS else "postal_address"
    if set(value) != {wanted}:
        raise ValueError(f"A correction of {detail.get_kind_display()} gives {wanted}.")
    PriorVersion.objects.create(
        customer_id=detail.customer_id,
        kind=PriorVersion.Kind.RECORD,
        record=SourcedDetail._meta.label,
        object_id=detail.pk,
        change=PriorVersion.Change.CHANGED,
        snapshot=_snapshot(detail),
        changed_by=actor,
    )
    setattr(detail, wanted, value[wanted])
    detail.corrected_at = timezone.now()
    detail.save()
    return detail


@transaction.atomic
def remove_sourced_detail(*, detail: SourcedDetail) -> None:
    """Remove a value from another source at the customer's request, leaving no copy; that
    source's later files do not add that kind of information again."""
    SourcedRemoval.objects.get_or_create(
        customer_id=detail.customer_id, kind=detail.kind, source=detail.source
    )
    detail.delete()
