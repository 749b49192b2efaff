"""Starting a campaign: its recipients fixed, once, from the segment as it is then."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from .audiences import segment_members
from .exceptions import WrongState
from .models import Campaign, CampaignRecipient, CampaignState

INSERT_CHUNK = 2000


def _fix_recipients(campaign: Campaign, *, now: datetime) -> int:
    members = segment_members(
        key=campaign.segment, argument=campaign.segment_argument, now=now
    ).values_list("pk", flat=True)
    written = 0
    chunk: list[CampaignRecipient] = []
    for customer_id in members.iterator(chunk_size=INSERT_CHUNK):
        chunk.append(CampaignRecipient(campaign_id=campaign.pk, customer_id=customer_id))
        if len(chunk) >= INSERT_CHUNK:
            CampaignRecipient.objects.bulk_create(chunk)
            written += len(chunk)
            chunk = []
    CampaignRecipient.objects.bulk_create(chunk)
    return written + len(chunk)


@transaction.atomic
def begin_campaign(*, campaign_id: int, now: datetime) -> Campaign:
    """Fix the recipients and mark the campaign sending (the caller has the worker told).
    Raises WrongState unless it is a draft or scheduled, UnknownSegment."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.state not in {CampaignState.DRAFT, CampaignState.SCHEDULED}:
        raise WrongState(f"A {campaign.state} campaign cannot be started.")
    _fix_recipients(campaign, now=now)
    campaign.state = CampaignState.SENDING
    campaign.started_at = now
    campaign.save(update_fields=["state", "started_at"])
    return campaign
