"""Addresses the shop must not send marketing to: bounces, complaints, list matches.

A minimal list of its own until ``bungu.mail`` keeps one (then ``is_suppressed`` moves
there, with the same signature). The address is never stored: only an HMAC of its
normalised form, keyed with the shop's secret, so the table cannot be read back into
addresses with a dictionary.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import Suppression

_SALT = "bungu.marketing.suppression"


def normalise_address(address: str) -> str:
    """Version 1 of the normalisation: trimmed and lower-cased, nothing else (a provider's
    dots and plus-tags are its own business)."""
    return address.strip().lower()


def address_digest(address: str) -> str:
    return salted_hmac(_SALT, normalise_address(address), algorithm="sha256").hexdigest()


def suppress_address(
    *, address: str, reason: str, source: str, days: int | None = None
) -> Suppression:
    """Add (or renew) a suppression; ``days``: how long it lasts, None for good."""
    expires = None if days is None else timezone.now() + timedelta(days=days)
    suppression, _ = Suppression.objects.update_or_create(
        address_digest=address_digest(address),
        defaults={"reason": reason[:100], "source": source[:100], "expires_at": expires},
    )
    return suppression


def is_suppressed(address: str, *, now: datetime | None = None) -> bool:
    """Whether marketing to this address is suppressed now."""
    now = now or timezone.now()
    return (
        Suppression.objects.filter(address_digest=address_digest(address))
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .exists()
    )
