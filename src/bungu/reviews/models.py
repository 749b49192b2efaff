"""A customer's review of a product and the reports other customers file about reviews."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from bungu.privacy import KeepsPriorVersions, PriorVersionsQuerySet

RATING_MIN, RATING_MAX = 1, 5
BODY_MAX_LENGTH = 5000
REASON_MAX_LENGTH = 500
REPORT_DETAILS_MAX_LENGTH = 1000


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Waiting for moderation"
    APPROVED = "approved", "Published"
    REJECTED = "rejected", "Not published"


# django-stubs builds each queryset's as_manager() type in module order and, inside the import
# cycle with bungu.privacy, may build this one before its base's (so: override, or not).
class ReviewQuerySet(PriorVersionsQuerySet["Review"]):  # type: ignore[override,unused-ignore]
    def approved(self) -> ReviewQuerySet:
        return self.filter(status=ReviewStatus.APPROVED)


class Review(KeepsPriorVersions):
    # The author comes first: the data map follows a record's first link to a customer to
    # find whose data it is, and moderated_by is a staff member, not the subject.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="reviews", on_delete=models.CASCADE
    )
    product = models.ForeignKey("catalog.Product", related_name="reviews", on_delete=models.CASCADE)
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(RATING_MIN), MaxValueValidator(RATING_MAX)]
    )
    body = models.TextField("review", max_length=BODY_MAX_LENGTH)
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    rejection_reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    # Set when a customer reports the review; staff clear it once they have looked.
    flagged = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "author"], name="review_one_per_customer"),
            models.CheckConstraint(
                condition=Q(rating__gte=RATING_MIN, rating__lte=RATING_MAX),
                name="review_rating_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["product", "status", "-created_at"], name="review_product_idx"),
            models.Index(fields=["status", "flagged"], name="review_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 on {self.product_id} by customer {self.author_id}"


class ReportReason(models.TextChoices):
    SPAM = "spam", "Spam or advertising"
    OFFENSIVE = "offensive", "Offensive or abusive"
    OFF_TOPIC = "off_topic", "Not about this product"
    PERSONAL = "personal", "Reveals someone's personal information"
    OTHER = "other", "Something else"


class ReviewReport(models.Model):
    # The reporter first: a report is the reporter's data (what they wrote to the shop).
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="review_reports", on_delete=models.CASCADE
    )
    review = models.ForeignKey(Review, related_name="reports", on_delete=models.CASCADE)
    reason = models.CharField(max_length=20, choices=ReportReason.choices)
    details = models.TextField(max_length=REPORT_DETAILS_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "reporter"], name="report_once_per_customer"),
        ]

    def __str__(self) -> str:
        return f"report on review {self.review_id}: {self.get_reason_display()}"
