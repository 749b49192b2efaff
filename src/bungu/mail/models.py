"""The outbox (every message the shop sends) and each customer's e-mail choices (P21)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.db.models import Q
from django.utils import timezone

from bungu.privacy import KeepsPriorVersions, PriorVersionsManager

from .kinds import Category, category_of

# After the n-th failed attempt, the next one waits RETRY_DELAYS[n - 1]; after the last, the
# message is failed for good.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# P5: how long the outbox keeps a message that is done with (sent, suppressed or failed).
OUTBOX_RETENTION_DAYS = 365
# P5: how long a bounce or complaint keeps the address from stoppable mail.
SUPPRESSION_RETENTION_DAYS = 730


class State(models.TextChoices):
    QUEUED = "queued", "queued"
    # Claimed by a worker that is talking to the SMTP server right now.
    SENDING = "sending", "sending"
    SENT = "sent", "sent"
    FAILED = "failed", "failed"
    # Not sent because the customer said no to this kind of mail (P21).
    SUPPRESSED = "suppressed", "suppressed"


class OutboxMessageQuerySet(models.QuerySet["OutboxMessage"]):
    def due(self, now: datetime) -> OutboxMessageQuerySet:
        return self.filter(state=State.QUEUED).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        )

    def done_before(self, moment: datetime) -> OutboxMessageQuerySet:
        return self.filter(
            state__in=[State.SENT, State.SUPPRESSED, State.FAILED], created_at__lt=moment
        )


class OutboxMessage(models.Model):
    """One message to one address, kept whether or not it could be sent."""

    to_address = models.EmailField("to", max_length=254)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbox_messages",
        help_text="The customer whose address this is, if they have an account.",
    )
    kind = models.CharField(max_length=64)
    from_address = models.CharField("from", max_length=254)
    subject = models.CharField(max_length=998)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    # Further headers to send (List-Unsubscribe, Reply-To ...), as a name -> value object.
    headers = models.JSONField(default=dict, blank=True)
    message_id = models.CharField("Message-ID", max_length=255, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Why a suppressed message was not sent: the customer's choice (P21) or the rule of P25.
    suppressed_reason = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # P22: the last e-mail to a deleted account keeps its address and text only until it is
    # delivered or given up on; then they are blanked (``forget_content``).
    erase_after_delivery = models.BooleanField(default=False)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["created_at"], name="outbox_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False),
                name="outbox_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        # No address or subject: the admin names a message by this, outside the privacy gate.
        return f"message #{self.pk} ({self.state})"

    @property
    def category(self) -> Category:
        return category_of(self.kind)

    def as_email(self, *, html_body: str | None = None) -> EmailMultiAlternatives:
        """The message as Django sends it: the same Message-ID on every attempt.
        ``html_body``: the HTML part as it goes out now (P7: with a tracking image), if not
        as it was queued."""
        email = EmailMultiAlternatives(
            subject=self.subject,
            body=self.text_body,
            from_email=self.from_address,
            to=[self.to_address],
            headers={**self.headers, "Message-ID": self.message_id},
        )
        html_body = self.html_body if html_body is None else html_body
        if html_body:
            email.attach_alternative(html_body, "text/html")
        return email

    def record_sent(self, *, at: datetime) -> None:
        self.state = State.SENT
        self.sent_at = at
        self.next_attempt_at = None
        self.last_error = ""

    @property
    def is_done(self) -> bool:
        """Sent, suppressed or failed for good: no attempt will follow."""
        return self.state in {State.SENT, State.SUPPRESSED, State.FAILED}

    # What ``forget_content`` empties: the address, what was written, and what could quote
    # either (the headers carry links signed for the recipient, an SMTP error the address).
    CONTENT_FIELDS = ("to_address", "subject", "text_body", "html_body", "headers", "last_error")

    def forget_content(self) -> None:
        """Blank the address and everything written to it, keeping that a message of this
        kind went and when (P22). Raises ValueError while a delivery may still follow."""
        if not self.is_done:
            raise ValueError("A message still to be delivered keeps its content.")
        self.to_address = self.subject = self.text_body = self.html_body = self.last_error = ""
        self.headers = {}

    def record_failure(self, error: str, *, at: datetime, permanent: bool) -> None:
        """Note a failed attempt: queued again after a pause, or failed for good."""
        self.last_error = error
        if permanent or self.attempts >= MAX_ATTEMPTS:
            self.state = State.FAILED
            self.next_attempt_at = None
        else:
            self.state = State.QUEUED
            self.next_attempt_at = at + RETRY_DELAYS[max(self.attempts, 1) - 1]


# The categories a customer can turn off, and the field that holds each switch.
PREFERENCE_FIELDS: dict[Category, str] = {
    Category.MARKETING: "marketing",
    Category.OTHER: "other_mail",
    Category.LEGAL: "legal_notices",
    Category.PARTNER_OFFERS: "partner_offers",
}


class MailPreferences(KeepsPriorVersions):
    """Which mail a customer wants (P21). No row means the defaults: the notice makes each of
    these an opt-out, so all are on until the customer turns them off."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_preferences"
    )
    marketing = models.BooleanField("marketing e-mail", default=True)
    other_mail = models.BooleanField("service news and other e-mail", default=True)
    # P21: even legal notices may be stopped by e-mail; they apply all the same (P24).
    legal_notices = models.BooleanField("changes to the privacy notice by e-mail", default=True)
    # P14: offers the shop sends for other businesses (marketing too: both switches must be on).
    partner_offers = models.BooleanField("offers for other businesses", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PriorVersionsManager()

    class Meta:
        verbose_name = "mail preferences"
        verbose_name_plural = "mail preferences"

    def __str__(self) -> str:
        return f"mail preferences of user {self.user_id}"

    def allows(self, category: Category) -> bool:
        field = PREFERENCE_FIELDS.get(category)
        return True if field is None else bool(getattr(self, field))

    def set(self, category: Category, *, allowed: bool) -> None:
        """Raises ValueError for a category a customer cannot turn off."""
        field = PREFERENCE_FIELDS.get(category)
        if field is None:
            raise ValueError(f"{category.label} cannot be turned off")
        setattr(self, field, allowed)

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in PREFERENCE_FIELDS.values()}


