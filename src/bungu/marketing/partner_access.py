"""P14: how a partner reaches its report and sends back redeemed codes: a signed link that
names the partner, the generation of its links (staff revoke every link by moving it on) and
its expiry. No account, no cookie: the link is the key, valid for one partner only and for a
set number of days (``MAX_LINK_DAYS`` at most)."""

from __future__ import annotations

import datetime

from django.core import signing
from django.utils import timezone

from .exceptions import BadPartnerLink
from .partner_models import Partner

SALT = "bungu.marketing.partner-link"
MAX_LINK_DAYS = 90
DEFAULT_LINK_DAYS = 30


def make_link_token(partner: Partner, *, days: int, now: datetime.datetime | None = None) -> str:
    """A token for the partner's pages, valid ``days`` days. Raises ValueError for a length
    outside 1..MAX_LINK_DAYS."""
    if not 1 <= days <= MAX_LINK_DAYS:
        raise ValueError(f"A link is valid 1 to {MAX_LINK_DAYS} days.")
    expires = (now or timezone.now()) + datetime.timedelta(days=days)
    return signing.dumps(
        {"p": partner.pk, "g": partner.link_generation, "e": int(expires.timestamp())},
        salt=SALT,
        compress=True,
    )


def link_expiry(token: str) -> datetime.datetime:
    """When a token (made here) stops working. Raises BadPartnerLink."""
    try:
        data = signing.loads(token, salt=SALT)
        return datetime.datetime.fromtimestamp(int(data["e"]), tz=datetime.UTC)
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise BadPartnerLink("This link is not valid.") from None


def partner_for_token(token: str, *, now: datetime.datetime | None = None) -> Partner:
    """The partner a link is for. Raises BadPartnerLink for a forged, expired or revoked link,
    or one of a stopped partner; the message says which, and names no one."""
    if len(token) > 500:
        raise BadPartnerLink("This link is not valid.")
    try:
        data = signing.loads(token, salt=SALT)
        partner_id, generation, expires = int(data["p"]), int(data["g"]), int(data["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise BadPartnerLink("This link is not valid.") from None
    if expires <= (now or timezone.now()).timestamp():
        raise BadPartnerLink("This link has expired: ask the shop for a new one.")
    partner = Partner.objects.filter(pk=partner_id).first()
    if partner is None or partner.link_generation != generation:
        raise BadPartnerLink("This link was withdrawn: ask the shop for a new one.")
    if not partner.active:
        raise BadPartnerLink("This partnership is stopped: ask the shop.")
    return partner
