"""The shop fails at each step of a purchase, against the real sandbox processor; after the
reconciler has run, the books balance: no authorisation without its order, no attempt
charged twice, every order the customer was shown still there and paid for.

The steps: after the processor's session is created (before the customer is sent to it),
after the authorisation (the customer never comes back and the webhook is lost), before the
order commits, and while an order is cancelled (the flow captures nothing, so the release
of the authorisation is the last step that talks to the processor). And a webhook delivered
three times changes the state once.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bungu import payments
from bungu.catalog import services as catalog_services
from bungu.catalog.models import SKU
from bungu.checkout.models import AttemptState, CheckoutAttempt, WebhookReceipt
from bungu.checkout.reconcile import reconcile_payments
from bungu.mail.models import OutboxMessage
from bungu.orders import services as orders
from bungu.orders.models import Order, OrderState
from tests.catalog.factories import SKUFactory
from tests.processor import CardProcessor

from .helpers import add, back_from_processor, place, review_form, to_review
from .ledger import Audit, audit, units_ordered

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shop_tables")]


class ShopDied(Exception):  # noqa: N818 - what the test makes happen
    pass


@dataclass
class Books:
    """The real processor (the session's) and the shop's gateway to it, since the test began."""

    processor: CardProcessor
    gateway: payments.Gateway
    since: datetime

    def audit(self) -> Audit:
        return audit(self.gateway, since=self.since)

    def balanced(self) -> dict[str, int]:
        """Assert the books balance; returns the processor's payments by state."""
        found = self.audit()
        assert found.violations == []
        return dict(found.states())

    def ours(self, payment_ids: list[str]) -> list[str]:
        """This test's payments among ``payment_ids``: the processor lives for the whole
        session, and the reconciler rightly voids any orphan it lists, another test's too."""
        mine = {p.id for p in self.gateway.list_payments(created_after=self.since)}
        return sorted(set(payment_ids) & mine)


@pytest.fixture
def books(card_processor: CardProcessor, sandbox_gateway: payments.Gateway) -> Books:
    return Books(card_processor, sandbox_gateway, timezone.now())


@pytest.fixture
def pen() -> SKU:
    sku: SKU = SKUFactory(price=Decimal("24.00"), stock=3)
    return sku


@pytest.fixture
def shopper(pen: SKU) -> Client:
    """A guest with two pens in the cart, on the review page (a 500 is an answer, not an
    exception, as a browser sees it)."""
    client = Client(raise_request_exception=False)
    add(client, pen, 2)
    return client


def _payment_id(response: Any, processor: CardProcessor) -> str:
    assert response.status_code == 302, response.content.decode()
    location = response["Location"]
    assert location.startswith(processor.base_url + "/pay/"), location
    return str(location.rsplit("/", 1)[-1])


def _return(client: Client, answer: Any) -> Any:
    """Follow the processor's 303 back to the shop, as the browser would."""
    assert answer.status_code == 303, answer.text
    back = urlsplit(answer.headers["location"])
    return client.get(f"{back.path}?{back.query}")


def _confirmations() -> int:
    return OutboxMessage.objects.filter(kind=orders.CONFIRMATION).count()


# ---------------------------------------------------------------- the positive control
def test_the_audit_finds_an_orphan_a_double_charge_an_unpaid_order_and_an_oversell(books):
    card_processor, sandbox_gateway = books.processor, books.gateway
    tag = secrets.token_hex(4)
    orphan = card_processor.create(reference=f"att_orphan_{tag}")
    card_processor.pay(orphan["id"])
    twice = [
        card_processor.api(
            "POST",
            "/v1/payments",
            key=f"key-{tag}-{n}",
            json={
                "reference": f"att_twice_{tag}",
                "amount": 500 + n,
                "currency": "USD",
                "return_url": "http://127.0.0.1:9/back/",
            },
        ).json()
        for n in range(2)
    ]
    for payment in twice:
        card_processor.pay(payment["id"])
    unpaid = card_processor.create(reference=f"att_unpaid_{tag}")  # never paid
    sku = SKUFactory(stock=1)
    catalog_services.hold_stock(lines={sku.pk: 1})
    order = orders.place_order(
        attempt_id=f"att_unpaid_{tag}",
        customer_id=None,
        email="hana@example.com",
        address=orders.ShippingAddress(
            recipient="Hana", line1="1 Market St", city="SF", postal_code="94105", country="US"
        ),
        shipping_method="standard",
        shipping_method_name="Standard",
        shipping_cost=Decimal("0.00"),
        tax=Decimal("0.00"),
        lines=[orders.LineIn(sku.pk, sku.code, "Pen", Decimal("5.00"), 2)],  # 2 of 1 in stock
        payment=sandbox_gateway.get_payment(unpaid["id"]),
        actor="test",
    ).order

    try:
        found = books.audit()
    finally:
        # Planted orphans must not outlive the test on the session's processor.
        for payment in sandbox_gateway.list_payments(created_after=books.since):
            if payment.state == payments.PaymentState.AUTHORISED:
                sandbox_gateway.void(payment.id, idempotency_key=f"cleanup-{payment.id}")

    assert sorted(found.orphans) == sorted([orphan["id"], *(p["id"] for p in twice)])
    assert found.double_charges == [f"att_twice_{tag}"]
    assert found.unpaid_orders == [order.number]
    assert found.oversold == [sku.pk]
    assert len(found.violations) == 6


# -------------------------------------------------- after the session, before the redirect
@pytest.mark.parametrize("then", ["places the order again", "goes away"])
def test_the_shop_dies_after_creating_the_session_before_the_redirect(
    shopper, pen, books, monkeypatch, then
):
    card_processor, sandbox_gateway = books.processor, books.gateway
    form = to_review(shopper)
    real_create = sandbox_gateway.create_payment

    def create_then_die(request: payments.PaymentRequest) -> payments.Payment:
        real_create(request)
        raise ShopDied("after the processor's session was created")

    monkeypatch.setattr(sandbox_gateway, "create_payment", create_then_die)
    assert place(shopper, form).status_code == 500
    monkeypatch.undo()
    pen.refresh_from_db()
    assert pen.allocated == 2  # held: the customer may come back for it

    if then == "places the order again":
        # The same attempt is the same idempotency key: the same session, not a second one.
        payment_id = _payment_id(place(shopper, form), card_processor)
        response = _return(shopper, card_processor.pay(payment_id))
        assert response["Location"] == reverse("checkout:done", args=[form["attempt"]])
        assert books.balanced() == {"authorised": 1}
        assert Order.objects.get(attempt_id=form["attempt"]).payment_id == payment_id
    else:
        report = reconcile_payments(now=timezone.now() + timedelta(hours=1))
        assert (report.placed, report.holds_released) == ([], 1)
        assert books.ours(report.voided) == []
        assert books.balanced() == {"pending": 1}  # nothing authorised
        assert Order.objects.count() == 0
    pen.refresh_from_db()
    assert pen.allocated == (2 if then == "places the order again" else 0)


# ---------------------------------------------------------------- after the authorisation
def test_the_customer_never_returns_and_the_webhook_is_lost_the_reconciler_places_the_order(
    shopper, pen, books, webhook_receiver
):
    card_processor = books.processor
    card_processor.webhook_mode("drop", url=webhook_receiver.url)
    form = to_review(shopper)
    payment_id = _payment_id(place(shopper, form), card_processor)
    assert card_processor.pay(payment_id).status_code == 303  # ...and the tab is closed
    assert books.audit().orphans == [payment_id]

    report = reconcile_payments()

    order = Order.objects.get(attempt_id=form["attempt"])
    assert report.placed == [order.number]
    assert books.balanced() == {"authorised": 1}
    assert units_ordered(pen) == 2
    assert _confirmations() == 1
    assert webhook_receiver.received == []
    assert reconcile_payments().placed == []  # a second run changes nothing


def test_an_authorisation_for_a_superseded_attempt_is_voided_after_the_grace_period(
    shopper, pen, books, settings
):
    card_processor = books.processor
    card_processor.webhook_mode("drop")
    form = to_review(shopper)
    payment_id = _payment_id(place(shopper, form), card_processor)
    add(shopper, SKUFactory(stock=2))  # another tab changes the cart: a fresh attempt
    review_form(shopper)
    assert CheckoutAttempt.objects.get(pk=form["attempt"]).state == AttemptState.ABANDONED
    card_processor.pay(payment_id)  # the old tab pays anyway, and is closed

    assert reconcile_payments().voided == []  # the return may still come
    later = timezone.now() + timedelta(minutes=settings.BUNGU_PAYMENT_VOID_GRACE_MINUTES + 1)
    report = reconcile_payments(now=later)

    assert books.ours(report.voided) == [payment_id]
    assert books.balanced() == {"voided": 1}
    assert Order.objects.count() == 0
    pen.refresh_from_db()
    assert pen.allocated == 0


# ---------------------------------------------------------------- before the order commits
def test_the_shop_dies_before_the_order_commits_and_the_reconciler_places_it_once(
    shopper, pen, books, monkeypatch
):
    card_processor = books.processor
    form = to_review(shopper)
    payment_id = _payment_id(place(shopper, form), card_processor)
    real_place = orders.place_order

    def place_then_die(**kwargs: Any) -> orders.PlacedOrder:
        real_place(**kwargs)  # the rows are written...
        raise ShopDied("...and the transaction never commits")

    monkeypatch.setattr(orders, "place_order", place_then_die)
    assert _return(shopper, card_processor.pay(payment_id)).status_code == 500
    monkeypatch.undo()

    assert Order.objects.count() == 0
    assert _confirmations() == 0  # never for an order that was rolled back
    attempt = CheckoutAttempt.objects.get(pk=form["attempt"])
    assert (attempt.state, attempt.held_lines) == (AttemptState.PAYING, {pen.pk: 2})
    assert books.audit().orphans == [payment_id]

    report = reconcile_payments()

    order = Order.objects.get(attempt_id=form["attempt"])
    assert report.placed == [order.number]
    assert books.balanced() == {"authorised": 1}
    # The customer reloads the return page: the same order, acknowledged now.
    response = back_from_processor(shopper, form["attempt"])
    assert response["Location"] == reverse("checkout:done", args=[form["attempt"]])
    assert order.number in shopper.get(response["Location"]).content.decode()
    assert (Order.objects.count(), _confirmations(), units_ordered(pen)) == (1, 1, 2)
    pen.refresh_from_db()
    assert pen.allocated == 2


# ---------------------------------------------------------------- while an order is cancelled
def test_the_shop_dies_after_releasing_the_payment_of_a_cancelled_order(
    shopper, pen, books, monkeypatch
):
    card_processor = books.processor
    form = to_review(shopper)
    payment_id = _payment_id(place(shopper, form), card_processor)
    _return(shopper, card_processor.pay(payment_id))
    order = Order.objects.get(attempt_id=form["attempt"])

    def die(**kwargs: Any) -> None:
        raise ShopDied("after the processor released the authorisation")

    monkeypatch.setattr(catalog_services, "release_stock", die)
    with pytest.raises(ShopDied):
        orders.cancel_order(order=order, actor="customer")
    monkeypatch.undo()
    assert card_processor.get(payment_id)["state"] == "voided"
    assert Order.objects.get(pk=order.pk).state == OrderState.PLACED  # rolled back
    assert books.audit().unpaid_orders == [order.number]

    report = reconcile_payments()

    assert report.cancelled == [order.number]
    assert "1 cancellations finished" in str(report)
    assert Order.objects.get(pk=order.pk).state == OrderState.CANCELLED
    assert books.balanced() == {"voided": 1}
    pen.refresh_from_db()
    assert pen.allocated == 0
    assert reconcile_payments().cancelled == []


# ---------------------------------------------------------------- a webhook three times
def test_a_real_webhook_delivered_three_times_changes_the_state_once(
    shopper, pen, books, webhook_receiver
):
    card_processor = books.processor
    card_processor.webhook_mode("duplicate", url=webhook_receiver.url)
    form = to_review(shopper)
    payment_id = _payment_id(place(shopper, form), card_processor)
    card_processor.pay(payment_id)  # the customer closes the tab: only the webhook tells
    first, second = webhook_receiver.wait_for(2)
    assert first.body == second.body
    assert json.loads(first.body)["type"] == "payment.authorised"
    headers = {
        name: first.headers[name]
        for name in ("cardsandbox-event-id", "cardsandbox-timestamp", "cardsandbox-signature")
    }

    answers = [
        Client().post(
            reverse("checkout:webhook"),
            data=delivery.body,
            content_type="application/json",
            headers=headers,
        )
        for delivery in (first, second, first)  # the processor's two copies, and a replay
    ]

    assert [(a.status_code, a.content.decode()) for a in answers] == [
        (200, "placed"),
        (200, "already handled"),
        (200, "already handled"),
    ]
    assert WebhookReceipt.objects.count() == 1
    assert (Order.objects.count(), _confirmations(), units_ordered(pen)) == (1, 1, 2)
    pen.refresh_from_db()
    assert pen.allocated == 2
    assert books.balanced() == {"authorised": 1}


def test_a_webhook_whose_handling_dies_is_handled_when_it_comes_again(
    shopper, pen, books, webhook_receiver, monkeypatch
):
    books.processor.webhook_mode("normal", url=webhook_receiver.url)
    form = to_review(shopper)
    books.processor.pay(_payment_id(place(shopper, form), books.processor))
    (delivery,) = webhook_receiver.wait_for(1)
    real_place = orders.place_order

    def place_then_die(**kwargs: Any) -> orders.PlacedOrder:
        real_place(**kwargs)
        raise ShopDied("before the webhook's order commits")

    def post() -> Any:
        return Client(raise_request_exception=False).post(
            reverse("checkout:webhook"),
            data=delivery.body,
            content_type="application/json",
            headers={k: v for k, v in delivery.headers.items() if k.startswith("cardsandbox-")},
        )

    monkeypatch.setattr(orders, "place_order", place_then_die)
    assert post().status_code == 500  # the processor retries what is not answered 2xx
    monkeypatch.undo()
    assert (Order.objects.count(), WebhookReceipt.objects.count()) == (0, 0)

    again = post()

    assert (again.status_code, again.content.decode()) == (200, "placed")
    assert (Order.objects.count(), WebhookReceipt.objects.count(), _confirmations()) == (1, 1, 1)
    assert books.balanced() == {"authorised": 1}
