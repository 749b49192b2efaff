"""What the checkout's steps cost the database, where `make bench` found waste: a fixed number
of queries per step however many lines the cart holds, and no session row for a guest."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bungu.checkout.models import CheckoutAttempt, ShippingMethod
from bungu.mail.models import OutboxMessage
from tests.accounts.factories import CustomerFactory
from tests.catalog.factories import SKUFactory

from .fake_gateway import FakeGateway
from .helpers import GUEST, add

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shop_tables")]

# Queries per step of a guest's purchase of one line (the page's cart badge included); the
# webhook is the processor's notification arriving after the return page made the order.
# "start" (the cart's "Check out", which shows the address step) also reads the layout's
# categories, new after the test's catalogue changes; the address page then finds them cached.
STEP_QUERIES = {
    "start": 6,
    "address page": 3,
    "address": 6,
    "shipping page": 6,
    "shipping": 9,
    "review": 6,
    "place order": 19,  # with the stock states read before and after the hold (page cache)
    "return": 25,  # with the cart owner read to refresh their cached summary
    "confirmation": 5,
    "webhook": 4,
}
# What another line adds: one conditional stock update per SKU when "Place order" holds the
# stock (in SKU-id order, so two buyers never wait on each other), and one cart line taken
# out of the cart when the order is placed. Every other step is flat.
PER_EXTRA_LINE = {"place order": 1, "return": 1}


Queries = list[dict[str, str]]


def _session_writes(queries: Queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].startswith(("UPDATE", "INSERT")) and "django_session" in q["sql"]
    ]


def _buy(client: Client, gateway: FakeGateway, lines: int) -> dict[str, Queries]:
    """A guest buys ``lines`` different pens; the queries of each step."""
    for _ in range(lines):
        add(client, SKUFactory(price=Decimal("20.00"), stock=5))
    method = ShippingMethod.objects.get(code="standard")
    # Each step's queries are copied at once: the connection's log is a bounded deque.
    steps: dict[str, Queries] = {}

    def step(name: str, method_name: str, url: str, data: dict[str, object] | None = None):
        with CaptureQueriesContext(connection) as queries:
            response = getattr(client, method_name)(url, data or {})
        steps[name] = list(queries.captured_queries)
        assert response.status_code in {200, 302}, (name, response.status_code)
        return response

    step("start", "get", reverse("checkout:start"))
    step("address page", "get", reverse("checkout:address"))
    step("address", "post", reverse("checkout:address"), GUEST)
    step("shipping page", "get", reverse("checkout:shipping"))
    step("shipping", "post", reverse("checkout:shipping"), {"method": method.pk})
    form = step("review", "get", reverse("checkout:review")).context["form"]
    step("place order", "post", reverse("checkout:pay"), dict(form.initial))
    attempt_id = form.initial["attempt"]
    payment = gateway.payment_for(attempt_id)
    gateway.authorise(payment.id)
    done = step("return", "get", reverse("checkout:return", args=[attempt_id]))
    assert done["Location"] == reverse("checkout:done", args=[attempt_id])
    step("confirmation", "get", done["Location"])
    body, headers = gateway.signed_webhook(payment.id)
    with CaptureQueriesContext(connection) as queries:
        answer = Client().post(
            reverse("checkout:webhook"), data=body, content_type="application/json", headers=headers
        )
    assert answer.content == b"placed"
    steps["webhook"] = list(queries.captured_queries)
    return steps


def test_each_step_costs_a_fixed_number_of_queries_however_many_lines(gateway, settings):
    # A catalogue generation read expiring mid-step would add a query to one of the runs.
    settings.BUNGU_CATALOG_GENERATION_TTL = 3600
    one = _buy(Client(), gateway, lines=1)
    three = _buy(Client(), gateway, lines=3)

    assert {name: len(q) for name, q in one.items()} == STEP_QUERIES
    assert {name: len(q) for name, q in three.items()} == {
        name: count + 2 * PER_EXTRA_LINE.get(name, 0) for name, count in STEP_QUERIES.items()
    }


def test_a_guest_checkout_writes_no_session_row(client, gateway):
    steps = _buy(client, gateway, lines=1)

    assert {name: _session_writes(q) for name, q in steps.items() if _session_writes(q)} == {}
    assert Session.objects.count() == 0
    assert CheckoutAttempt.objects.get().state == "completed"
    # The order's own confirmation; the guardian's (P23) only when a guardian paid.
    assert list(OutboxMessage.objects.values_list("kind", flat=True)) == ["order.confirmation"]


def test_the_session_write_check_sees_a_session_written():
    """The positive control: signing in writes the session, and the check sees it."""
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        client.force_login(CustomerFactory())

    assert len(_session_writes(list(queries.captured_queries))) >= 1


def test_a_finished_checkout_is_not_the_current_one_any_more(client, gateway):
    """After the order, the checkout starts afresh, with nothing of the last one prefilled."""
    _buy(client, gateway, lines=1)
    add(client, SKUFactory(price=Decimal("5.00"), stock=5))

    response = client.get(reverse("checkout:address"))

    assert response.status_code == 200
    assert response.context["form"].initial == {}
    assert client.get(reverse("checkout:review"))["Location"] == reverse("checkout:address")


def test_check_out_shows_the_address_step_without_a_redirect(client):
    add(client, SKUFactory(price=Decimal("5.00"), stock=5))

    response = client.get(reverse("checkout:start"))

    assert response.status_code == 200
    assert response.context["step"] == "address"
    assert f'action="{reverse("checkout:address")}"' in response.content.decode()
    # With nothing to buy, back to the cart, as before.
    assert Client().get(reverse("checkout:start"))["Location"] == reverse("cart:detail")
