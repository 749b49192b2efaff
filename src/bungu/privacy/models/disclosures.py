"""The disclosure register (P16): releases to authorities and for fraud protection."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from bungu.privacy.datamap.registry import data_map
from bungu.privacy.exceptions import AppendOnlyViolation


# ---------------------------------------------------------------- the disclosure register (P16)
class LegalBasis(models.TextChoices):
    COURT_ORDER = "court_order", "court order"
    SUBPOENA = "subpoena", "subpoena"
    LAW_ENFORCEMENT = "law_enforcement", "request from law enforcement"
    FRAUD_EXCHANGE = "fraud_exchange", "fraud prevention and credit-risk exchange"
    PROTECT_RIGHTS = "protect_rights", "protecting the rights or safety of the shop or others"
    OTHER = "other", "other (described)"


class DisclosureQuerySet(models.QuerySet["Disclosure"]):
    def approved(self) -> DisclosureQuerySet:
        return self.filter(approved_by__isnull=False)

    def shown_to(self, subject_id: int) -> DisclosureQuerySet:
        """What the customer may read about releases of their data, where the law allows."""
        return self.approved().filter(subject_id=subject_id, visible_to_customer=True)

    def update(self, **kwargs: Any) -> int:
        if self.approved().exists():
            raise AppendOnlyViolation("An approved disclosure is never changed.")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.approved().exists():
            raise AppendOnlyViolation("An approved disclosure is never deleted.")
        return super().delete()


class Disclosure(models.Model):
    """A release of a customer's data to an authority or for fraud protection (P16).

    One staff member records it; a second, different one approves it before anything is
    released. From the approval on, the entry is append-only: it is the register's proof."""

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disclosures"
    )
    legal_basis = models.CharField(max_length=20, choices=LegalBasis.choices)
    legal_basis_other = models.CharField(
        "the basis, described", max_length=300, blank=True, help_text="Required for 'other'."
    )
    requester = models.CharField(
        max_length=300, help_text="Who asked: the court, agency or company, and its reference."
    )
    # Labels of the data map ("accounts.User.email"): exactly what was handed over.
    data_released = models.JSONField(default=list)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disclosures_recorded"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disclosures_approved",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField("released on", null=True, blank=True)
    visible_to_customer = models.BooleanField(
        default=True,
        help_text="Untick only where the law forbids telling the customer (a sealed order).",
    )
    note = models.TextField(blank=True)

    objects: ClassVar[DisclosureQuerySet] = DisclosureQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-requested_at", "-id"]
        permissions = [("approve_disclosure", "Approve a disclosure recorded by someone else")]
        constraints = [
            # P16: the four-eyes rule holds even against a direct write to the table.
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True)
                | ~models.Q(approved_by=models.F("requested_by")),
                name="disclosure_second_approver",
            ),
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True, approved_at__isnull=True)
                | models.Q(approved_by__isnull=False, approved_at__isnull=False),
                name="disclosure_approval_complete",
            ),
            models.CheckConstraint(
                condition=~models.Q(legal_basis="other") | ~models.Q(legal_basis_other=""),
                name="disclosure_other_basis_described",
            ),
        ]

    def __str__(self) -> str:
        # Not the requester: the admin names a record by this outside the privacy gate (P13).
        return f"Disclosure #{self.pk} about #{self.subject_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        stored = Disclosure.objects.filter(pk=self.pk, approved_by__isnull=False)
        if not self._state.adding and stored.exists():
            raise AppendOnlyViolation("An approved disclosure is never changed.")
        self.full_clean()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.is_approved:
            raise AppendOnlyViolation("An approved disclosure is never deleted.")
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.legal_basis == LegalBasis.OTHER and not self.legal_basis_other.strip():
            errors["legal_basis_other"] = ["Describe the legal basis."]
        released = self.data_released
        if not isinstance(released, list) or not released:
            errors["data_released"] = ["Name at least one field of the data map."]
        else:
            unknown = [str(label) for label in released if data_map.find(str(label)) is None]
            if unknown:
                errors["data_released"] = [
                    f"Not personal data in the data map: {', '.join(sorted(unknown))}."
                ]
        if self.approved_by_id is not None and self.approved_by_id == self.requested_by_id:
            errors["approved_by"] = ["A second staff member must approve the disclosure."]
        if errors:
            raise ValidationError(errors)

    @property
    def is_approved(self) -> bool:
        return self.approved_by_id is not None
