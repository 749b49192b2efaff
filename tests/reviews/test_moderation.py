"""The moderation queue in the Django admin: approve, reject with a reason, dismiss reports."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from bungu.reviews import services
from bungu.reviews.models import ReportReason, Review, ReviewStatus
from tests.accounts.factories import CustomerFactory

from .factories import ReviewFactory, approved_review

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:reviews_review_changelist")


@pytest.fixture
def staff_client(client):
    client.force_login(CustomerFactory(is_staff=True, is_superuser=True))
    return client


def test_the_queue_lists_reviews_for_staff(staff_client):
    ReviewFactory(body="Waiting here.")

    response = staff_client.get(QUEUE)

    assert response.status_code == 200
    assert "Waiting here." in response.content.decode()


def test_customers_cannot_reach_the_queue(client):
    client.force_login(CustomerFactory())

    assert client.get(QUEUE).status_code == 302  # to the admin's own sign-in page


def test_staff_approve_reviews_and_the_summary_follows(staff_client):
    first, second = ReviewFactory(rating=5), ReviewFactory(rating=2)
    second.product = first.product
    second.save()

    response = staff_client.post(
        QUEUE, {"action": "approve", ACTION_CHECKBOX_NAME: [first.id, second.id], "index": 0}
    )

    assert response.status_code == 302
    assert set(Review.objects.values_list("status", flat=True)) == {ReviewStatus.APPROVED}
    first.product.refresh_from_db()
    assert (first.product.rating_count, first.product.rating_average) == (2, Decimal("3.50"))


def test_rejecting_asks_for_a_reason_first(staff_client):
    review = approved_review()

    asked = staff_client.post(
        QUEUE, {"action": "reject", ACTION_CHECKBOX_NAME: [review.id], "index": 0}
    )
    done = staff_client.post(
        QUEUE,
        {
            "action": "reject",
            ACTION_CHECKBOX_NAME: [review.id],
            "index": 0,
            "reason": "Mentions a competitor's price.",
        },
    )

    assert asked.status_code == 200
    assert "Reason shown to the authors" in asked.content.decode()
    assert done.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.rejection_reason) == (
        ReviewStatus.REJECTED,
        "Mentions a competitor's price.",
    )
    review.product.refresh_from_db()
    assert review.product.rating_count == 0


def test_an_empty_reason_rejects_nothing(staff_client):
    review = ReviewFactory()

    response = staff_client.post(
        QUEUE, {"action": "reject", ACTION_CHECKBOX_NAME: [review.id], "index": 0, "reason": " "}
    )

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING


def test_reported_reviews_are_flagged_for_staff_and_can_be_kept(staff_client):
    review = approved_review(body="Reported one.")
    services.report_review(
        review_id=review.id, reporter_id=CustomerFactory().id, reason=ReportReason.SPAM, details=""
    )

    flagged = staff_client.get(QUEUE, {"flagged__exact": "1"}).content.decode()
    staff_client.post(
        QUEUE, {"action": "dismiss_reports", ACTION_CHECKBOX_NAME: [review.id], "index": 0}
    )

    assert "Reported one." in flagged
    review.refresh_from_db()
    assert (review.flagged, review.status) == (False, ReviewStatus.APPROVED)


def test_the_change_page_shows_a_review_without_letting_staff_edit_it(staff_client):
    review = ReviewFactory(body="Read only.")

    response = staff_client.post(
        reverse("admin:reviews_review_change", args=[review.id]), {"status": "approved"}
    )

    page = staff_client.get(reverse("admin:reviews_review_change", args=[review.id]))

    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING
    # The review's page is read-only (its values come through the privacy gate, P13).
    assert response.status_code == 403
    assert "Read only." in page.content.decode()
