"""Each customer's e-mail choices (P21) and the rule that reads them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from bungu import privacy

from .kinds import Category, category_of
from .models import PREFERENCE_FIELDS, MailPreferences


def get_preferences(*, user: AbstractBaseUser) -> MailPreferences:
    """The customer's choices; the (unsaved) defaults if they never made any."""
    found = MailPreferences.objects.filter(user_id=user.pk).first()
    return found if found is not None else MailPreferences(user_id=user.pk)


def get_preferences_many(*, user_ids: Iterable[int]) -> dict[int, MailPreferences]:
    """``get_preferences`` for many customers with one query, by customer id."""
    ids = set(user_ids)
    found = {p.user_id: p for p in MailPreferences.objects.filter(user_id__in=ids)}
    return {pk: found.get(pk) or MailPreferences(user_id=pk) for pk in ids}


def send_refusal(*, user: AbstractBaseUser | None, kind: str) -> str | None:
    """Why the shop may not e-mail this kind of message, or None if it may. Account security
    and transactional mail always go. Mail the customer can stop goes only if their choice
    (P21) and the rule of P25 allow it: the notice in force, and the one in force when they
    gave the address (the day the account was opened), must both allow that use of it, unless
    they have consented to a later notice that does. Marketing goes only to customers with an
    account, whose choice is on record and who can turn it off. Raises UnknownMailKind."""
    category = category_of(kind)
    if not category.may_be_stopped:
        return None
    if user is None:
        return (
            "No account: marketing needs a choice on record."
            if category in {Category.MARKETING, Category.PARTNER_OFFERS}
            else None
        )
    chosen = get_preferences(user=user)
    if not chosen.allows(category):
        return f"The customer turned off {category.label}."
    # P14: an offer for another business is marketing e-mail as well.
    if category is Category.PARTNER_OFFERS and not chosen.allows(Category.MARKETING):
        return f"The customer turned off {Category.MARKETING.label}."
    purpose = category.purpose
    if purpose is None:
        return None
    # The shop's user model keeps the day the account was opened; AbstractBaseUser does not
    # promise it, so it is read by name.
    joined = getattr(user, "date_joined", None)
    if not isinstance(joined, datetime):
        raise TypeError(f"{type(user).__name__} has no date_joined to date the address by")
    decision = privacy.may_use(
        subject=user,
        data_category=privacy.DataCategory.EMAIL,
        purpose=purpose,
        recipient="shop",
        collected_at=min(joined, timezone.now()),
    )
    return None if decision else decision.reason


def may_send(*, user: AbstractBaseUser | None, kind: str) -> bool:
    """Whether the shop may e-mail this kind of message (see ``send_refusal``)."""
    return send_refusal(user=user, kind=kind) is None


@transaction.atomic
def set_preferences(
    *,
    user: AbstractBaseUser,
    choices: Mapping[Category, bool],
    method: privacy.ConsentMethod | str,
    page: str = "",
) -> MailPreferences:
    """Save the customer's choices; each change to marketing or legal notices is also written
    to the consent ledger as an opt-out or opt-in of that practice of the notice (P21, P24),
    so the rule of P25 sees it. Raises ValueError for a category that cannot be turned off."""
    preferences, _ = MailPreferences.objects.select_for_update().get_or_create(user_id=user.pk)
    changed: list[tuple[Category, bool]] = []
    for category, allowed in choices.items():
        if category not in PREFERENCE_FIELDS:
            raise ValueError(f"{category.label} cannot be turned off")
        if preferences.allows(category) != allowed:
            preferences.set(category, allowed=allowed)
            changed.append((category, allowed))
    if changed:
        preferences.save()
    for category, allowed in changed:
        _record_in_ledger(user=user, category=category, allowed=allowed, method=method, page=page)
    return preferences


def _record_in_ledger(
    *,
    user: AbstractBaseUser,
    category: Category,
    allowed: bool,
    method: privacy.ConsentMethod | str,
    page: str,
) -> None:
    practice = category.ledger_practice
    if not practice:
        return
    record = privacy.record_consent if allowed else privacy.withdraw_consent
    try:
        record(subject=user, method=method, practice=practice, page=page)
    except (privacy.NoNoticeInForce, privacy.UnknownPractice):
        # No notice in force, or one without this practice: there is nothing to opt out of,
        # and the preference above is what stops the mail.
        return
