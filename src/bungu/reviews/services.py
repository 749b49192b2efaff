"""The review use cases: write, edit, delete, moderate, report, and the product's summary.

Only approved reviews count and show. Every change to which reviews are approved recomputes
the product's rating summary in the same transaction, through the catalogue's service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.utils import timezone

from bungu.accounts.summary import forget_summary, summary_changed
from bungu.catalog import services as catalog_services
from bungu.catalog.models import Product
from bungu.orders import services as orders

from .models import (
    RATING_MAX,
    RATING_MIN,
    REASON_MAX_LENGTH,
    ReportReason,
    Review,
    ReviewReport,
    ReviewStatus,
)

# The product page lists this many approved reviews, newest first, in one query.
REVIEWS_ON_PRODUCT_PAGE = 50


class ReviewError(Exception):
    """A review action the rules refuse; the message is written for the customer."""


class AlreadyReported(ReviewError):  # noqa: N818 - a domain noun, like Http404
    """The customer reported this review before."""


class CannotReportOwnReview(ReviewError):  # noqa: N818 - a domain noun, like Http404
    """Authors edit or delete their reviews; they do not report them."""


class ReasonRequired(ReviewError):  # noqa: N818 - a domain noun, like Http404
    """A rejection needs a reason the author can read."""


@dataclass(frozen=True)
class ReviewDraft:
    rating: int
    body: str


def public_name(user: AbstractBaseUser | None) -> str:
    """How a review names its author to everyone: the name they gave, else "A customer"."""
    name = str(getattr(user, "name", "") or "").strip()
    return name or "A customer"


def refresh_rating_summary(*, product_id: int) -> None:
    """Recompute a product's approved-review count and average and store them on the product."""
    # Lock the product row so two moderators approving at once cannot store a stale count.
    list(Product.objects.select_for_update().filter(id=product_id).values_list("id"))
    summary = (
        Review.objects.approved()
        .filter(product_id=product_id)
        .aggregate(count=Count("id"), average=Avg("rating"))
    )
    count = summary["count"]
    average = Decimal(str(summary["average"])) if count else None
    catalog_services.set_rating_summary(product_id=product_id, count=count, average=average)


def get_reviewable_product(*, slug: str) -> Product:
    """A product customers may review (a visible one). Raises Product.DoesNotExist."""
    return Product.objects.visible().get(slug=slug)


def find_review(*, author_id: int, product_id: int) -> Review | None:
    return Review.objects.filter(author_id=author_id, product_id=product_id).first()


def _check_draft(draft: ReviewDraft) -> None:
    if not RATING_MIN <= draft.rating <= RATING_MAX:
        raise ReviewError(f"Choose a rating from {RATING_MIN} to {RATING_MAX} stars.")
    if not draft.body.strip():
        raise ReviewError("Write a few words about the product.")


@transaction.atomic
def write_review(*, author_id: int, product_id: int, draft: ReviewDraft) -> Review:
    """Create the customer's review of a product, or edit it if they wrote one already. Either
    way it waits for moderation again. Raises ReviewError."""
    _check_draft(draft)
    review = (
        Review.objects.select_for_update()
        .filter(author_id=author_id, product_id=product_id)
        .first()
    )
    if review is None:
        review = Review(author_id=author_id, product_id=product_id)
    was_approved = review.status == ReviewStatus.APPROVED
    review.rating = draft.rating
    review.body = draft.body.strip()
    review.status = ReviewStatus.PENDING
    review.rejection_reason = ""
    review.moderated_at = None
    review.moderated_by = None
    try:
        # A savepoint, so a double submission racing this one leaves the transaction usable.
        with transaction.atomic():
            review.save()
    except IntegrityError:
        raise ReviewError("You have already reviewed this product.") from None
    if was_approved:
        refresh_rating_summary(product_id=product_id)
    summary_changed(user_id=author_id)
    return review


def get_own_review(*, author_id: int, review_id: int) -> Review:
    """The customer's own review. Raises Review.DoesNotExist for anybody else's."""
    return Review.objects.select_related("product").get(id=review_id, author_id=author_id)


@transaction.atomic
def delete_review(*, author_id: int, review_id: int) -> None:
    """Delete the customer's own review. Raises Review.DoesNotExist for anybody else's."""
    review = Review.objects.select_for_update().get(id=review_id, author_id=author_id)
    was_approved = review.status == ReviewStatus.APPROVED
    review.delete()
    summary_changed(user_id=author_id)
    if was_approved:
        refresh_rating_summary(product_id=review.product_id)


@transaction.atomic
def erase_reviews(*, row_ids: Sequence[int]) -> int:
    """P22: delete these reviews for an account's erasure (privacy calls this through
    ``ERASURE`` in personal_data.py, on the erasure and on every replay of its journal) and
    compute the rating summaries of their products again without them. Reviews already gone
    are skipped. Returns how many were deleted."""
    reviews = list(Review.objects.select_for_update().filter(id__in=row_ids).order_by("id"))
    products = {r.product_id for r in reviews if r.status == ReviewStatus.APPROVED}
    Review.objects.filter(id__in=[r.id for r in reviews]).delete()
    for author_id in {r.author_id for r in reviews}:
        forget_summary(user_id=author_id)
    for product_id in sorted(products):
        refresh_rating_summary(product_id=product_id)
    return len(reviews)


