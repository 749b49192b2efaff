"""factory_boy factories for campaigns."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from bungu.marketing.models import Campaign


class CampaignFactory(DjangoModelFactory):
    """A draft to everyone who signed up and never ordered."""

    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    subject = "New inks for {{ name }}"
    body = "Dear {{ name }},\n\nThe autumn inks are in at {{ shop_name }}."
    segment = "never_ordered"
    segment_argument = ""
