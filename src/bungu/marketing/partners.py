"""P14: the use cases of partner offers for staff: record a partner, write an offer (a
campaign of the shop to a segment), stop a partner, revoke its links, and forget offer codes
after their retention. Partners themselves reach only ``partner_report`` and
``redemptions`` through a signed link (``partner_access``)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import services
from .exceptions import OfferRefused
from .models import CampaignKind
from .partner_models import OFFER_CODE_RETENTION_DAYS, OfferCode, Partner, PartnerOffer


@dataclass(frozen=True)
class PartnerDraft:
    name: str
    contact: str
    agreement_reference: str
    notice_version: int


@dataclass(frozen=True)
class OfferDraft:
    """What a staff member writes for an offer (the form's cleaned data)."""

    title: str
    subject: str
    text: str
    valid_from: datetime.date
    valid_until: datetime.date
    segment: str
    segment_argument: str
    rate_per_minute: int = 60_000


def create_partner(*, draft: PartnerDraft) -> Partner:
    """Record a partner."""
    return Partner.objects.create(**draft.__dict__)


def set_partner_active(*, partner_id: int, active: bool) -> Partner:
    """Stop (or start again) a partner: a stopped partner's offers are not sent to anyone
    more and its links are refused."""
    Partner.objects.filter(pk=partner_id).update(active=active)
    return Partner.objects.get(pk=partner_id)


def revoke_partner_links(*, partner_id: int) -> Partner:
    """Every link given to the partner so far stops working."""
    Partner.objects.filter(pk=partner_id).update(link_generation=F("link_generation") + 1)
    return Partner.objects.get(pk=partner_id)


def offer_body(*, partner: Partner, draft: OfferDraft) -> str:
    """The campaign's body: the staff member's text, then what the customer must know (P14):
    whose offer it is, how long it runs, and that the partner gets no name or address, only
    counts (P7: opens among them, where the customer lets the shop note them). The code
    follows, each recipient's own (``content``)."""
    return (
        f"{draft.text.strip()}\n\n"
        f"This offer is from {partner.name}, sent to you by {{{{ shop_name }}}}. It runs from "
        f"{draft.valid_from:%Y-%m-%d} to {draft.valid_until:%Y-%m-%d}. Show your code to "
        f"{partner.name} to redeem it. {partner.name} does not receive your name, address "
        f"or e-mail address from us, only counts (offers sent, opened where you let us note "
        f"it, codes redeemed); it tells us only which codes were redeemed."
    )


@transaction.atomic
def create_offer(*, partner_id: int, draft: OfferDraft) -> PartnerOffer:
    """A new offer of the partner and its campaign, a draft to send from the campaign page.
    Raises OfferRefused (a stopped partner, an offer that ends before it starts or has
    ended), BadTemplate, UnknownSegment."""
    partner = Partner.objects.select_for_update().get(pk=partner_id)
    if not partner.active:
        raise OfferRefused(f"{partner.name} is stopped: start it again before a new offer.")
    if draft.valid_until < draft.valid_from:
        raise OfferRefused("The offer ends before it starts.")
    if draft.valid_until < timezone.localdate():
        raise OfferRefused("The offer has ended already.")
    campaign = services.create_campaign(
        draft=services.Draft(
            name=f"Offer of {partner.name}: {draft.title}"[:120],
            subject=draft.subject,
            body=offer_body(partner=partner, draft=draft),
            segment=draft.segment,
            segment_argument=draft.segment_argument,
            rate_per_minute=draft.rate_per_minute,
            max_consecutive_errors=10,
        )
    )
    campaign.kind = CampaignKind.PARTNER_OFFER
    campaign.save(update_fields=["kind"])
    return PartnerOffer.objects.create(
        partner=partner,
        title=draft.title,
        valid_from=draft.valid_from,
        valid_until=draft.valid_until,
        campaign=campaign,
    )


def prune_offer_codes(*, now: datetime.datetime) -> int:
    """P5: forget offer codes OFFER_CODE_RETENTION_DAYS after they were issued."""
    cutoff = now - datetime.timedelta(days=OFFER_CODE_RETENTION_DAYS)
    deleted, _ = OfferCode.objects.filter(issued_at__lt=cutoff).delete()
    return deleted