# P5: how long a record of opens is kept after the message went.
OPEN_RETENTION_DAYS = 180


class OpenTracking(models.Model):
    """P7: a message that went out with a tracking image, and the opens it reported.

    One row per message, made only when the customer's choice allowed the image
    (``bungu.mail.opens``); counters, not a row per fetch, so a forwarded image fetched a
    thousand times costs no more room than one. Fetches that look like a mail privacy proxy
    loading images ahead of any reader are counted apart and never as opens. Neither the
    address a fetch came from nor its browser string is kept: only the verdict."""

    # The outbox message; empty for mail sent on another path (a campaign's own SMTP
    # connection), which names its kind below instead.
    message = models.OneToOneField(
        OutboxMessage,
        on_delete=models.CASCADE,
        related_name="open_tracking",
        null=True,
        blank=True,
    )
    kind = models.CharField(max_length=64, blank=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_open_trackings"
    )
    # An HMAC of the message's Message-ID: the image's address names neither the customer nor
    # their address, and cannot be guessed from the (public) Message-ID.
    token = models.CharField(max_length=64, unique=True)
    added_at = models.DateTimeField("tracking image added", default=timezone.now)
    first_opened_at = models.DateTimeField("first opened", null=True, blank=True)
    last_opened_at = models.DateTimeField("last opened", null=True, blank=True)
    opens = models.PositiveIntegerField("times opened", default=0)
    proxy_fetches = models.PositiveIntegerField("image fetched by a mail privacy proxy", default=0)
    last_proxy_reason = models.CharField(
        "why a fetch was taken for a proxy", max_length=100, blank=True
    )

    class Meta:
        verbose_name = "e-mail open confirmation"
        verbose_name_plural = "e-mail open confirmations"
        ordering = ["-added_at", "-id"]

    def __str__(self) -> str:
        return f"open confirmations of message #{self.message_id or self.token[:8]}"


class SuppressionKind(models.TextChoices):
    # The address does not take mail (a permanent bounce).
    BOUNCE = "bounce", "bounced"
    # The person marked our mail as spam.
    COMPLAINT = "complaint", "complaint"


class MailSuppression(models.Model):
    """An address the shop stops sending stoppable mail to (marketing, other mail, legal
    notices), as reported by the e-mail delivery service (P13: through the agents' API) or by
    returned mail (``bungu.mail.returns``). Read through ``services.is_suppressed``."""

    # Kept in lower case, as it is compared.
    address = models.EmailField(max_length=254)
    kind = models.CharField(max_length=10, choices=SuppressionKind.choices)
    # Who reported it: "agent:mail_delivery Postmark", "returned mail", or "staff #3".
    source = models.CharField(max_length=160)
    # The report's own words (a bounce's diagnostic), shortened; may quote the address.
    detail = models.CharField(max_length=300, blank=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mail_suppressions",
        help_text="The customer whose address this is, if they have an account.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["address", "kind"], name="suppression_once_per_kind")
        ]

    def __str__(self) -> str:
        # No address: the admin names a row by this.
        return f"suppression #{self.pk} ({self.kind})"
