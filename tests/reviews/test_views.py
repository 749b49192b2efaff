"""Review pages: what customers and visitors see, bad input, and who may reach what."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.contrib.messages import get_messages
from django.db import connection
from django.shortcuts import resolve_url
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bungu.reviews import services
from bungu.reviews.models import BODY_MAX_LENGTH, ReportReason, Review, ReviewReport, ReviewStatus
from bungu.reviews.services import ReviewDraft
from tests.accounts.factories import CustomerFactory
from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.storefront.html_checks import page_problems

from .factories import ReviewFactory, approved_review

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# ---------------------------------------------------------------- the product page


def test_the_product_page_shows_published_reviews_only_with_the_summary(client):
    product = ProductFactory()
    approved_review(
        product=product, rating=5, body="Superb nib.", author=CustomerFactory(name="Aiko")
    )
    approved_review(product=product, rating=4, body="Good value.", author=CustomerFactory(name=""))
    ReviewFactory(product=product, body="Still waiting for a moderator.")

    html = client.get(product.get_absolute_url()).content.decode()

    assert "4.5 out of 5 (2 reviews)" in html
    assert '<span class="rating-count">2 reviews</span>' in html
    assert "Superb nib." in html
    assert '<span class="review-author">Aiko</span>' in html
    assert '<span class="review-author">A customer</span>' in html
    assert "Still waiting for a moderator." not in html


def test_review_text_and_names_are_escaped_never_trusted(client):
    product = ProductFactory()
    approved_review(
        product=product,
        body="<script>alert('x')</script> <b>bold</b>",
        author=CustomerFactory(name="<img src=x onerror=alert(1)>"),
    )

    html = client.get(product.get_absolute_url()).content.decode()

    assert "<script>alert" not in html
    assert "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_anonymous_visitors_are_asked_to_sign_in_to_write_a_review(client):
    product = ProductFactory()

    html = client.get(product.get_absolute_url()).content.decode()

    assert "No reviews yet." in html
    sign_in = resolve_url(django_settings.LOGIN_URL)
    assert (
        f'<a href="{sign_in}?next=%2Fp%2F{product.slug}%2F">Sign in</a> to write a review.' in html
    )
    assert 'class="review-form"' not in html


def test_a_signed_in_customer_gets_the_form_then_their_reviews_status(client):
    product = ProductFactory()
    customer = CustomerFactory()
    client.force_login(customer)

    before = client.get(product.get_absolute_url()).content.decode()
    # Through the service, which says the customer's summary changed (a factory would not).
    services.write_review(
        author_id=customer.pk, product_id=product.pk, draft=ReviewDraft(rating=4, body="Smooth.")
    )
    after = client.get(product.get_absolute_url()).content.decode()

    assert f'action="{reverse("reviews:write", args=[product.slug])}" class="review-form"' in before
    assert 'class="review-form"' not in after
    assert (
        'You reviewed this product: <span class="review-status">Waiting for moderation</span>'
        in after
    )


def test_the_report_link_shows_for_other_customers_only(client):
    review = approved_review()
    report_url = reverse("reviews:report", args=[review.id])

    client.force_login(review.author)
    own_page = client.get(review.product.get_absolute_url()).content.decode()
    client.force_login(CustomerFactory())
    other_page = client.get(review.product.get_absolute_url()).content.decode()
    client.logout()
    anonymous_page = client.get(review.product.get_absolute_url()).content.decode()

    assert report_url not in own_page
    assert report_url in other_page
    assert report_url not in anonymous_page


def _product_page_queries(client, product) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(product.get_absolute_url())
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_product_page_costs_the_same_with_1_or_20_reviews(client, signed_in, settings):
    settings.BUNGU_PAGE_CACHE_SECONDS = 0  # measure the page, not the cache
    one, twenty = ProductFactory(), ProductFactory()
    approved_review(product=one)
    for _ in range(20):
        approved_review(product=twenty)
    if signed_in:
        client.force_login(CustomerFactory())
    # A first visit warms the per-process caches (navigation, catalogue generation).
    client.get(one.get_absolute_url())

    assert _product_page_queries(client, one) == _product_page_queries(client, twenty)
    assert twenty.reviews.count() == 20


def test_listing_pages_show_ratings_at_no_extra_query_cost(client, settings):
    settings.BUNGU_PAGE_CACHE_SECONDS = 0
    plain, rated = CategoryFactory(slug="plain"), CategoryFactory(slug="rated")
    for _ in range(3):
        ProductFactory(category=plain)
        product = ProductFactory(category=rated)
        approved_review(product=product, rating=5)
        approved_review(product=product, rating=4)
    client.get(plain.get_absolute_url())

    with CaptureQueriesContext(connection) as without_ratings:
        plain_html = client.get(plain.get_absolute_url()).content.decode()
    with CaptureQueriesContext(connection) as with_ratings:
        rated_html = client.get(rated.get_absolute_url()).content.decode()

    assert len(with_ratings) == len(without_ratings)
    assert "product-card-rating" not in plain_html
    assert (
        rated_html.count(
            '<p class="product-card-rating">4.5<span aria-hidden="true"> ★</span> out of 5 '
            '<span class="rating-count">(2 reviews)</span></p>'
        )
        == 3
    )


def test_approving_a_review_refreshes_the_cached_product_page(client):
    product = ProductFactory()
    review = ReviewFactory(product=product, body="Fresh from moderation.")
    assert "Fresh from moderation." not in client.get(product.get_absolute_url()).content.decode()

    services.approve_review(review_id=review.id, moderator_id=review.author_id)

    assert "Fresh from moderation." in client.get(product.get_absolute_url()).content.decode()


# ---------------------------------------------------------------- writing


def test_writing_a_review(client):
    product = ProductFactory()
    customer = CustomerFactory()
    client.force_login(customer)

    response = client.post(
        reverse("reviews:write", args=[product.slug]), {"rating": "5", "body": "  Lovely.  "}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:mine")
    review = Review.objects.get()
    assert (review.author, review.product, review.rating, review.body) == (
        customer,
        product,
        5,
        "Lovely.",
    )
    assert review.status == ReviewStatus.PENDING


def test_the_edit_form_is_filled_with_the_customers_review(client):
    review = ReviewFactory(body="My first words.")
    client.force_login(review.author)

    html = client.get(reverse("reviews:write", args=[review.product.slug])).content.decode()

    assert "My first words.</textarea>" in html
    assert 'value="4" required id="id_rating_1" checked' in html
    assert "Saving your changes sends the review back to our staff" in html


def test_an_oversized_review_gets_a_clear_message_and_keeps_the_text(client):
    product = ProductFactory()
    client.force_login(CustomerFactory())
    text = "Inky " * 1100  # 5,500 characters
    body = text.strip()

    response = client.post(
        reverse("reviews:write", args=[product.slug]), {"rating": "4", "body": text}
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert (
        f"Your review is {len(body):,} characters long; the most we can take is "
        f"{BODY_MAX_LENGTH:,}. Shorten it by {len(body) - BODY_MAX_LENGTH:,} characters"
    ) in html
    assert f">\n{text}</textarea>" in html
    assert 'value="4" required id="id_rating_1" checked' in html
    assert Review.objects.count() == 0


@pytest.mark.parametrize("rating", ["", "0", "6", "abc", "10000000000000"])
def test_a_bad_rating_gets_a_clear_message(client, rating):
    product = ProductFactory()
    client.force_login(CustomerFactory())

    response = client.post(
        reverse("reviews:write", args=[product.slug]), {"rating": rating, "body": "Kept text"}
    )

    assert response.status_code == 400
    assert "Choose a rating from 1 to 5 stars." in response.content.decode()
    assert "Kept text</textarea>" in response.content.decode()
    assert Review.objects.count() == 0


def test_writing_for_a_missing_or_hidden_product_is_404(client):
    hidden = ProductFactory(is_active=False)
    client.force_login(CustomerFactory())

    assert client.get(reverse("reviews:write", args=["no-such-pen"])).status_code == 404
    assert (
        client.post(
            reverse("reviews:write", args=[hidden.slug]), {"rating": "5", "body": "x"}
        ).status_code
        == 404
    )
    assert Review.objects.count() == 0


def test_anonymous_visitors_cannot_write(client):
    product = ProductFactory()
    url = reverse("reviews:write", args=[product.slug])

    assert client.get(url).status_code == 404
    assert client.post(url, {"rating": "5", "body": "Hi"}).status_code == 404
    assert Review.objects.count() == 0


# ---------------------------------------------------------------- the author's page


def test_the_author_sees_status_and_reason(client):
    customer = CustomerFactory()
    rejected = ReviewFactory(author=customer, body="Buy cheap pens at example.com")

    services.reject_review(
        review_id=rejected.id, moderator_id=customer.id, reason="Links to other shops."
    )
    approved_review(author=customer)
    ReviewFactory(author=customer)
    ReviewFactory()  # someone else's
    client.force_login(customer)

    html = client.get(reverse("reviews:mine")).content.decode()

    assert html.count('class="my-review ') == 3
    assert '<span class="review-status">Not published</span>' in html
    assert "Why it is not published: Links to other shops." in html
    assert '<span class="review-status">Published</span>' in html
    assert '<span class="review-status">Waiting for moderation</span>' in html


def test_the_reviews_page_tells_anonymous_visitors_what_it_needs(client):
    response = client.get(reverse("reviews:mine"))

    assert response.status_code == 200
    assert "Writing reviews needs an account" in response.content.decode()


# ---------------------------------------------------------------- object-level checks


def test_nobody_but_the_author_reaches_the_delete_page(client):
    review = approved_review()
    url = reverse("reviews:delete", args=[review.id])

    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    client.force_login(CustomerFactory())
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert Review.objects.filter(id=review.id).exists()

    client.force_login(review.author)
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    assert not Review.objects.filter(id=review.id).exists()


# ---------------------------------------------------------------- reports


def test_reporting_a_review(client):
    review = approved_review()
    reporter = CustomerFactory()
    client.force_login(reporter)
    url = reverse("reviews:report", args=[review.id])

    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": ReportReason.OFFENSIVE, "details": "Rude."})
    again = client.post(url, {"reason": ReportReason.SPAM, "details": ""}, follow=True)

    assert response.status_code == 302
    assert response["Location"] == review.product.get_absolute_url()
    report = ReviewReport.objects.get()
    assert (report.reporter, report.reason, report.details) == (reporter, "offensive", "Rude.")
    assert "You have already reported this review. Thank you." in again.content.decode()
    review.refresh_from_db()
    assert review.flagged is True


def test_a_bad_report_gets_a_clear_message(client):
    review = approved_review()
    client.force_login(CustomerFactory())
    url = reverse("reviews:report", args=[review.id])

    response = client.post(url, {"reason": "because", "details": "x" * 1001})

    html = response.content.decode()
    assert response.status_code == 400
    assert "Select a valid choice." in html
    assert "Keep the details under 1,000 characters (now 1,001)." in html
    assert ReviewReport.objects.count() == 0


def test_reporting_is_for_signed_in_customers_and_published_reviews(client):
    published = approved_review()
    pending = ReviewFactory()

    assert client.get(reverse("reviews:report", args=[published.id])).status_code == 404
    assert (
        client.post(reverse("reviews:report", args=[published.id]), {"reason": "spam"}).status_code
        == 404
    )
    client.force_login(CustomerFactory())
    assert client.get(reverse("reviews:report", args=[pending.id])).status_code == 404
    assert ReviewReport.objects.count() == 0


def test_authors_are_told_they_cannot_report_themselves(client):
    review = approved_review()
    client.force_login(review.author)

    response = client.post(reverse("reviews:report", args=[review.id]), {"reason": "spam"})

    assert _messages(response) == ["You cannot report your own review; edit or delete it."]
    assert ReviewReport.objects.count() == 0


def test_the_signed_in_pages_pass_the_accessibility_checks(client):
    review = approved_review()
    other = approved_review(author=CustomerFactory())
    client.force_login(review.author)
    urls = [
        reverse("reviews:mine"),
        reverse("reviews:write", args=[review.product.slug]),
        reverse("reviews:delete", args=[review.id]),
        reverse("reviews:report", args=[other.id]),
        other.product.get_absolute_url(),  # with the write form
        review.product.get_absolute_url(),  # with the customer's own review
    ]

    found = {url: page_problems(client.get(url).content.decode()) for url in urls}

    assert found == {url: [] for url in urls}