@transaction.atomic
def approve_review(*, review_id: int, moderator_id: int) -> Review:
    """Publish a review; it then counts in the product's rating. Raises Review.DoesNotExist."""
    review = Review.objects.select_for_update().get(id=review_id)
    review.status = ReviewStatus.APPROVED
    review.rejection_reason = ""
    review.moderated_at = timezone.now()
    review.moderated_by_id = moderator_id
    review.save(
        update_fields=["status", "rejection_reason", "moderated_at", "moderated_by", "updated_at"]
    )
    refresh_rating_summary(product_id=review.product_id)
    summary_changed(user_id=review.author_id)
    return review


@transaction.atomic
def reject_review(*, review_id: int, moderator_id: int, reason: str) -> Review:
    """Refuse to publish a review, telling its author why. Raises ReasonRequired or
    Review.DoesNotExist."""
    reason = reason.strip()
    if not reason:
        raise ReasonRequired("Say why the review is not published: its author will read it.")
    if len(reason) > REASON_MAX_LENGTH:
        raise ReasonRequired(f"Keep the reason under {REASON_MAX_LENGTH} characters.")
    review = Review.objects.select_for_update().get(id=review_id)
    was_approved = review.status == ReviewStatus.APPROVED
    review.status = ReviewStatus.REJECTED
    review.rejection_reason = reason
    review.moderated_at = timezone.now()
    review.moderated_by_id = moderator_id
    # A rejected review is out of the public eye, so the reports about it are dealt with.
    review.flagged = False
    review.save(
        update_fields=[
            "status",
            "rejection_reason",
            "moderated_at",
            "moderated_by",
            "flagged",
            "updated_at",
        ]
    )
    if was_approved:
        refresh_rating_summary(product_id=review.product_id)
    summary_changed(user_id=review.author_id)
    return review


def dismiss_reports(*, review_ids: list[int]) -> int:
    """Staff looked at the reports and keep the reviews: clear the flag. Returns how many."""
    return Review.objects.filter(id__in=review_ids, flagged=True).update(flagged=False)


def get_reportable_review(*, review_id: int) -> Review:
    """A published review, the only kind a customer can see and so report. Raises
    Review.DoesNotExist."""
    return Review.objects.approved().select_related("product", "author").get(id=review_id)


@transaction.atomic
def report_review(
    *, review_id: int, reporter_id: int, reason: ReportReason, details: str
) -> ReviewReport:
    """File a customer's report about a published review and flag it for staff. Raises
    Review.DoesNotExist, CannotReportOwnReview or AlreadyReported."""
    review = Review.objects.approved().select_for_update().get(id=review_id)
    if review.author_id == reporter_id:
        raise CannotReportOwnReview("You cannot report your own review; edit or delete it.")
    if ReviewReport.objects.filter(review=review, reporter_id=reporter_id).exists():
        raise AlreadyReported("You have already reported this review. Thank you.")
    try:
        with transaction.atomic():
            report = ReviewReport.objects.create(
                review=review, reporter_id=reporter_id, reason=reason, details=details.strip()
            )
    except IntegrityError:
        raise AlreadyReported("You have already reported this review. Thank you.") from None
    if not review.flagged:
        review.flagged = True
        review.save(update_fields=["flagged", "updated_at"])
    return report


def list_product_reviews(*, product_id: int, limit: int = REVIEWS_ON_PRODUCT_PAGE) -> list[Review]:
    """The newest approved reviews of a product with their authors, in one query."""
    return list(
        Review.objects.approved()
        .filter(product_id=product_id)
        .select_related("author")
        .order_by("-created_at", "-id")[:limit]
    )


@dataclass(frozen=True)
class PublishedReview:
    """An approved review as the product page shows it, its author named publicly;
    ``verified``: the author has an order of the product that was not cancelled."""

    review: Review
    author_name: str
    verified: bool = False


@dataclass(frozen=True)
class ProductReviews:
    """The reviews part of a product page."""

    published: list[PublishedReview]
    # The viewer's own review of the product, whatever its status; None for anonymous visitors.
    own: Review | None


def get_product_reviews(*, product: Product, viewer_id: int | None) -> ProductReviews:
    """What the product page shows of the product's reviews: one query for the published ones
    (none when the product's summary counts none), one for which of their authors bought the
    product ("Verified purchase", asked of the orders, never stored: a cancelled order stops
    counting), one for the viewer's own."""
    published = list_product_reviews(product_id=product.id) if product.rating_count else []
    bought = (
        orders.customer_bought_products(
            customer_ids={review.author_id for review in published}, product_id=product.id
        )
        if published
        else set()
    )
    own = find_review(author_id=viewer_id, product_id=product.id) if viewer_id is not None else None
    return ProductReviews(
        published=[
            PublishedReview(
                review=review,
                author_name=public_name(review.author),
                verified=review.author_id in bought,
            )
            for review in published
        ],
        own=own,
    )


def list_review_states(*, author_id: int) -> dict[int, str]:
    """Product id -> the state of the customer's review of it (one query)."""
    return dict(Review.objects.filter(author_id=author_id).values_list("product_id", "status"))


def list_reviews_by(*, author_id: int) -> list[Review]:
    """Every review the customer wrote, with its status, in one query."""
    return list(
        Review.objects.filter(author_id=author_id)
        .select_related("product")
        .order_by("-updated_at", "-id")
    )
