"""Back-office views of the privacy records. The ledger and the log are read-only here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from bungu.privacy.admin.forms import DisclosureForm, NoticeForm
from bungu.privacy.admin.gated import GatedModelAdmin
from bungu.privacy.datamap.taxonomy import Purpose
from bungu.privacy.exceptions import DisclosureRefused
from bungu.privacy.models import AccessLogEntry, ConsentEvent, Disclosure, Notice, PrivacyRequest
from bungu.privacy.sharing.disclosures import APPROVE_PERMISSION, approve_disclosure


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin[Notice]):
    """P24, P25: staff publish a version here; a less protective one needs the comparison
    confirmed (``NoticeForm``), and the confirmation goes to the admin's change log."""

    form = NoticeForm
    list_display = ["version", "effective", "created_at"]
    ordering = ["-version"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        latest = Notice.objects.order_by("-version").first()
        return {"version": 1 if latest is None else latest.version + 1}

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A version in force is never edited (it raises NoticeInForce): shown read-only.
        if isinstance(obj, Notice) and obj.pk and obj._stored_in_force():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Notice, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        comparison = getattr(form, "comparison", None)
        if comparison is not None and comparison.less_protective:
            changes = "; ".join(
                f"{c.kind} {c.practice}" for c in comparison.less_protective_changes()
            )
            self.log_change(
                request,
                obj,
                f"Confirmed publishing v{obj.version}, less protective than "
                f"v{comparison.old_version}: {changes}.",
            )


@admin.register(ConsentEvent)
class ConsentEventAdmin(GatedModelAdmin[ConsentEvent]):
    """P13, P25: a customer's consents, read through the gate for answering privacy requests
    (the privacy officer's and the owner's purpose). The notice in force lets the shop use the
    customer's privacy choices to answer their questions and requests; its legal-obligation
    practice for the shop covers order records only, so reading for it would show nothing."""

    purpose = Purpose.PRIVACY_REQUESTS
    subject_field = "subject"
    gated = ("at", "kind", "notice", "practice", "method", "page")
    list_display = ["id", "subject", "at", "kind", "notice", "practice", "method"]
    list_filter = ["kind", "method"]
    fields = ["subject", *gated]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(GatedModelAdmin[AccessLogEntry]):
    """P13: who saw a customer's data and why, read for answering privacy requests like the
    ledger above (the notice: "every look at your information is recorded", and the customer
    may ask about it); reading the log is itself logged."""

    purpose = Purpose.PRIVACY_REQUESTS
    subject_field = "subject"
    gated = ("at", "actor_label", "purpose", "fields", "refused", "granted")
    list_display = ["id", "subject", "at", "actor_label", "purpose", "granted"]
    list_filter = ["granted", "purpose"]
    fields = ["subject", *gated]


@admin.register(Disclosure)
class DisclosureAdmin(GatedModelAdmin[Disclosure]):
    """P16: privacy staff record releases here; a second staff member approves them (an
    action). Once recorded, what it says about the customer is read through the gate (P13),
    so a recorded disclosure is changed only by approving it.

    Read for complying with the law, the page's real purpose. The notice in force (v1, v2)
    allows that purpose to the shop's own staff only for names, addresses, orders and card
    data, not for this register (an account category), so the gate withholds its values until
    a notice version says so; it is not read for answering requests, which is not what
    approving a release is."""

    purpose = Purpose.LEGAL_OBLIGATION
    subject_field = "subject"
    read_only = False
    gated = (
        "legal_basis",
        "legal_basis_other",
        "requester",
        "data_released",
        "requested_at",
        "approved_at",
        "released_at",
        "visible_to_customer",
        "note",
    )
    form = DisclosureForm
    list_display = [
        "id",
        "subject",
        "legal_basis",
        "requester",
        "requested_by",
        "approved_by",
        "released_at",
        "visible_to_customer",
    ]
    list_filter = ["legal_basis", "visible_to_customer"]
    raw_id_fields = ["subject"]
    readonly_fields = ["requested_by", "requested_at", "approved_by", "approved_at", "released_at"]
    actions = ["approve_selected"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if isinstance(obj, Disclosure) and obj.is_approved:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if isinstance(obj, Disclosure) and obj.is_approved:
            return False
        return super().has_delete_permission(request, obj)

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(APPROVE_PERMISSION)

    def save_model(self, request: HttpRequest, obj: Disclosure, form: Any, change: bool) -> None:
        if not change:
            obj.requested_by = request.user  # type: ignore[assignment]  # staff: signed in
        super().save_model(request, obj, form, change)

    @admin.action(description="Approve the selected disclosures", permissions=["approve"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Disclosure]) -> None:
        approved = 0
        for disclosure in queryset.order_by("pk"):
            try:
                approve_disclosure(
                    disclosure=disclosure,
                    approved_by=request.user,  # type: ignore[arg-type]  # staff: signed in
                    released_at=None,
                )
            except DisclosureRefused as refusal:
                self.message_user(request, f"#{disclosure.pk}: {refusal}", messages.ERROR)
            else:
                approved += 1
        if approved:
            self.message_user(request, f"Approved {approved} disclosure(s).", messages.SUCCESS)


# ---------------------------------------------------------------- privacy requests (P26)
class OverdueFilter(admin.SimpleListFilter):
    """Requests past a legal clock: not confirmed in 10 business days, or not answered in 45."""

    title = "legal clocks"
    parameter_name = "clock"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("overdue", "overdue")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "overdue":
            return queryset.filter(
                pk__in=PrivacyRequest.objects.overdue(timezone.localdate()).values("pk")
            )
        return queryset


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(GatedModelAdmin[PrivacyRequest]):
    """Staff track each request to an answer: owner, status and the reply the customer reads.
    What the customer wrote is read through the gate for answering privacy requests (P13, the
    privacy officer's and the owner's purpose) and never changed here; the status and the
    reply are the shop's own handling, edited here."""

    purpose = Purpose.PRIVACY_REQUESTS
    subject_field = "customer"
    read_only = False
    gated = (
        "kind",
        "description",
        "received_at",
        "confirm_due",
        "answer_due",
        "confirmed_at",
        "answered_at",
        "verified_by",
    )

    list_display = [
        "id",
        "kind",
        "status",
        "owner",
        "received_at",
        "confirm_due",
        "answer_due",
        "overdue",
        "verified_by",
    ]
    list_filter = [OverdueFilter, "status", "kind", "verified_by", "owner"]
    list_select_related = ["owner"]
    fields = [
        "customer",
        "verified_by",
        "kind",
        "description",
        "received_at",
        "confirm_due",
        "answer_due",
        "confirmed_at",
        "answered_at",
        "status",
        "owner",
        "reply",
    ]
    readonly_fields = [
        "customer",
        "verified_by",
        "kind",
        "description",
        "received_at",
        "confirm_due",
        "answer_due",
        "confirmed_at",
        "answered_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Requests come from the customer's own forms, verified by sign-in or by a link sent to
        # the account's e-mail address (P26); staff cannot vouch for one.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(boolean=True, description="overdue")
    def overdue(self, obj: PrivacyRequest) -> bool:
        return obj.is_overdue(timezone.localdate())
