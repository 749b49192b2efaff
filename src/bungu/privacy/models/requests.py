"""Privacy requests and concerns (P26), and those awaiting the e-mail link that verifies them."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from bungu.privacy.datamap.clocks import due_dates


# ---------------------------------------------------------------- privacy requests (P26)
class RequestKind(models.TextChoices):
    CONCERN = "concern", "a concern about how we handle your data"
    ACCESS = "access", "a copy of your data"
    DELETION = "deletion", "deleting your account and data"
    CORRECTION = "correction", "correcting your data"
    OPT_OUT = "opt_out", "opting out of a use of your data"


class RequestStatus(models.TextChoices):
    RECEIVED = "received", "received"
    CONFIRMED = "confirmed", "confirmed"
    IN_PROGRESS = "in_progress", "in progress"
    ANSWERED = "answered", "answered"
    CLOSED = "closed", "closed"


class Verification(models.TextChoices):
    """How the shop knows a request comes from the account holder (P26): nothing is released
    or erased for a request that is not verified one of these ways."""

    SIGNED_IN = "signed_in", "signed in to the account"
    EMAIL_LINK = "email_link", "by a link sent to the account's e-mail address"


class PrivacyRequestQuerySet(models.QuerySet["PrivacyRequest"]):
    def of(self, customer_id: int) -> PrivacyRequestQuerySet:
        return self.filter(customer_id=customer_id)

    def overdue(self, today: Any) -> PrivacyRequestQuerySet:
        """Not confirmed by the confirmation date, or not answered by the answer date."""
        late_confirm = models.Q(status=RequestStatus.RECEIVED, confirm_due__lt=today)
        late_answer = models.Q(answered_at__isnull=True, answer_due__lt=today) & ~models.Q(
            status=RequestStatus.CLOSED
        )
        return self.filter(late_confirm | late_answer)


class PrivacyRequest(models.Model):
    """A customer's privacy concern or request, tracked to an answer on the legal clocks (P26).

    The due dates are stored, not recomputed, so staff can filter on them and a later change
    to the rule cannot move a promise already made to a customer."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="privacy_requests"
    )
    kind = models.CharField(max_length=12, choices=RequestKind.choices)
    description = models.TextField(max_length=4000)
    status = models.CharField(
        max_length=12, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="privacy_requests_owned",
        limit_choices_to={"is_staff": True},
        help_text="The staff member answering it.",
    )
    received_at = models.DateTimeField(default=timezone.now)
    confirm_due = models.DateField("confirm by", editable=False)
    answer_due = models.DateField("answer by", editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    answered_at = models.DateTimeField(null=True, blank=True, editable=False)
    reply = models.TextField(
        "reply to the customer", blank=True, help_text="The customer reads this on their account."
    )
    verified_by = models.CharField(
        "verified", max_length=12, choices=Verification.choices, editable=False
    )

    objects: ClassVar[PrivacyRequestQuerySet] = PrivacyRequestQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-received_at"], name="privacyrequest_customer")
        ]

    def __str__(self) -> str:
        return f"Privacy request #{self.pk} ({self.get_kind_display()}), {self.status}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The clocks stop when a step is reached: the first time the status gets there.
        if self._state.adding:
            self.confirm_due, self.answer_due = due_dates(received_at=self.received_at)
        now = timezone.now()
        if self.status != RequestStatus.RECEIVED and self.confirmed_at is None:
            self.confirmed_at = now
        if (
            self.status in {RequestStatus.ANSWERED, RequestStatus.CLOSED}
            and self.answered_at is None
        ):
            self.answered_at = now
        super().save(*args, **kwargs)

    def is_overdue(self, today: Any) -> bool:
        if self.status == RequestStatus.RECEIVED and self.confirm_due < today:
            return True
        return (
            self.answered_at is None
            and self.status != RequestStatus.CLOSED
            and self.answer_due < today
        )


def new_link_nonce() -> str:
    return secrets.token_urlsafe(18)


class PendingPrivacyRequest(models.Model):
    """A privacy request made without signing in, waiting for the account holder to open the
    link e-mailed to the account's address (P26). Confirming it records the PrivacyRequest;
    the row stays until the link has expired, so a second click finds it already confirmed.

    What the visitor wrote is kept here rather than in the link: links end up in mail logs,
    browser histories and server access logs."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="pending_privacy_requests",
    )
    kind = models.CharField(max_length=12, choices=RequestKind.choices)
    description = models.TextField(max_length=4000)
    submitted_at = models.DateTimeField(default=timezone.now)
    # In the link beside the row's id: a link names this row and no later one with its id.
    nonce = models.CharField(max_length=32, unique=True, default=new_link_nonce, editable=False)
    request = models.OneToOneField(
        PrivacyRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pending",
        help_text="The request recorded when the link was confirmed.",
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        state = "confirmed" if self.request_id else "waiting for confirmation"
        return f"Pending privacy request #{self.pk} ({self.get_kind_display()}), {state}"
