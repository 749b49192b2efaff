"""P8: staff record list-comparison agreements in the admin; the exchanges are shown read-only
(their counts; a key is never shown)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import ComparisonAgreement, ComparisonExchange


class ExchangeInline(admin.TabularInline[ComparisonExchange, ComparisonAgreement]):
    model = ComparisonExchange
    fields = ("created_at", "compared_at", "lines", "matched", "rejected")
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

    def save_model(
        self, request: HttpRequest, obj: ComparisonAgreement, form: object, change: bool
    ) -> None:
        if not change and request.user.is_authenticated:
            obj.created_by_id = request.user.pk
        super().save_model(request, obj, form, change)
