"""The moderation queue: staff approve reviews, or reject them with a reason the author reads.

Status changes go through the services only (actions), so the product's rating summary is
always recomputed; the change form shows a review but cannot change its status.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.text import Truncator

from bungu.privacy import GatedModelAdmin, Purpose

from . import services
from .forms import RejectForm
from .models import Review

_REVIEW_FIELDS = (
    "product",
    "rating",
    "body",
    "status",
    "rejection_reason",
    "moderated_at",
    "flagged",
    "created_at",
    "updated_at",
)


def _moderator_id(request: HttpRequest) -> int:
    # The admin lets only signed-in staff this far.
    return int(str(request.user.pk))


@admin.register(Review)
class ReviewAdmin(GatedModelAdmin[Review]):
    """P13: a review and its author's other details are the author's personal data, so the
    queue reads them through the privacy gate for customer service, logged per author. What
    other customers wrote in their reports is not shown here, only how many there are."""

    purpose = Purpose.CUSTOMER_SERVICE
    subject_field = "author"
    gated = _REVIEW_FIELDS
    list_display = ["id", "product", "rating", "body", "status", "flagged", "report_count"]
    list_filter = ["status", "flagged"]
    search_fields = ["product__name"]
    ordering = ["-flagged", "created_at"]
    actions = ["approve", "reject", "dismiss_reports"]
    fields = ("author", *_REVIEW_FIELDS)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Review]:
        reviews: QuerySet[Review] = super().get_queryset(request)
        return reviews.annotate(report_total=Count("reports"))

    @admin.display(description="reports", ordering="report_total")
    def report_count(self, review: Review) -> int:
        return int(getattr(review, "report_total", 0))

    @admin.action(description="Approve the selected reviews", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        ids = list(queryset.values_list("id", flat=True))
        for review_id in ids:
            services.approve_review(review_id=review_id, moderator_id=_moderator_id(request))
        self.message_user(request, f"Approved {len(ids)} review(s).", messages.SUCCESS)

    @admin.action(description="Reject the selected reviews (with a reason)", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Review]) -> HttpResponse | None:
        ids = list(queryset.values_list("id", flat=True))
        form = RejectForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            for review_id in ids:
                try:
                    services.reject_review(
                        review_id=review_id,
                        moderator_id=_moderator_id(request),
                        reason=form.cleaned_data["reason"],
                    )
                except services.ReasonRequired as error:
                    self.message_user(request, str(error), messages.ERROR)
                    return None
            self.message_user(request, f"Rejected {len(ids)} review(s).", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject reviews",
            "opts": self.model._meta,
            "form": form,
            "reviews": self._described(request, queryset),
            "review_ids": ids,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/reviews/review/reject.html", context)

    def _described(self, request: HttpRequest, queryset: QuerySet[Review]) -> list[str]:
        """How the reject page names each review, read through the gate like the list."""
        reviews = list(queryset)
        shown = [self._gated_name(name) for name in ("product", "rating", "body")]
        self.read_through_gate(request, reviews, shown=shown)
        described = []
        for review in reviews:
            product, rating, body = (getattr(self, name)(review) for name in shown)
            described.append(f"{product}: {rating}/5, “{Truncator(body).chars(120)}”")
        return described

    @admin.action(
        description="Keep the selected reviews: dismiss their reports", permissions=["change"]
    )
    def dismiss_reports(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        count = services.dismiss_reports(review_ids=list(queryset.values_list("id", flat=True)))
        self.message_user(request, f"Cleared the report flag on {count} review(s).")
