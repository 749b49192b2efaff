"""The review rules (P4, P22): one per customer per product, moderation, reports, summary."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from bungu.catalog import services as catalog_services
from bungu.catalog.models import Product
from bungu.reviews import services
from bungu.reviews.models import ReportReason, Review, ReviewReport, ReviewStatus
from tests.accounts.factories import CustomerFactory
from tests.catalog.factories import ProductFactory

from .factories import ReviewFactory, approved_review

pytestmark = pytest.mark.django_db


def _summary(product: Product) -> tuple[int, Decimal | None]:
    product.refresh_from_db()
    return product.rating_count, product.rating_average


def _draft(rating: int = 5, body: str = "Lovely pen.") -> services.ReviewDraft:
    return services.ReviewDraft(rating=rating, body=body)


def test_a_new_review_waits_for_moderation_and_does_not_count():
    customer, product = CustomerFactory(), ProductFactory()

    review = services.write_review(author_id=customer.id, product_id=product.id, draft=_draft())

    assert review.status == ReviewStatus.PENDING
    assert (review.rating, review.body) == (5, "Lovely pen.")
    assert _summary(product) == (0, None)


def test_approving_reviews_keeps_the_products_count_and_average():
    product = ProductFactory()
    staff = CustomerFactory(is_staff=True)

    approved_review(product=product, rating=5, moderator_id=staff.id)
    review = approved_review(product=product, rating=4, moderator_id=staff.id)
    ReviewFactory(product=product, rating=1)  # pending: not counted

    assert _summary(product) == (2, Decimal("4.50"))
    assert review.moderated_by_id == staff.id
    assert review.moderated_at is not None


def test_the_average_is_rounded_to_two_places():
    product = ProductFactory()
    for rating in (5, 4, 4):
        approved_review(product=product, rating=rating)

    assert _summary(product) == (3, Decimal("4.33"))


def test_editing_an_approved_review_sends_it_back_to_moderation():
    review = approved_review(rating=5)
    product = review.product
    assert _summary(product) == (1, Decimal("5.00"))

    edited = services.write_review(
        author_id=review.author_id, product_id=product.id, draft=_draft(2, "Changed my mind.")
    )

    assert edited.id == review.id
    assert (edited.status, edited.rating, edited.body) == (
        ReviewStatus.PENDING,
        2,
        "Changed my mind.",
    )
    assert edited.moderated_at is None
    assert Review.objects.count() == 1
    assert _summary(product) == (0, None)


def test_editing_a_rejected_review_clears_the_reason():
    review = ReviewFactory()
    services.reject_review(review_id=review.id, moderator_id=review.author_id, reason="Spam")

    edited = services.write_review(
        author_id=review.author_id, product_id=review.product_id, draft=_draft()
    )

    assert (edited.status, edited.rejection_reason) == (ReviewStatus.PENDING, "")


def test_one_review_per_customer_per_product_is_a_database_rule():
    review = ReviewFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(author=review.author, product=review.product, rating=3, body="Again")

    assert Review.objects.count() == 1


def test_the_database_refuses_a_rating_outside_one_to_five():
    customer, product = CustomerFactory(), ProductFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(author=customer, product=product, rating=6, body="Too good")

    assert Review.objects.count() == 0


@pytest.mark.parametrize(
    ("rating", "body", "message"),
    [
        (0, "Fine", "Choose a rating from 1 to 5 stars."),
        (6, "Fine", "Choose a rating from 1 to 5 stars."),
        (3, "   ", "Write a few words about the product."),
    ],
)
def test_a_bad_draft_is_refused_and_nothing_is_stored(rating, body, message):
    customer, product = CustomerFactory(), ProductFactory()

    with pytest.raises(services.ReviewError) as refused:
        services.write_review(
            author_id=customer.id, product_id=product.id, draft=_draft(rating, body)
        )

    assert str(refused.value) == message
    assert Review.objects.count() == 0


def test_rejecting_needs_a_reason_and_then_changes_nothing():
    review = approved_review()

    with pytest.raises(services.ReasonRequired):
        services.reject_review(review_id=review.id, moderator_id=review.author_id, reason="  ")

    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED
    assert _summary(review.product) == (1, Decimal("4.00"))


def test_rejecting_a_published_review_takes_it_out_of_the_summary():
    review = approved_review()
    staff = CustomerFactory(is_staff=True)

    rejected = services.reject_review(
        review_id=review.id, moderator_id=staff.id, reason="It names a member of staff."
    )

    assert rejected.status == ReviewStatus.REJECTED
    assert rejected.rejection_reason == "It names a member of staff."
    assert _summary(review.product) == (0, None)


def test_an_author_deletes_their_review_and_the_summary_follows():
    review = approved_review(rating=3)

    services.delete_review(author_id=review.author_id, review_id=review.id)

    assert Review.objects.count() == 0
    assert _summary(review.product) == (0, None)


def test_nobody_else_can_delete_a_review():
    review = approved_review()
    other = CustomerFactory()

    with pytest.raises(Review.DoesNotExist):
        services.delete_review(author_id=other.id, review_id=review.id)

    assert Review.objects.filter(id=review.id).exists()
    assert _summary(review.product) == (1, Decimal("4.00"))


def test_a_report_flags_the_review_once_per_customer():
    review = approved_review()
    reporter = CustomerFactory()

    report = services.report_review(
        review_id=review.id, reporter_id=reporter.id, reason=ReportReason.SPAM, details=" ad "
    )
    with pytest.raises(services.AlreadyReported):
        services.report_review(
            review_id=review.id, reporter_id=reporter.id, reason=ReportReason.OTHER, details=""
        )

    review.refresh_from_db()
    assert review.flagged is True
    assert (report.reason, report.details) == (ReportReason.SPAM, "ad")
    assert ReviewReport.objects.count() == 1


def test_authors_cannot_report_their_own_review():
    review = approved_review()

    with pytest.raises(services.CannotReportOwnReview):
        services.report_review(
            review_id=review.id, reporter_id=review.author_id, reason=ReportReason.SPAM, details=""
        )

    review.refresh_from_db()
    assert review.flagged is False
    assert ReviewReport.objects.count() == 0


def test_an_unpublished_review_cannot_be_reported():
    review = ReviewFactory()

    with pytest.raises(Review.DoesNotExist):
        services.report_review(
            review_id=review.id,
            reporter_id=CustomerFactory().id,
            reason=ReportReason.SPAM,
            details="",
        )

    assert ReviewReport.objects.count() == 0


def test_dismissing_reports_clears_the_flag_and_keeps_the_reports():
    review = approved_review()
    services.report_review(
        review_id=review.id, reporter_id=CustomerFactory().id, reason=ReportReason.SPAM, details=""
    )

    assert services.dismiss_reports(review_ids=[review.id]) == 1

    review.refresh_from_db()
    assert review.flagged is False
    assert ReviewReport.objects.count() == 1


def test_rejecting_a_reported_review_clears_its_flag():
    review = approved_review()
    services.report_review(
        review_id=review.id, reporter_id=CustomerFactory().id, reason=ReportReason.SPAM, details=""
    )

    services.reject_review(review_id=review.id, moderator_id=review.author_id, reason="Spam")

    review.refresh_from_db()
    assert review.flagged is False


def test_p22_erasing_reviews_deletes_them_and_fixes_summaries_once():
    leaving, staying = CustomerFactory(), CustomerFactory()
    product = ProductFactory()
    gone = approved_review(author=leaving, product=product, rating=1)
    approved_review(author=staying, product=product, rating=5)
    pending = ReviewFactory(author=leaving)
    assert _summary(product) == (2, Decimal("3.00"))

    assert services.erase_reviews(row_ids=[gone.id, pending.id]) == 2

    assert list(Review.objects.filter(author=leaving)) == []
    assert Review.objects.filter(author=staying).count() == 1
    assert _summary(product) == (1, Decimal("5.00"))
    # A replay of the erasure finds them gone and changes nothing.
    assert services.erase_reviews(row_ids=[gone.id, pending.id]) == 0
    assert _summary(product) == (1, Decimal("5.00"))


def test_public_name_is_the_given_name_or_a_customer():
    assert services.public_name(CustomerFactory(name="Aiko")) == "Aiko"
    assert services.public_name(CustomerFactory(name="")) == "A customer"
    assert services.public_name(CustomerFactory(name="   ")) == "A customer"


def test_the_products_listed_reviews_are_published_ones_newest_first():
    product = ProductFactory()
    first = approved_review(product=product)
    second = approved_review(product=product)
    ReviewFactory(product=product)

    assert services.list_product_reviews(product_id=product.id) == [second, first]


def test_the_product_pages_reviews_part_reads_what_it_shows(django_assert_num_queries):
    product = ProductFactory()
    first = approved_review(product=product, author=CustomerFactory(name="Aiko"))
    second = approved_review(product=product, author=CustomerFactory(name=""))
    waiting = ReviewFactory(product=product)
    product.refresh_from_db()

    # The published reviews with authors; which of them bought it (orders); the viewer's own.
    with django_assert_num_queries(3):
        part = services.get_product_reviews(product=product, viewer_id=waiting.author_id)
        names = [(shown.review, shown.author_name) for shown in part.published]

    assert names == [(second, "A customer"), (first, "Aiko")]
    assert part.own == waiting


def test_an_unreviewed_product_seen_anonymously_costs_no_query(django_assert_num_queries):
    product = ProductFactory()
    ReviewFactory(product=product)  # waiting for moderation: not counted in the summary

    with django_assert_num_queries(0):
        part = services.get_product_reviews(product=product, viewer_id=None)

    assert part == services.ProductReviews(published=[], own=None)


# ---------------------------------------------------------------- the catalogue's side


def test_set_rating_summary_refuses_impossible_summaries():
    product = ProductFactory()

    for count, average in [(-1, None), (0, Decimal(4)), (2, None), (1, Decimal(6))]:
        with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
            catalog_services.set_rating_summary(product_id=product.id, count=count, average=average)

    assert _summary(product) == (0, None)


def test_set_rating_summary_for_a_missing_product_raises():
    with pytest.raises(Product.DoesNotExist):
        catalog_services.set_rating_summary(product_id=999_999, count=1, average=Decimal(3))
