"""Addresses the shop must not send marketing to.

Two lists answer together: the bounces and complaints the e-mail delivery service reports
(``bungu.mail``'s suppressions, which hold back every mail a customer could stop), and
marketing's own entries with an expiry (matches from a list comparison, a staff entry).
Marketing's own never store the address: only an HMAC of its normalised form, keyed with
the shop's secret, so the table cannot be read back into addresses with a dictionary.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from bungu.mail import services as mail_services

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
    """Whether marketing to this address is suppressed now: a bounce or a complaint the mail
    app recorded, or an entry of marketing's own that has not expired."""
    return bool(suppressed_among([address], now=now))


def suppressed_among(
    addresses: Iterable[str], *, now: datetime | None = None, lists: bool = True
) -> set[str]:
    """Which of the addresses ``is_suppressed`` holds back now, with two queries for all of
    them (a campaign's batch); returned as given. ``lists=False``: only the bounces and
    complaints count, not marketing's own entries (a notice reminder, ``kinds.py``)."""
    addresses = list(addresses)
    if not addresses:
        return set()
    suppressed = mail_services.suppressed_among(addresses)
    if not lists:
        return suppressed
    now = now or timezone.now()
    digest_of = {address: address_digest(address) for address in addresses}
    ours = set(
        Suppression.objects.filter(address_digest__in=set(digest_of.values()))
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values_list("address_digest", flat=True)
    )
    return suppressed | {address for address, digest in digest_of.items() if digest in ours}
