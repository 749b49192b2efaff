"""Campaigns, their recipients (fixed when a campaign starts) and suppressed addresses."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from bungu.mail.return_tags import tagged_message_id

# A recipient whose sending failed this many times (the SMTP server answering 4xx, or not
# answering) is given up on.
MAX_ATTEMPTS = 5
MAX_RATE_PER_MINUTE = 600_000
# P5: what was sent to whom is kept this long after the campaign ends.
RECIPIENT_RETENTION_DAYS = 730


class CampaignState(models.TextChoices):
    DRAFT = "draft", "draft"
    SCHEDULED = "scheduled", "scheduled"
    SENDING = "sending", "sending"
    PAUSED = "paused", "paused"
    CANCELLED = "cancelled", "cancelled"
    DONE = "done", "done"


class CampaignKind(models.TextChoices):
    """What a campaign is; what each kind may be refused for and how it is written is in
    ``kinds.py``."""

    MARKETING = "marketing", "marketing e-mail"
    # P14: an offer the shop sends itself on behalf of a partner (``partner_models.py``).
    PARTNER_OFFER = "partner_offer", "offer on behalf of a partner"
    # P24: a reminder of a new notice version to the customers who have not answered it.
    NOTICE_REMINDER = "notice_reminder", "notice reminder (P24)"


class Campaign(models.Model):
    """One message written by staff for a segment of customers, or a reminder of a new
    notice version (its kind). Its recipients are fixed when it starts sending
    (``CampaignRecipient``)."""

    name = models.CharField(max_length=120, help_text="For staff only; customers never see it.")
    kind = models.CharField(
        max_length=20, choices=CampaignKind.choices, default=CampaignKind.MARKETING
    )
    subject = models.CharField(max_length=200)
    # What the staff member wrote; the marketing app's templates wrap it into the text and
    # HTML bodies (``bungu/marketing/templates/marketing/email/``).
    body = models.TextField()
    segment = models.CharField(max_length=40)
    # The notice version a reminder is about (notice reminders only).
    notice_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    segment_argument = models.CharField(max_length=200, blank=True)
    state = models.CharField(
        max_length=10, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    send_at = models.DateTimeField(null=True, blank=True)
    rate_per_minute = models.PositiveIntegerField(
        default=60_000,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RATE_PER_MINUTE)],
        help_text="At most this many messages a minute, all sending workers together.",
    )
    # The campaign's schedule, shared by all its sending workers (``pacing.py``): the Unix
    # time from which its next message may go. A float, so that one UPDATE can move it on in
    # the same arithmetic on SQLite and PostgreSQL.
    next_send_at = models.FloatField(default=0.0, editable=False)
    # Auto-pause: after this many errors in a row the campaign stops itself.
    max_consecutive_errors = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    consecutive_errors = models.PositiveIntegerField(default=0)
    pause_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="scheduled") | Q(send_at__isnull=False),
                name="campaign_scheduled_has_time",
            ),
            models.CheckConstraint(
                condition=Q(kind="notice_reminder", notice_version__isnull=False)
                | (~Q(kind="notice_reminder") & Q(notice_version__isnull=True)),
                name="campaign_reminder_names_its_notice",
            ),
            # P24: one reminder campaign per version, so nobody is reminded of it twice.
            models.UniqueConstraint(
                fields=["notice_version"],
                condition=Q(kind="notice_reminder"),
                name="campaign_one_reminder_per_notice",
            ),
        ]

    def __str__(self) -> str:
        return f"campaign #{self.pk} {self.name!r} ({self.state})"

    @property
    def is_editable(self) -> bool:
        return self.state == CampaignState.DRAFT

    @property
    def has_recipients(self) -> bool:
        return self.state in {
            CampaignState.SENDING,
            CampaignState.PAUSED,
            CampaignState.DONE,
        } or (self.state == CampaignState.CANCELLED and self.started_at is not None)


class RecipientState(models.TextChoices):
    PENDING = "pending", "waiting"
    # Claimed by a worker (``lease_owner``) until ``lease_expires_at``; once the lease has
    # expired, another worker may claim it again.
    CLAIMED = "claimed", "being sent"
    SENT = "sent", "sent"
    SKIPPED = "skipped", "skipped"
    FAILED = "failed", "failed"


class SkipReason(models.TextChoices):
    """Why a recipient was not sent the campaign, checked at send time."""

    ACCOUNT = "account", "the account is closed or has no address"
    PREFERENCES = "preferences", "the customer turned off this kind of e-mail (P21)"
    GPC = "gpc", "the customer's browser sent Global Privacy Control (P17)"
    SUPPRESSED = "suppressed", "the address is suppressed (bounce, complaint or list)"
    NOTICE = "notice", "the notice the address was given under does not allow it (P25)"
    # P14: a partner offer goes only where the notice's partner-offer practice allows it and
    # the customer did not say no to it; and only while the offer runs.
    PARTNER_OFFERS = "partner_offers", "the customer said no to offers for other businesses (P14)"
    OFFER_ENDED = "offer_ended", "the partner offer ended or its partner was stopped"


class RecipientQuerySet(models.QuerySet["CampaignRecipient"]):
    def claimable(self, now: datetime) -> RecipientQuerySet:
        """Waiting, or claimed by a worker whose lease has run out (it died, or was killed)."""
        return self.filter(
            Q(state=RecipientState.PENDING)
            | Q(state=RecipientState.CLAIMED, lease_expires_at__lt=now)
        )


class CampaignRecipient(models.Model):
    """One customer a campaign goes to: one row each, written when the campaign starts."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="campaign_receipts"
    )
    state = models.CharField(
        max_length=10, choices=RecipientState.choices, default=RecipientState.PENDING
    )
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    skip_reason = models.CharField(max_length=20, choices=SkipReason.choices, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    objects = RecipientQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer"], name="campaign_recipient_once"
            ),
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False),
                name="campaign_recipient_sent_has_time",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "state"], name="campaign_recipient_state")]

    def __str__(self) -> str:
        return f"recipient #{self.pk} of campaign {self.campaign_id} ({self.state})"

    def message_id(self, *, domain: str, address: str) -> str:
        """The Message-ID of its message to ``address``. The same on every attempt, so a
        message re-sent after a crash (the SMTP server took it, the worker died before noting
        so) is recognised as the same one. It carries the mail app's return tag for the
        address (P21: a bounce or complaint of it suppresses the address, with no row written
        per message). Letters between the numbers: no long run of digits for a card-number
        scan (P2)."""
        return tagged_message_id(stem=self._stem, address=address, domain=domain)

    def tracking_key(self, *, domain: str) -> str:
        """What its open record (P7) is kept by: the Message-ID of campaign mail before it
        carried a return tag. It needs no address, so the partner's report counts the opens
        of a customer who changed address since, and of campaigns sent before the tag."""
        return f"<{self._stem}@{domain}>"

    @property
    def _stem(self) -> str:
        return f"campaign{self.campaign_id}.recipient{self.pk}.bungu"


