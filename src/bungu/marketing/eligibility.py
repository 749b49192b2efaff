"""Whether one customer may be sent a campaign now: asked of every recipient at send time,
not only when the segment was built, since a customer may say no in between."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser

from bungu import privacy
from bungu.mail.kinds import Category
from bungu.mail.preferences import get_preferences

from .models import SkipReason
from .suppressions import is_suppressed


@dataclass(frozen=True)
class Refusal:
    reason: SkipReason
    detail: str = ""


def address_of(customer: AbstractBaseUser) -> str:
    return str(getattr(customer, get_user_model().get_email_field_name(), "") or "")


def refusal_for(customer: AbstractBaseUser, *, now: datetime) -> Refusal | None:
    """Why this customer must not get marketing e-mail now, or None if they may:

    * P21: they turned marketing e-mail off;
    * P17: their browser sent Global Privacy Control, which the shop honours as an opt-out
      of its marketing e-mail too (the more protective reading), until they save their
      e-mail choices, marketing on, after the signal;
    * the address is suppressed (a bounce, a complaint, a list match);
    * P25: the notice in force, and the one in force when they gave the address (the day
      the account was opened), must both allow marketing e-mail, unless they consented to
      a later notice that does.
    """
    address = address_of(customer)
    if not customer.is_active or not address:
        return Refusal(SkipReason.ACCOUNT)
    preferences = get_preferences(user=customer)
    if not preferences.allows(Category.MARKETING):
        return Refusal(SkipReason.PREFERENCES)
    signal = privacy.find_gpc_signal(subject=customer)
    if signal is not None:
        chosen_since = preferences.pk is not None and preferences.updated_at > signal.at
        if not chosen_since:
            return Refusal(SkipReason.GPC)
    if is_suppressed(address, now=now):
        return Refusal(SkipReason.SUPPRESSED)
    joined = getattr(customer, "date_joined", None)
    if not isinstance(joined, datetime):
        raise TypeError(f"{type(customer).__name__} has no date_joined to date the address by")
    decision = privacy.may_use(
        subject=customer,
        data_category=privacy.DataCategory.EMAIL,
        purpose=privacy.Purpose.MARKETING_EMAIL,
        recipient="shop",
        collected_at=min(joined, now),
        now=now,
    )
    if not decision:
        return Refusal(SkipReason.NOTICE, decision.reason)
    return None
