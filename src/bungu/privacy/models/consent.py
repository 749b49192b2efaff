"""The consent ledger (P17, P25): who agreed to which notice or practice, when and how."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from bungu.privacy.models.append_only import AppendOnly, AppendOnlyQuerySet
from bungu.privacy.models.notices import Notice


# ---------------------------------------------------------------- the consent ledger
class ConsentKind(models.TextChoices):
    GIVEN = "given", "given"
    WITHDRAWN = "withdrawn", "withdrawn"


class ConsentMethod(models.TextChoices):
    PAGE = "page", "on a page of the shop"
    FORM = "form", "in a form"
    EMAIL = "email", "by e-mail"
    GPC = "gpc", "Global Privacy Control signal"


class ConsentEvent(AppendOnly):
    """A customer gave or withdrew consent to a notice version or to one of its practices.

    The latest event about a notice (or practice) is the customer's standing answer; earlier
    ones stay as the record of what was said when (P24, P25)."""

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consent_events"
    )
    kind = models.CharField(max_length=10, choices=ConsentKind.choices)
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="consent_events")
    # A practice key ("personalize.recommendations@affiliate"); blank: the whole notice.
    practice = models.CharField(max_length=120, blank=True)
    at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=10, choices=ConsentMethod.choices)
    page = models.CharField("from page", max_length=500, blank=True)

    objects: ClassVar[AppendOnlyQuerySet[ConsentEvent]] = AppendOnlyQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["subject", "practice", "at"], name="consent_subject_practice")
        ]

    def __str__(self) -> str:
        # Not what was agreed or when: the admin names a record by this outside the gate (P13).
        return f"Consent event #{self.pk} of #{self.subject_id}"
