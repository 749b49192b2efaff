"""The access log (P13): who reached whose data, which fields, for what purpose."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from bungu.privacy.datamap.taxonomy import Purpose
from bungu.privacy.models.append_only import AppendOnly, AppendOnlyQuerySet


# ---------------------------------------------------------------- the access log (P13)
class AccessLogEntry(AppendOnly):
    """Someone reached a customer's personal data for a purpose (or was refused)."""

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_log"
    )
    # Staff members are users; agents are named by function in actor_label.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accesses_made",
    )
    actor_label = models.CharField(max_length=120)
    # An agent's company (P13): the customer reads "Delivery company Yamato", not a function.
    agent_company = models.CharField(max_length=120, blank=True)
    # What the look was about, in the customer's terms ("order 1042"), where the caller says.
    regarding = models.CharField(max_length=200, blank=True)
    purpose = models.CharField(max_length=80)
    fields = models.JSONField(default=list)
    refused = models.JSONField(default=list)
    granted = models.BooleanField()
    at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[AppendOnlyQuerySet[AccessLogEntry]] = AppendOnlyQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "access log entries"
        indexes = [models.Index(fields=["subject", "at"], name="accesslog_subject_at")]
        # P13: staff reach personal data only for the purposes their role grants.
        permissions = [
            (purpose.permission_codename, f"Reach personal data for {purpose.label}")
            for purpose in Purpose
        ]

    def __str__(self) -> str:
        # Not who looked or why: the admin names a record by this outside the gate (P13).
        return f"Access-log entry #{self.pk} about #{self.subject_id}"
