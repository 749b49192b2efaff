"""The outbox in the back office: read-only, so the record of what was sent stays true;
staff can only give failed messages another try."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from .delivery import smtp_configured
from .models import MailPreferences, OutboxMessage
from .services import retry_messages

_DETAIL_FIELDS = (
    "to_address",
    "recipient",
    "from_address",
    "kind",
    "subject",
    "state",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
    "sent_at",
    "message_id",
    "headers",
    "text",
    "html_source",
)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin[OutboxMessage]):
    list_display = ["created_at", "to_address", "kind", "subject", "state", "attempts", "sent_at"]
    list_filter = ["state", "kind"]
    search_fields = ["to_address", "subject", "message_id"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]
    actions = ["retry"]
    fields = _DETAIL_FIELDS
    readonly_fields = _DETAIL_FIELDS

    @admin.display(description="text body")
    def text(self, obj: OutboxMessage) -> SafeString:
        return format_html('<pre class="outbox-body">{}</pre>', obj.text_body)

    # Shown as escaped source, never rendered: a message body is not trusted markup.
    @admin.display(description="HTML body (source)")
    def html_source(self, obj: OutboxMessage) -> SafeString:
        return format_html('<pre class="outbox-body">{}</pre>', obj.html_body or "(none)")

    @admin.action(description="Try sending the selected failed or queued messages again")
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        count = retry_messages(queryset)
        if not smtp_configured():
            self.message_user(
                request,
                f"{count} message(s) queued. SMTP is not configured (BUNGU_SMTP_HOST), so they "
                "stay in the outbox.",
                messages.WARNING,
            )
        else:
            self.message_user(request, f"{count} message(s) queued for another try.")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MailPreferences)
class MailPreferencesAdmin(admin.ModelAdmin[MailPreferences]):
    list_display = ["user", "marketing", "other_mail", "legal_notices", "updated_at"]
    list_filter = ["marketing", "other_mail", "legal_notices"]
    raw_id_fields = ["user"]
    # The customer changes these (P21); staff only look.
    readonly_fields = ["user", "marketing", "other_mail", "legal_notices", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
