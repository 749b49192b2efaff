"""The checkout from cart to confirmation against the in-memory processor, and its bad cases."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bungu.catalog import services as catalog_services
from bungu.checkout.models import AttemptState, CheckoutAttempt
from bungu.checkout.reconcile import release_expired_holds
from bungu.mail.models import OutboxMessage
from bungu.orders.models import Order
from bungu.payments import PaymentRequest
from tests.catalog.factories import SKUFactory

from .helpers import GUEST, add, back_from_processor, place, review_form, to_review

# Transactional: the cart cookie and the e-mail go out only once a change commits.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shop_tables")]

LONG_DIGITS = re.compile(r"\d{13,19}")


@pytest.fixture
def pen():
    return SKUFactory(price=Decimal("20.00"), stock=5)


def _pay(client, gateway, pen, quantity=2):
    add(client, pen, quantity)
    form = to_review(client)
    response = place(client, form)
    assert response.status_code == 302
    payment = gateway.payment_for(form["attempt"])
    assert response["Location"] == payment.checkout_url
    return form, payment


def test_p1_the_review_page_lets_place_order_lead_to_the_processors_page(client, gateway, pen):
    # "Place order" is answered with a redirect to the processor; a browser holds that
    # redirect to the review page's form-action, so without the processor's origin there
    # no real browser reaches the payment page (found by the real-browser tests).
    add(client, pen)
    to_review(client)
    assert _form_action(client, "checkout:review") == ["'self'", gateway.page_origin]
    # Other pages keep the shop's own policy.
    assert _form_action(client, "checkout:shipping") == ["'self'"]


def _form_action(client, name):
    policy = client.get(reverse(name))["Content-Security-Policy"]
    directive = next(d for d in policy.split(";") if d.strip().startswith("form-action"))
    return directive.split()[1:]


def test_p6_a_guest_buys_and_sees_only_the_last_four_digits(client, gateway, pen):
    form, payment = _pay(client, gateway, pen)
    gateway.authorise(payment.id)

    response = back_from_processor(client, form["attempt"], payment.id)

    assert response["Location"] == reverse("checkout:done", args=[form["attempt"]])
    page = client.get(response["Location"]).content.decode()
    order = Order.objects.get()
    # 2 x 20.00, free shipping above 50? no: 40.00 + 5.00 shipping, CA tax 7.25 % of 40.
    assert (order.subtotal, order.shipping_cost, order.tax, order.total) == (
        Decimal("40.00"),
        Decimal("5.00"),
        Decimal("2.90"),
        Decimal("47.90"),
    )
    assert payment.amount == 4790
    assert order.number in page
    assert "Visa ending in 4242" in page
    assert not LONG_DIGITS.search(page)  # P2
    assert (order.card_brand, order.card_last4, order.customer_id) == ("Visa", "4242", None)
    pen.refresh_from_db()
    assert (pen.stock, pen.allocated) == (5, 2)
    assert client.get(reverse("cart:detail")).context["summary"].is_empty
    mail = OutboxMessage.objects.get(kind="order.confirmation")
    assert mail.to_address == GUEST["email"]
    assert "Visa ending in 4242" in mail.text_body
    assert "/orders/guest/" in mail.text_body
    assert not LONG_DIGITS.search(mail.text_body)


def test_a_double_click_and_a_second_return_make_one_order_and_one_charge(client, gateway, pen):
    add(client, pen, 1)
    form = to_review(client)

    first, second = place(client, form), place(client, form)

    assert first["Location"] == second["Location"]
    assert len(gateway.payments) == 1
    payment = gateway.payment_for(form["attempt"])
    gateway.authorise(payment.id)
    back_from_processor(client, form["attempt"])
    back_from_processor(client, form["attempt"])
    assert place(client, form)["Location"] == reverse("checkout:done", args=[form["attempt"]])
    assert Order.objects.count() == 1
    pen.refresh_from_db()
    assert pen.allocated == 1


def test_a_declined_card_goes_back_to_review_and_the_retry_reuses_the_payment(client, gateway, pen):
    form, payment = _pay(client, gateway, pen)
    gateway.decline(payment.id)

    response = back_from_processor(client, form["attempt"])

    assert response["Location"] == reverse("checkout:review")
    page = client.get(response["Location"]).content.decode()
    assert "Your card was declined" in page
    assert Order.objects.count() == 0
    again = review_form(client)
    assert again["attempt"] == form["attempt"]
    assert place(client, again)["Location"] == payment.checkout_url


def test_a_cancelled_payment_releases_the_hold_and_the_next_try_is_a_new_attempt(
    client, gateway, pen
):
    form, payment = _pay(client, gateway, pen)
    gateway.cancel(payment.id)

    response = back_from_processor(client, form["attempt"])

    assert "The payment was cancelled" in client.get(response["Location"]).content.decode()
    assert CheckoutAttempt.objects.get(pk=form["attempt"]).state == AttemptState.FAILED
    pen.refresh_from_db()
    assert pen.allocated == 0
    again = review_form(client)
    assert again["attempt"] != form["attempt"]
    assert place(client, again).status_code == 302
    assert len(gateway.payments) == 2


def test_stock_gone_while_paying_is_told_plainly_and_the_authorisation_voided(client, gateway, pen):
    form, payment = _pay(client, gateway, pen, quantity=5)
    release_expired_holds(now=timezone.now() + timedelta(hours=1))
    catalog_services.hold_stock(lines={pen.pk: 1})  # someone else bought one meanwhile
    gateway.authorise(payment.id)

    response = back_from_processor(client, form["attempt"])

    page = client.get(response["Location"]).content.decode()
    assert "the last of an item in your order was sold" in page
    assert Order.objects.count() == 0
    assert gateway.payments[payment.id].state == "voided"
    pen.refresh_from_db()
    assert pen.allocated == 1


def test_a_tampered_amount_makes_no_order_and_is_voided(client, gateway, pen):
    form, payment = _pay(client, gateway, pen)
    gateway.authorise(payment.id, amount=100)

    response = back_from_processor(client, form["attempt"])

    assert "does not match your order" in client.get(response["Location"]).content.decode()
    assert Order.objects.count() == 0
    assert gateway.payments[payment.id].state == "voided"
    pen.refresh_from_db()
    assert pen.allocated == 0


def test_the_return_urls_payment_parameter_is_never_trusted(client, gateway, pen):
    form, payment = _pay(client, gateway, pen)
    other = gateway.create_payment(
        PaymentRequest(
            reference="f" * 32, amount=payment.amount, currency="USD", return_url="http://x/"
        )
    )
    gateway.authorise(other.id)
    CheckoutAttempt.objects.filter(pk=form["attempt"]).update(payment_id="")

    response = back_from_processor(client, form["attempt"], other.id)

    assert response.status_code == 302
    assert "not for this order" in client.get(response["Location"]).content.decode()
    assert Order.objects.count() == 0
    assert gateway.payments[other.id].state == "authorised"  # never someone else's to void


def test_a_cart_changed_in_another_tab_is_refused_and_nothing_is_charged(client, gateway, pen):
    add(client, pen, 1)
    form = to_review(client)
    add(client, pen, 1)  # another tab

    response = place(client, form)

    assert response["Location"] == reverse("checkout:review")
    assert "changed since you reviewed" in client.get(response["Location"]).content.decode()
    assert gateway.payments == {}
    pen.refresh_from_db()
    assert pen.allocated == 0


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"attempt": "x" * 32, "fingerprint": "0" * 64},
        {"attempt": "0" * 32, "fingerprint": "nope"},
    ],
)
def test_a_damaged_place_order_form_is_a_clear_400(client, gateway, pen, form):
    add(client, pen, 1)
    to_review(client)

    response = place(client, form)

    assert response.status_code == 400
    assert gateway.payments == {}


def test_someone_elses_attempt_is_a_404(client, gateway, pen):
    add(client, pen, 1)
    form = to_review(client)
    stranger = Client()
    add(stranger, pen, 1)

    assert place(stranger, form).status_code == 404
    assert stranger.get(reverse("checkout:done", args=[form["attempt"]])).status_code == 404
    assert gateway.payments == {}


def test_a_processor_timeout_loses_nothing_and_the_retry_works(client, gateway, pen):
    add(client, pen, 1)
    form = to_review(client)
    gateway.down = True

    response = place(client, form)

    assert "did not answer" in client.get(response["Location"]).content.decode()
    assert Order.objects.count() == 0
    gateway.down = False
    again = review_form(client)
    assert again == form
    response = place(client, again)
    assert response["Location"] == gateway.payment_for(form["attempt"]).checkout_url


def test_a_guest_must_state_they_are_18_or_over(client, gateway, pen):
    add(client, pen, 1)

    response = client.post(reverse("checkout:address"), {**GUEST, "adult": ""})

    assert response.status_code == 200
    assert "confirm that you are 18 or over" in response.content.decode()
    assert CheckoutAttempt.objects.count() == 0


def test_a_us_address_needs_a_state_code(client, gateway, pen):
    add(client, pen, 1)

    response = client.post(reverse("checkout:address"), {**GUEST, "region": "California"})

    assert "two-letter code" in response.content.decode()


def test_the_review_page_runs_the_same_queries_for_one_line_or_five(
    client, gateway, django_assert_max_num_queries, settings
):
    # The catalogue generation is re-read once its short trust period ends; on a busy
    # machine that could fall between the two loads and add a query to only one of them.
    settings.BUNGU_CATALOG_GENERATION_TTL = 3600
    skus = [SKUFactory(stock=9) for _ in range(5)]
    add(client, skus[0])
    to_review(client)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("checkout:review"))
    for sku in skus[1:]:
        add(client, sku)
    review_form(client)
    with CaptureQueriesContext(connection) as five:
        client.get(reverse("checkout:review"))

    assert len(five) == len(one)
