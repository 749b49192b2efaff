"""Whether one customer may be sent a campaign now: asked of every recipient at send time,
not only when the segment was built, since a customer may say no in between."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser

from bungu import privacy
from bungu.mail.kinds import Category
from bungu.mail.preferences import get_preferences_many

from .kinds import rules_of
from .models import CampaignKind, SkipReason
from .suppressions import suppressed_among


@dataclass(frozen=True)
class Refusal:
    reason: SkipReason
    detail: str = ""


def _purpose(category: Category) -> privacy.Purpose:
    purpose = category.purpose
    if purpose is None:
        raise ValueError(f"{category.label}: a campaign is mail the customer can stop")
    return purpose


def address_of(customer: AbstractBaseUser) -> str:
    return str(getattr(customer, get_user_model().get_email_field_name(), "") or "")


def refusal_for(
    customer: AbstractBaseUser, *, now: datetime, kind: str = CampaignKind.MARKETING
) -> Refusal | None:
    """Why this customer must not get a campaign of this kind now, or None if they may (see
    ``refusals_for``)."""
    return refusals_for([customer], now=now, kind=kind)[int(customer.pk)]


def refusals_for(
    customers: Sequence[AbstractBaseUser], *, now: datetime, kind: str = CampaignKind.MARKETING
) -> dict[int, Refusal | None]:
    """Why each customer (by id) must not get a campaign of this kind now, or None if they
    may (what each kind honours is in ``kinds.py``):

    * P21: they turned this kind of e-mail off (marketing; e-mail about notice changes);
    * P17, marketing only: their browser sent Global Privacy Control, which the shop honours
      as an opt-out of its marketing e-mail too (the more protective reading), until they
      save their e-mail choices, marketing on, after the signal;
    * the address is suppressed: a bounce or a complaint (every kind), a list match or a
      staff entry (marketing only);
    * P25: the notice in force, and the one in force when they gave the address (the day
      the account was opened), must both allow that use of it, unless they consented to a
      later notice that does.

    Each kind of check is one query (two for the suppressions and for P25) for the whole
    batch, however many customers it holds.
    """
    rules = rules_of(kind)
    category = rules.category
    refusals: dict[int, Refusal | None] = {}
    open_ = []
    for customer in customers:
        if not customer.is_active or not address_of(customer):
            refusals[int(customer.pk)] = Refusal(SkipReason.ACCOUNT)
        else:
            open_.append(customer)
    preferences = get_preferences_many(user_ids=[int(c.pk) for c in open_])
    signals = privacy.find_gpc_signals(subjects=open_) if open_ and rules.honours_gpc else {}
    suppressed = suppressed_among(
        [address_of(c) for c in open_], now=now, lists=rules.honours_list_matches
    )
    collected_at: dict[int, datetime] = {}
    for customer in open_:
        pk = int(customer.pk)
        chosen = preferences[pk]
        signal = signals.get(pk)
        if not chosen.allows(category):
            refusals[pk] = Refusal(SkipReason.PREFERENCES)
        elif signal is not None and not (chosen.pk is not None and chosen.updated_at > signal.at):
            refusals[pk] = Refusal(SkipReason.GPC)
        elif address_of(customer) in suppressed:
            refusals[pk] = Refusal(SkipReason.SUPPRESSED)
        else:
            joined = getattr(customer, "date_joined", None)
            if not isinstance(joined, datetime):
                raise TypeError(
                    f"{type(customer).__name__} has no date_joined to date the address by"
                )
            collected_at[pk] = min(joined, now)
    if collected_at:
        decisions = privacy.may_use_many(
            subjects=open_,
            collected_at=collected_at,
            data_category=privacy.DataCategory.EMAIL,
            purpose=_purpose(category),
            recipient="shop",
            now=now,
        )
        for pk, decision in decisions.items():
            refusals[pk] = None if decision else Refusal(SkipReason.NOTICE, decision.reason)
    return refusals
