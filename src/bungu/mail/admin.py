"""The outbox in the admin: read-only, so the record of what was sent stays true; staff can
only give failed messages another try. Customers' mail preferences are not in the admin (the
back office shows them, for a purpose)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from bungu.privacy import GatedModelAdmin, Purpose

from .delivery import smtp_configured
from .models import OutboxMessage
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
    "text_body",
    "html_body",
)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(GatedModelAdmin[OutboxMessage]):
    """P13: the outbox's personal values (address, subject, bodies with their sign-in and
    reset links) are read through the privacy gate for security, logged per customer; the
    bodies are shown as escaped text, never rendered, since a message is not trusted markup.
    Messages to no account (a guest's order) show only their delivery state here."""

    purpose = Purpose.SECURITY
    subject_field = "recipient"
    gated = (
        "to_address",
        "kind",
        "subject",
        "last_error",
        "created_at",
        "sent_at",
        "headers",
        "text_body",
        "html_body",
    )
    list_display = ["id", "recipient", "to_address", "kind", "subject", "state", "attempts"]
    list_filter = ["state", "kind"]
    # Matching a typed address or subject is itself a use of them: search by message id only.
    search_fields = ["message_id"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    fields = _DETAIL_FIELDS

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
