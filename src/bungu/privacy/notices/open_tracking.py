"""P7: the customer's choice whether opens of the shop's e-mail are recorded, and the rule.

The choice is an entry of the consent ledger under its own practice name (``OPEN_TRACKING``),
given or withdrawn, like a GPC signal: it says nothing about the mail itself, so turning open
confirmations off never stops a newsletter (the notice's marketing practice is another key).

Without an answer on record the default follows the notice that binds this customer's
address (``may_use``: the notice in force now and the one in force when the address was
given, or a later one they consented to): opens may be recorded only where the binding
practice for that mail says ``open_tracking = true`` and offers a choice the customer has not
used; an opt-in practice needs the customer's yes. A Global Privacy Control signal on record
turns it off, unless the customer turned open confirmations on after the signal.

Nothing here reads an open: recording one is never an answer in the ledger (P7).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from bungu.privacy.datamap.taxonomy import Choice, DataCategory, Purpose
from bungu.privacy.models import ConsentEvent, ConsentKind, ConsentMethod
from bungu.privacy.notices.consent import (
    GPC_PRACTICE,
    Decision,
    Subject,
    UseRule,
    get_notice_in_force,
    subject_id,
)

# The ledger's practice name for the customer's answer about open confirmations.
OPEN_TRACKING = "email-open-tracking"


def _latest(subject: Subject, practice: str) -> ConsentEvent | None:
    return (
        ConsentEvent.objects.filter(subject_id=subject_id(subject), practice=practice)
        .order_by("-at", "-id")
        .first()
    )


def open_recording_answer(*, subject: Subject) -> bool | None:
    """The customer's own answer on open confirmations: True, False, or None (none given)."""
    event = _latest(subject, OPEN_TRACKING)
    return None if event is None else event.kind == ConsentKind.GIVEN


@transaction.atomic
def set_open_recording(
    *,
    subject: Subject,
    allowed: bool,
    method: ConsentMethod | str,
    page: str = "",
    at: datetime | None = None,
) -> ConsentEvent:
    """Write the customer's answer on open confirmations to the ledger (P7). It takes effect
    at once: every later open is judged by it. Raises NoNoticeInForce."""
    at = at or timezone.now()
    notice = get_notice_in_force(at=at)
    return ConsentEvent.objects.create(
        subject_id=subject_id(subject),
        kind=ConsentKind.GIVEN if allowed else ConsentKind.WITHDRAWN,
        notice=notice,
        practice=OPEN_TRACKING,
        at=at,
        method=ConsentMethod(method),
        page=page[:500],
    )


def may_record_opens(
    *,
    subject: Subject,
    purpose: Purpose | str,
    collected_at: datetime,
    now: datetime | None = None,
) -> Decision:
    """P7: may the shop record whether this customer opens its e-mail sent for ``purpose``
    to the address they gave at ``collected_at``? Raises ValueError for an unknown purpose
    or a collection in the future."""
    return _decide(UseRule.load(subject, now=now), purpose=purpose, collected_at=collected_at)


def may_record_opens_many(
    *,
    collected_at: Mapping[int, datetime],
    purpose: Purpose | str,
    subjects: Iterable[Subject] = (),
    now: datetime | None = None,
) -> dict[int, Decision]:
    """``may_record_opens`` for many customers at once (a campaign's batch), by customer id
    of ``collected_at``, with two queries in all. Raises like ``may_record_opens``."""
    given = {subject_id(subject): subject for subject in subjects}
    rules = UseRule.load_many([given.get(pk, pk) for pk in collected_at], now=now)
    return {
        pk: _decide(rules[pk], purpose=purpose, collected_at=moment)
        for pk, moment in collected_at.items()
    }


def _decide(rule: UseRule, *, purpose: Purpose | str, collected_at: datetime) -> Decision:
    mail = rule.may_use(
        data_category=DataCategory.EMAIL,
        purpose=purpose,
        recipient="shop",
        collected_at=collected_at,
    )
    if not mail:
        return Decision(False, f"This e-mail may not be sent: {mail.reason}")
    current = rule.notice_at(rule.now)
    basis = next((n for n in rule.notices if n.version == mail.basis_version), None)
    binding = [
        notice.practice_set.rule_for(DataCategory.EMAIL.value, Purpose(purpose).value, "shop")
        for notice in (current, basis)
        if notice is not None
    ]
    if not binding or not all(practice and practice.open_tracking for practice in binding):
        return Decision(False, "The notice that binds your address does not record opens.")
    choice = max((practice.choice for practice in binding if practice), key=lambda c: c.strength)
    answer = rule.answers.practices.get(OPEN_TRACKING)
    signal = rule.answers.practices.get(GPC_PRACTICE)
    if answer is not None and answer.kind == ConsentKind.WITHDRAWN:
        return Decision(False, "You turned open confirmations off.", OPEN_TRACKING)
    said_yes = answer is not None and answer.kind == ConsentKind.GIVEN
    gpc = signal is not None and signal.kind == ConsentKind.WITHDRAWN
    # The customer's yes counts over the signal only when it came after it.
    yes_since_signal = (
        said_yes
        and answer is not None
        and signal is not None
        and (answer.at, answer.id) > (signal.at, signal.id)
    )
    if gpc and not yes_since_signal:
        return Decision(
            False, "Your browser sent Global Privacy Control: an opt-out.", OPEN_TRACKING
        )
    if choice is Choice.OPT_IN and not said_yes:
        return Decision(False, "The notice asks for your yes first.", OPEN_TRACKING)
    how = "your choice" if said_yes else "the notice's default"
    return Decision(True, f"Allowed by {how}.", OPEN_TRACKING, mail.basis_version)
