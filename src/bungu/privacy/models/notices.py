"""Notice versions (P24, P25) and the reminders sent about them (P24)."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from bungu.privacy.exceptions import NoticeInForce
from bungu.privacy.models.append_only import AppendOnly, AppendOnlyQuerySet
from bungu.privacy.notices.practices import PracticesError, PracticeSet, parse_practices


# ---------------------------------------------------------------- notices
class NoticeQuerySet(models.QuerySet["Notice"]):
    def in_force(self, at: datetime) -> Notice | None:
        """The version in force at a moment: the newest that had taken effect by that day."""
        return self.filter(effective__lte=timezone.localdate(at)).order_by("-version").first()


@lru_cache(maxsize=64)
def _parsed(practices: str) -> PracticeSet:
    """A notice's practices, parsed once per process (the result is immutable). Parsing
    checks every pair of practices for overlaps: far too slow to repeat for each of the
    thousands of uses a campaign asks the rule of P25 about."""
    return parse_practices(practices)


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
        return _parsed(self.practices)

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


# ---------------------------------------------------------------- notice reminders (P24)
class NoticeReminder(AppendOnly):
    """A customer was e-mailed about a new notice version (or the mail was held back because
    they stopped legal-notice e-mail, P21): written once, so nobody is reminded twice."""

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notice_reminders"
    )
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="reminders")
    at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[AppendOnlyQuerySet[NoticeReminder]] = AppendOnlyQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subject", "notice"], name="noticereminder_once")
        ]

    def __str__(self) -> str:
        return f"Reminder of v{self.notice.version} to #{self.subject_id}"
