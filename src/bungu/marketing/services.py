"""The campaign use cases: write, preview, start now or at a set time, pause, resume,
cancel, follow progress, and the sending loop the worker runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from bungu import privacy

from . import transport
from .audiences import segment_members
from .content import RenderedMessage, check_placeholders, render_message
from .exceptions import UnknownNotice, WrongState
from .lifecycle import begin_campaign
from .models import (
    RECIPIENT_RETENTION_DAYS,
    Campaign,
    CampaignKind,
    CampaignRecipient,
    CampaignState,
    RecipientState,
)
from .tasks import schedule_sending

SAMPLE_OFFER_CODE = "XXXX-XXXX-XXXX (each customer's own)"


@dataclass(frozen=True)
class Draft:
    """What a staff member writes (the form's cleaned data)."""

    name: str
    subject: str
    body: str
    segment: str
    segment_argument: str
    rate_per_minute: int
    max_consecutive_errors: int


def _check(draft: Draft, *, now: datetime) -> None:
    check_placeholders(draft.subject)
    check_placeholders(draft.body)
    segment_members(key=draft.segment, argument=draft.segment_argument, now=now)


def create_campaign(*, draft: Draft) -> Campaign:
    """A new draft. Raises BadTemplate or UnknownSegment."""
    _check(draft, now=timezone.now())
    return Campaign.objects.create(
        name=draft.name,
        subject=draft.subject,
        body=draft.body,
        segment=draft.segment,
        segment_argument=draft.segment_argument,
        rate_per_minute=draft.rate_per_minute,
        max_consecutive_errors=draft.max_consecutive_errors,
    )


@transaction.atomic
def update_campaign(*, campaign_id: int, draft: Draft) -> Campaign:
    """Rewrite a draft. Raises WrongState once it was scheduled or sent, BadTemplate,
    UnknownSegment."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if not campaign.is_editable:
        raise WrongState(f"A {campaign.state} campaign can no longer be changed.")
    _check(draft, now=timezone.now())
    for name, value in draft.__dict__.items():
        setattr(campaign, name, value)
    campaign.save()
    return campaign


def preview_campaign(
    campaign: Campaign, *, sample: int | None, actor: AbstractBaseUser
) -> tuple[RenderedMessage, int | None]:
    """The message as a customer of the segment would get it: the sample customer's name is
    read through the privacy gate for marketing e-mail (logged in their access log, P13).
    Returns the message and the customer shown (None: a made-up one)."""
    if campaign.notice_version is not None:
        # A reminder names nobody: shown as it reads for a customer asked to answer.
        message = transport.prepare(campaign)
        shown = message.asking or message.plain
        return shown.for_customer(name="", unsubscribe_url="#unsubscribe"), None
    members = segment_members(
        key=campaign.segment, argument=campaign.segment_argument, now=timezone.now()
    )
    customer_id = (
        members.filter(pk=sample).values_list("pk", flat=True).first()
        if sample is not None
        else members.values_list("pk", flat=True).first()
    )
    name = "Sample Customer"
    if customer_id is not None:
        try:
            data = privacy.access(
                subject=customer_id,
                purpose=privacy.Purpose.MARKETING_EMAIL,
                actor=actor,
                fields=["accounts.User.name"],
            )
            name = str(data.value("accounts.User.name") or "")
        except privacy.PurposeNotAllowed:
            # P21, P25: this customer said no (the refusal is logged); the send skips them too.
            name = "(name withheld: this customer may not be sent marketing e-mail)"
    rendered = render_message(
        subject=campaign.subject,
        body=campaign.body,
        name=name,
        unsubscribe_url="#unsubscribe",
        preferences_url="#preferences",
        # P14: each recipient of a partner offer gets a code of their own, in this place.
        offer_code=SAMPLE_OFFER_CODE if campaign.kind == CampaignKind.PARTNER_OFFER else "",
    )
    return rendered, customer_id


def start_campaign(*, campaign_id: int, now: datetime | None = None) -> Campaign:
    """Fix the recipients (the segment as it is now) and start sending. Raises WrongState
    unless the campaign is a draft or scheduled, UnknownSegment."""
    with transaction.atomic():
        campaign = begin_campaign(campaign_id=campaign_id, now=now or timezone.now())
        transaction.on_commit(schedule_sending)
    return campaign


def start_notice_reminders(*, notice_version: int, now: datetime | None = None) -> Campaign | None:
    """P24: remind the customers who had an account before a notice version took effect and
    have not answered it, as a campaign of the notice-reminder kind (leased sending, progress
    in the back office, resumption after a crash, rate limits). Once per version: None when
    its reminder campaign exists already or nobody is left to remind. Raises UnknownNotice."""
    now = now or timezone.now()
    try:
        reminder = privacy.notice_reminder(notice_version=notice_version, now=now)
        anyone = privacy.list_customers_to_remind(notice_version=notice_version).exists()
    except ObjectDoesNotExist:
        raise UnknownNotice(f"There is no notice version {notice_version}.") from None
    if (
        not anyone
        or Campaign.objects.filter(
            kind=CampaignKind.NOTICE_REMINDER, notice_version=notice_version
        ).exists()
    ):
        return None
    try:
        with transaction.atomic():
            campaign = Campaign.objects.create(
                name=f"Reminder of notice version {notice_version}",
                kind=CampaignKind.NOTICE_REMINDER,
                notice_version=notice_version,
                subject=reminder.subject,
                # What most recipients read; those asked to answer get ``asking_text``.
                body=reminder.text,
                segment="",
                created_at=now,
            )
            campaign = begin_campaign(campaign_id=campaign.pk, now=now)
            transaction.on_commit(schedule_sending)
    except IntegrityError:  # another worker started it at the same moment
        return None
    return campaign


@transaction.atomic
def schedule_campaign(*, campaign_id: int, send_at: datetime) -> Campaign:
    """Send the draft at a set time. Raises WrongState, or ValueError for a time past."""
    if send_at <= timezone.now():
        raise ValueError("Choose a time in the future, or send it now.")
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.state not in {CampaignState.DRAFT, CampaignState.SCHEDULED}:
        raise WrongState(f"A {campaign.state} campaign cannot be scheduled.")
    campaign.state = CampaignState.SCHEDULED
    campaign.send_at = send_at
    campaign.save(update_fields=["state", "send_at"])
    transaction.on_commit(partial(schedule_sending, run_after=send_at))
    return campaign


def _move(campaign_id: int, *, allowed: set[str], to: str, **fields: object) -> Campaign:
    moved = Campaign.objects.filter(pk=campaign_id, state__in=allowed).update(state=to, **fields)
    campaign = Campaign.objects.get(pk=campaign_id)
    if not moved:
        raise WrongState(f"A {campaign.state} campaign cannot be {to}.")
    return campaign


def pause_campaign(*, campaign_id: int) -> Campaign:
    """Stop sending for now; workers give back what they hold. Raises WrongState."""
    return _move(
        campaign_id,
        allowed={CampaignState.SENDING},
        to=CampaignState.PAUSED,
        pause_reason="Paused by staff.",
    )


def resume_campaign(*, campaign_id: int) -> Campaign:
    """Go on sending a paused campaign. Raises WrongState."""
    with transaction.atomic():
        campaign = _move(
            campaign_id,
            allowed={CampaignState.PAUSED},
            to=CampaignState.SENDING,
            pause_reason="",
            consecutive_errors=0,
        )
        transaction.on_commit(schedule_sending)
    return campaign


def cancel_campaign(*, campaign_id: int, now: datetime | None = None) -> Campaign:
    """Send nothing more: the recipients not yet sent to stay as they are. Raises
    WrongState for a campaign that is done or cancelled already."""
    return _move(
        campaign_id,
        allowed={
            CampaignState.DRAFT,
            CampaignState.SCHEDULED,
            CampaignState.SENDING,
            CampaignState.PAUSED,
        },
        to=CampaignState.CANCELLED,
        finished_at=now or timezone.now(),
    )


@dataclass(frozen=True)
class Progress:
    sent: int
    skipped: int
    failed: int
    remaining: int
    skipped_by_reason: dict[str, int]

    @property
    def total(self) -> int:
        return self.sent + self.skipped + self.failed + self.remaining


def campaign_progress(campaign: Campaign) -> Progress:
    """How far the campaign is (two queries)."""
    counts = dict(
        CampaignRecipient.objects.filter(campaign_id=campaign.pk)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    reasons = dict(
        CampaignRecipient.objects.filter(campaign_id=campaign.pk, state=RecipientState.SKIPPED)
        .values_list("skip_reason")
        .annotate(n=Count("pk"))
        .values_list("skip_reason", "n")
    )
    return Progress(
        sent=counts.get(RecipientState.SENT, 0),
        skipped=counts.get(RecipientState.SKIPPED, 0),
        failed=counts.get(RecipientState.FAILED, 0),
        remaining=counts.get(RecipientState.PENDING, 0) + counts.get(RecipientState.CLAIMED, 0),
        skipped_by_reason=reasons,
    )


def prune_recipients(*, now: datetime) -> int:
    """P5: forget whom a campaign went to RECIPIENT_RETENTION_DAYS after it ended."""
    cutoff = now - timedelta(days=RECIPIENT_RETENTION_DAYS)
    deleted, _ = CampaignRecipient.objects.filter(campaign__finished_at__lt=cutoff).delete()
    return deleted
