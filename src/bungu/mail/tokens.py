"""Signed one-click unsubscribe links (RFC 8058): they work without signing in, so the
signature is the only thing that says which customer and which kind of mail they stop."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .exceptions import BadUnsubscribeLink
from .kinds import Category

SALT = "bungu.mail.unsubscribe"
# A real token is about 80 characters; anything far longer is not worth decoding.
MAX_TOKEN_LENGTH = 400


def make_unsubscribe_token(*, user_id: int, category: Category) -> str:
    if not category.may_be_stopped:
        raise ValueError(f"{category.label} cannot be unsubscribed from")
    return signing.dumps({"u": user_id, "c": category.value}, salt=SALT)


def read_unsubscribe_token(token: str) -> tuple[int, Category]:
    """The customer id and category a token names. Raises BadUnsubscribeLink if the token was
    altered or is older than BUNGU_UNSUBSCRIBE_LINK_DAYS."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise BadUnsubscribeLink("This unsubscribe link is not valid.")
    max_age = timedelta(days=settings.BUNGU_UNSUBSCRIBE_LINK_DAYS)
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise BadUnsubscribeLink("This unsubscribe link has expired.") from None
    except signing.BadSignature:
        raise BadUnsubscribeLink("This unsubscribe link is not valid.") from None
    try:
        user_id = payload["u"]
        category = Category(payload["c"])
    except (TypeError, KeyError, ValueError):
        raise BadUnsubscribeLink("This unsubscribe link is not valid.") from None
    if not isinstance(user_id, int) or not category.may_be_stopped:
        raise BadUnsubscribeLink("This unsubscribe link is not valid.")
    return user_id, category


def unsubscribe_url(*, user_id: int, category: Category) -> str:
    """The absolute address of the link, for a mail (no request to build it from)."""
    token = make_unsubscribe_token(user_id=user_id, category=category)
    return settings.BUNGU_SITE_URL + reverse("mail:unsubscribe", kwargs={"token": token})


def unsubscribe_urls(*, user_ids: Iterable[int], category: Category) -> dict[int, str]:
    """``unsubscribe_url`` for many customers (a campaign's batch), the address resolved
    once, by customer id."""
    placeholder = "bungutoken"
    base = settings.BUNGU_SITE_URL + reverse("mail:unsubscribe", kwargs={"token": placeholder})
    before, _, after = base.rpartition(placeholder)
    return {
        pk: before + make_unsubscribe_token(user_id=pk, category=category) + after
        for pk in user_ids
    }
