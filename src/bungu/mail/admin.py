"""The outbox in the admin: read-only, so the record of what was sent stays true; staff can
only give failed messages another try. The suppressed addresses (bounces, complaints) are
read-only too; staff can only lift one that was wrong. Customers' mail preferences are not
in the admin (the back office shows them, for a purpose)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from bungu.privacy import GatedModelAdmin, Purpose

from .delivery import smtp_configured
from .models import MailSuppression, OutboxMessage
from .services import lift_suppressions, retry_messages

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


@admin.register(MailSuppression)
class MailSuppressionAdmin(GatedModelAdmin[MailSuppression]):
    """Addresses stoppable mail no longer goes to, after a bounce or a complaint reported by
    the delivery service or by returned mail. Read for customer service (a customer asks why
    the newsletter stopped), through the privacy gate; the one change is to lift a
    suppression that was wrong (a mailbox that works again, a forged report)."""

    purpose = Purpose.CUSTOMER_SERVICE
    subject_field = "recipient"
    gated = ("address", "kind", "detail", "created_at")
    list_display = ["id", "recipient", "address", "kind", "source", "created_at"]
    list_filter = ["kind"]
    search_fields = ["source"]
    actions = ["lift"]
    fields = ("address", "kind", "source", "detail", "recipient", "created_at")

    @admin.action(description="Lift the selected suppressions (mail may go to them again)")
    def lift(self, request: HttpRequest, queryset: QuerySet[MailSuppression]) -> None:
        count = lift_suppressions(
            suppression_ids=queryset.values_list("pk", flat=True), by=f"staff #{request.user.pk}"
        )
        self.message_user(request, f"{count} suppression(s) lifted.")
