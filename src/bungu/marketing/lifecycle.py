"""Starting a campaign: its recipients fixed, once, from the segment as it is then."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction

from bungu import privacy

from .audiences import segment_members
from .exceptions import WrongState
from .models import Campaign, CampaignRecipient, CampaignState

INSERT_CHUNK = 2000


def _fix_reminder_recipients(campaign: Campaign, *, notice_version: int) -> int:
    """P24: the customers privacy says have neither been reminded of the version nor answered
    it, with an address; each noted as reminded in the same transaction (the reminder is on
    its way, or held back by their own choice at send time)."""
    ids = list(privacy.list_customers_to_remind(notice_version=notice_version))
    written = 0
    for start in range(0, len(ids), INSERT_CHUNK):
        chunk = ids[start : start + INSERT_CHUNK]
        addressed = (
            get_user_model()
            ._default_manager.filter(pk__in=chunk)
            .exclude(email="")
            .values_list("pk", flat=True)
        )
        rows = [CampaignRecipient(campaign_id=campaign.pk, customer_id=pk) for pk in addressed]
        CampaignRecipient.objects.bulk_create(rows)
        privacy.record_notice_reminders(notice_version=notice_version, subject_ids=chunk)
        written += len(rows)
    return written


def _fix_recipients(campaign: Campaign, *, now: datetime) -> int:
    if campaign.notice_version is not None:
        return _fix_reminder_recipients(campaign, notice_version=campaign.notice_version)
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
