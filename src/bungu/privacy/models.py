"""The privacy app's records: notice versions, the consent ledger and the access log.

Other apps never use these models directly: they call the functions exported by
``bungu.privacy`` (design.md).
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from .exceptions import AppendOnlyViolation, NoticeInForce
from .practices import PracticesError, PracticeSet, parse_practices
from .taxonomy import Purpose

_M = TypeVar("_M", bound=models.Model)


# ---------------------------------------------------------------- notices
class NoticeQuerySet(models.QuerySet["Notice"]):
    def in_force(self, at: datetime) -> Notice | None:
        """The version in force at a moment: the newest that had taken effect by that day."""
        return self.filter(effective__lte=timezone.localdate(at)).order_by("-version").first()


class Notice(models.Model):
    """One version of the privacy notice: its words, and the practices those words allow.

    Once a version has taken effect it never changes (P24, P25): customers and their data are
    bound by what it said, so a change is a new version."""

    version = models.PositiveIntegerField(unique=True)
    effective = models.DateField("in force from")
    text = models.TextField(
        help_text="Markdown, in the shop's own words. Raw HTML is shown as text."
    )
    practices = models.TextField(
        help_text="TOML: one [[allow]] table per use the notice permits (see practices.py)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[NoticeQuerySet] = NoticeQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["version"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="notice_version_positive"
            )
        ]

    def __str__(self) -> str:
        return f"Privacy notice v{self.version} (in force from {self.effective:%Y-%m-%d})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._stored_in_force():
            raise NoticeInForce(f"Notice v{self.version} is in force; publish a new version.")
        self.full_clean()
        self.__dict__.pop("practice_set", None)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self._stored_in_force():
            raise NoticeInForce(f"Notice v{self.version} is in force and cannot be deleted.")
        return super().delete(*args, **kwargs)

    @cached_property
    def practice_set(self) -> PracticeSet:
        return parse_practices(self.practices)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        try:
            parse_practices(self.practices)
        except PracticesError as error:
            errors["practices"] = error.problems
        if self.version and self.effective:
            others = Notice.objects.exclude(pk=self.pk)
            earlier = others.filter(version__lt=self.version, effective__gt=self.effective)
            later = others.filter(version__gt=self.version, effective__lt=self.effective)
            if earlier.exists() or later.exists():
                errors.setdefault("effective", []).append(
                    "A newer version must take effect on or after every older one."
                )
            if self._state.adding and self.effective < timezone.localdate():
                errors.setdefault("effective", []).append(
                    "A new version cannot take effect in the past."
                )
        if errors:
            raise ValidationError(errors)

    def _stored_in_force(self) -> bool:
        if self._state.adding or self.pk is None:
            return False
        stored = Notice.objects.filter(pk=self.pk).values_list("effective", flat=True).first()
        return stored is not None and stored <= timezone.localdate()


# ---------------------------------------------------------------- written once
class AppendOnlyQuerySet(models.QuerySet[_M]):
    """Bulk updates and deletes are refused like the single-row ones."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyViolation(f"{self.model._meta.label} entries are never changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyViolation(f"{self.model._meta.label} entries are never deleted.")


class AppendOnly(models.Model):
    """A record that is written once and then only read: a ledger line, a log line.

    The refusal lives in the ORM; a database role without UPDATE/DELETE rights on these
    tables would make it hold against raw SQL too."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyViolation(f"{self._meta.label} entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyViolation(f"{self._meta.label} entries are never deleted.")


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
        what = self.practice or "the whole notice"
        return f"{self.kind}: {what} (v{self.notice.version}) at {self.at:%Y-%m-%d %H:%M}"


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
        verb = "saw" if self.granted else "was refused"
        return f"{self.actor_label} {verb} data of #{self.subject_id} for {self.purpose}"