class Suppression(models.Model):
    """An address the shop must not send marketing to (a bounce, a complaint, a match with
    another company's list). Kept as a keyed digest of the normalised address, never the
    address itself. A minimal stand-in until ``bungu.mail`` has its own suppression list."""

    address_digest = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=100)
    source = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"suppression #{self.pk} ({self.reason})"


# P8: how long a comparison agreement may run, so its matches are kept no longer than this.
AGREEMENT_MAX_DAYS = 730
# The address normalisations an agreement may name (``suppressions.normalise_address``).
NORMALISATIONS = (("v1", "v1: trimmed and lower-cased"),)
COMPARISON_PURPOSE = "Avoid sending unnecessary messages"


class ComparisonAgreement(models.Model):
    """P8: an agreement with another company to compare customer lists, for one purpose only
    (not sending people messages they need not get). Staff record it; its expiry bounds every
    suppression the comparison leaves behind."""

    partner = models.CharField(max_length=200, help_text="The other company.")
    purpose = models.CharField(max_length=200, default=COMPARISON_PURPOSE, editable=False)
    notice_version = models.PositiveIntegerField(
        help_text="The version of the privacy notice the agreement was made under."
    )
    normalisation = models.CharField(max_length=10, choices=NORMALISATIONS, default="v1")
    expires_at = models.DateTimeField()
    reference = models.CharField(max_length=100, blank=True, help_text="The contract's reference.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"agreement #{self.pk} with {self.partner}"

    def clean(self) -> None:
        start = self.created_at or timezone.now()
        if self.expires_at and self.expires_at > start + timedelta(days=AGREEMENT_MAX_DAYS):
            raise ValidationError(
                {"expires_at": f"An agreement runs at most {AGREEMENT_MAX_DAYS} days (P5)."}
            )
        if self.expires_at and self.expires_at <= timezone.now() and self._state.adding:
            raise ValidationError({"expires_at": "The expiry is in the past."})

    def in_force(self, *, now: datetime | None = None) -> bool:
        return self.expires_at > (now or timezone.now())

    @property
    def source(self) -> str:
        """What a suppression this agreement caused names as its source."""
        return f"comparison agreement #{self.pk}"


class ComparisonMethod(models.TextChoices):
    HMAC = "hmac", "HMAC-SHA-256 under a key per exchange"
    PSI = "psi", "private set intersection"


class ComparisonExchange(models.Model):
    """One exchange under an agreement, with its own random key (P8: a key per exchange, so
    what two exchanges send cannot be joined, and without the key a dictionary of addresses
    reverses nothing): an HMAC key, or the shop's private key as the PSI client. The key is
    wiped once the comparison is done or the exchange expires; the partner's list is never
    stored, only the counts. A PSI exchange keeps, until then, the order in which it sent our
    own customers (``members``), to read the partner's answer back into them."""

    agreement = models.ForeignKey(
        ComparisonAgreement, on_delete=models.CASCADE, related_name="exchanges"
    )
    method = models.CharField(
        max_length=10, choices=ComparisonMethod.choices, default=ComparisonMethod.HMAC
    )
    key = models.CharField(max_length=64, blank=True, help_text="Hex; blank once used.")
    # PSI only: the request's random id and SHA-256, which the partner's answer must repeat.
    nonce = models.CharField(max_length=32, blank=True)
    request_sha256 = models.CharField(max_length=64, blank=True)
    # PSI only: per request element, our customer's id and a check of the address sent
    # (``psi.MEMBER``); emptied with the key.
    members = models.BinaryField(default=b"", blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    compared_at = models.DateTimeField(null=True, blank=True)
    lines = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"exchange #{self.pk} of {self.agreement}"

    @property
    def awaits_answer(self) -> bool:
        """A PSI exchange that can still be finished with the partner's answer."""
        return (
            self.method == ComparisonMethod.PSI
            and self.compared_at is None
            and bool(self.key)
            and (self.expires_at is None or self.expires_at > timezone.now())
        )


# P14: partners, their offers and the offer codes, in their own module (Django finds models
# imported here).
from .partner_models import OfferCode, Partner, PartnerOffer  # noqa: E402, F401
