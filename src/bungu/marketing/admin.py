"""P8: staff record list-comparison agreements in the admin; the exchanges are shown read-only
(their counts; a key is never shown)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from bungu import privacy

from .models import ComparisonAgreement, ComparisonExchange


class ExchangeInline(admin.TabularInline[ComparisonExchange, ComparisonAgreement]):
    model = ComparisonExchange
    fields = ("method", "created_at", "expires_at", "compared_at", "lines", "matched", "rejected")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ComparisonAgreement)
class ComparisonAgreementAdmin(admin.ModelAdmin[ComparisonAgreement]):
    list_display = ("partner", "notice_version", "normalisation", "expires_at", "created_at")
    fields = ("partner", "purpose", "reference", "notice_version", "normalisation", "expires_at")
    readonly_fields = ("purpose",)
    inlines = (ExchangeInline,)

    def has_module_permission(self, request: HttpRequest) -> bool:
        # Guarded like the campaign pages: a member whose role holds marketing e-mail.
        user = request.user
        return user.is_authenticated and privacy.actor_may_act_for(
            user, privacy.Purpose.MARKETING_EMAIL
        )

    def has_view_permission(
        self, request: HttpRequest, obj: ComparisonAgreement | None = None
    ) -> bool:
        return self.has_module_permission(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request) and super().has_add_permission(request)

    def has_change_permission(
        self, request: HttpRequest, obj: ComparisonAgreement | None = None
    ) -> bool:
        return self.has_module_permission(request) and super().has_change_permission(request, obj)

    def has_delete_permission(
        self, request: HttpRequest, obj: ComparisonAgreement | None = None
    ) -> bool:
        # An agreement stays on record; its suppressions end with its expiry.
        return False

    def save_model(
        self, request: HttpRequest, obj: ComparisonAgreement, form: object, change: bool
    ) -> None:
        if not change and request.user.is_authenticated:
            obj.created_by_id = request.user.pk
        super().save_model(request, obj, form, change)
