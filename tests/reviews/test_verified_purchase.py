"""The "verified purchase" badge on the product page: the author has an order of the product
that was not cancelled, asked of the orders in one query for all the reviews on the page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bungu import payments
from bungu.orders import services as orders
from bungu.reviews import services
from tests.accounts.factories import CustomerFactory
from tests.catalog.factories import ProductFactory, SKUFactory
from tests.checkout.fake_gateway import FakeGateway
from tests.orders.factories import place_test_order

from .factories import approved_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway(settings):
    settings.BUNGU_PAYMENT_GATEWAY = "tests.checkout.fake_gateway.FakeGateway"
    payments.get_gateway.cache_clear()
    fake = payments.get_gateway()
    assert isinstance(fake, FakeGateway)
    yield fake
    payments.get_gateway.cache_clear()


def _bought(customer, product, gateway=None):
    sku = SKUFactory(product=product, price=Decimal("10.00"), stock=5)
    return place_test_order(customer=customer, email=customer.email, sku=sku, gateway=gateway)


def _badges(html: str) -> list[tuple[str, bool]]:
    """(author, verified) for each review on the page, in order."""
    found = []
    for item in html.split('<li class="review"')[1:]:
        author = item.split('<span class="review-author">', 1)[1].split("</span>", 1)[0]
        found.append((author, "Verified purchase" in item.split("</li>", 1)[0]))
    return found


def test_only_an_author_with_an_order_of_the_product_that_stands_is_verified(client, gateway):
    product, other_product = ProductFactory(), ProductFactory()
    buyer = CustomerFactory(name="Buyer")
    canceller = CustomerFactory(name="Canceller")
    other_buyer = CustomerFactory(name="Other product")
    never = CustomerFactory(name="Never bought")
    _bought(buyer, product)
    orders.cancel_order(order=_bought(canceller, product, gateway), actor="customer")
    _bought(other_buyer, other_product)
    # Someone who is not a reviewer bought it: that verifies nobody else.
    _bought(CustomerFactory(name="Not a reviewer"), product)
    for author in (buyer, canceller, other_buyer, never):
        approved_review(product=product, author=author)

    html = client.get(product.get_absolute_url()).content.decode()

    assert sorted(_badges(html)) == [
        ("Buyer", True),
        ("Canceller", False),
        ("Never bought", False),
        ("Other product", False),
    ]


def test_a_cancelled_order_stops_verifying_an_existing_review(client, gateway, settings):
    settings.BUNGU_PAGE_CACHE_SECONDS = 0  # the same visitor's page, before and after
    product = ProductFactory()
    author = CustomerFactory(name="Aiko")
    order = _bought(author, product, gateway)
    approved_review(product=product, author=author)
    assert _badges(client.get(product.get_absolute_url()).content.decode()) == [("Aiko", True)]

    orders.cancel_order(order=order, actor="customer")

    assert _badges(client.get(product.get_absolute_url()).content.decode()) == [("Aiko", False)]


def test_customer_bought_products_answers_for_many_customers_in_one_query(
    django_assert_num_queries,
):
    product = ProductFactory()
    buyers = [CustomerFactory() for _ in range(3)]
    for buyer in buyers[:2]:
        _bought(buyer, product)
    _bought(buyers[0], product)  # twice: still one answer

    with django_assert_num_queries(1):
        found = orders.customer_bought_products(
            customer_ids=[b.pk for b in buyers], product_id=product.pk
        )

    assert found == {buyers[0].pk, buyers[1].pk}
    with django_assert_num_queries(0):
        assert orders.customer_bought_products(customer_ids=[], product_id=product.pk) == set()


def test_the_product_page_costs_the_same_queries_with_2_or_12_verified_reviews(client, settings):
    settings.BUNGU_PAGE_CACHE_SECONDS = 0  # measure the page, not the cache
    counts = []
    for reviews in (2, 12):
        product = ProductFactory()
        for _ in range(reviews):
            author = CustomerFactory()
            _bought(author, product)
            approved_review(product=product, author=author)
        client.get(product.get_absolute_url())  # warms the per-process caches
        with CaptureQueriesContext(connection) as queries:
            html = client.get(product.get_absolute_url()).content.decode()
        counts.append(len(queries))
        assert html.count("Verified purchase") == reviews

    assert counts[0] == counts[1]


def test_the_reviews_part_asks_the_orders_once_and_not_at_all_without_reviews(
    django_assert_num_queries,
):
    product, empty = ProductFactory(), ProductFactory()
    for _ in range(3):
        approved_review(product=product)
    product.refresh_from_db()

    # The published reviews, then which of their authors bought the product.
    with django_assert_num_queries(2):
        part = services.get_product_reviews(product=product, viewer_id=None)
    with django_assert_num_queries(0):
        assert services.get_product_reviews(product=empty, viewer_id=None).published == []

    assert [shown.verified for shown in part.published] == [False, False, False]
