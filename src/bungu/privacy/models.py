"""The privacy app's records: notice versions, the consent ledger and the access log.

Other apps never use these models directly: they call the functions exported by
``bungu.privacy`` (design.md).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from .clocks import due_dates
from .datamap import data_map
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
        return f"Disclosure #{self.pk} about #{self.subject_id} to {self.requester}"

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
