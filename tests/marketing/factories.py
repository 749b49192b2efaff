"""factory_boy factories for campaigns."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from bungu.marketing import partners
from bungu.marketing.models import Campaign, Partner, PartnerOffer


class CampaignFactory(DjangoModelFactory):
    """A draft to everyone who signed up and never ordered."""

    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    subject = "New inks for {{ name }}"
    body = "Dear {{ name }},\n\nThe autumn inks are in at {{ shop_name }}."
    segment = "never_ordered"
    segment_argument = ""


class PartnerFactory(DjangoModelFactory):
    """A partner business under notice v1."""

    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Kami Paper Co. {n}")
    contact = "reports@kami.example"
    agreement_reference = factory.Sequence(lambda n: f"P14-{n}")
    notice_version = 1


def make_offer(
    partner: Partner | None = None,
    *,
    title: str = "10% off washi tape",
    days: int = 30,
    segment: str = "never_ordered",
    segment_argument: str = "",
) -> PartnerOffer:
    """An offer of the partner (a new one if none given) to a segment, as a draft campaign."""
    today = timezone.localdate()
    return partners.create_offer(
        partner_id=(partner or PartnerFactory()).pk,
        draft=partners.OfferDraft(
            title=title,
            subject="An offer for {{ name }}",
            text="Dear {{ name }},\n\nKami Paper gives you 10% off its washi tape.",
            valid_from=today,
            valid_until=today + datetime.timedelta(days=days),
            segment=segment,
            segment_argument=segment_argument,
        ),
    )
