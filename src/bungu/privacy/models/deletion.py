"""Account deletion (P22): the requests with their grace period, and the erasure journal."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from bungu.privacy.models.append_only import AppendOnly, AppendOnlyQuerySet


# ---------------------------------------------------------------- account deletion (P22)
class AccountDeletionQuerySet(models.QuerySet["AccountDeletion"]):
    def pending(self) -> AccountDeletionQuerySet:
        return self.filter(cancelled_at__isnull=True, completed_at__isnull=True)

    def due(self, now: datetime) -> AccountDeletionQuerySet:
        return self.pending().filter(due_at__lte=now)


class AccountDeletion(models.Model):
    """A customer asked to delete their account. Nothing is erased until ``due_at``: until
    then they can sign in and cancel. Kept after the erasure as the proof it was done."""

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="account_deletions"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField("erased from")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[AccountDeletionQuerySet] = AccountDeletionQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject"],
                condition=models.Q(cancelled_at__isnull=True, completed_at__isnull=True),
                name="accountdeletion_one_pending",
            ),
            models.CheckConstraint(
                condition=models.Q(cancelled_at__isnull=True) | models.Q(completed_at__isnull=True),
                name="accountdeletion_cancelled_or_completed",
            ),
        ]

    def __str__(self) -> str:
        return f"Deletion of account #{self.subject_id} due {self.due_at:%Y-%m-%d}"

    @property
    def is_pending(self) -> bool:
        return self.cancelled_at is None and self.completed_at is None


class ErasureAction(models.TextChoices):
    DELETED = "deleted", "rows deleted"
    BLANKED = "blanked", "field emptied"
    ANONYMISED = "anonymised", "field replaced by a placeholder"
    # An append-only record about the customer (the access log): its content is kept and it
    # becomes anonymous because the account it names is anonymised.
    UNLINKED = "unlinked", "kept, naming only the anonymised account"
    KEPT = "kept", "kept for the law"


class ErasureJournalEntry(AppendOnly):
    """One step of an erasure: which rows of which model, which fields, which rule, when and
    by whom. Never the values: the journal is replayed after a backup restore brings erased
    data back, and must not bring it back itself.

    The account is named by its number, not a foreign key: the journal is the shop's record
    of its own acts and is not about a customer in the data map's sense."""

    at = models.DateTimeField(default=timezone.now)
    account_ref = models.PositiveBigIntegerField("account number")
    model = models.CharField(max_length=100)
    fields = models.JSONField(default=list)
    rule = models.CharField(max_length=20)
    action = models.CharField(max_length=12, choices=ErasureAction.choices)
    row_ids = models.JSONField(default=list)
    actor = models.CharField("by", max_length=120)

    objects: ClassVar[AppendOnlyQuerySet[ErasureJournalEntry]] = AppendOnlyQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "erasure journal entries"
        indexes = [models.Index(fields=["account_ref", "at"], name="erasure_account_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.model} {self.action} ({len(self.row_ids)} rows)"
