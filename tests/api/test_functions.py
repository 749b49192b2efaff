"""P13 per agent function: each reaches exactly what its purpose allows, through the gate.

Every answer's keys are compared whole with ``assert_only_keys``; its positive control shows
that a planted extra field (an e-mail address) fails the same assertion.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, get_args

import pytest
from django.test import Client
from django.utils import timezone

from bungu.api.endpoints.warehouse import Carrier
from bungu.api.models import AgentToken
from bungu.backoffice.order_reading import WANTED
from bungu.mail import services as mail_services
from bungu.mail.models import OutboxMessage, State
from bungu.orders import fulfilment
from bungu.orders.models import Order, OrderEvent
from bungu.orders.states import OrderState, PaymentState
from bungu.privacy import Purpose
from bungu.privacy.models import AccessLogEntry, Notice
from tests.accounts.factories import CustomerFactory
from tests.catalog.factories import SKUFactory
from tests.orders.factories import ADDRESS, place_test_order
from tests.privacy.factories import V1_PRACTICES

from .factories import assert_only_keys, bearer, token_for

pytestmark = pytest.mark.django_db

PARCEL_KEYS = {
    "parcel",
    "carrier",
    "tracking_number",
    "service",
    "weight_grams",
    "ship_to",
    "withheld",
}
SHIP_TO_KEYS = {"name", "line1", "line2", "city", "region", "postal_code", "country"}
PICK_KEYS = {"order", "service", "ship_to", "gift_note", "lines", "withheld"}
LINE_KEYS = {"line", "sku", "title", "variant", "quantity"}


def get(client: Client, url: str, token: str) -> Any:
    response = client.get(url, headers=bearer(token))
    assert response.status_code == 200, response.content
    return response.json()


def post(client: Client, url: str, token: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json", headers=bearer(token))


def shipped_order(gateway: Any, *, carrier: str = "dhl", customer: Any = None) -> Order:
    customer = customer or CustomerFactory()
    sku = SKUFactory(price=Decimal("10.00"), stock=5, weight_grams=30)
    order = place_test_order(
        customer=customer,
        gateway=gateway,
        sku=sku,
        address=ADDRESS.__class__(**{**ADDRESS.__dict__, "phone": "+1 555 0100"}),
    )
    fulfilment.ship_lines(
        order=order,
        line_ids=[order.lines.get().pk],
        carrier=carrier,
        tracking_number="JD0001",
        actor="test",
    )
    return order


# ---------------------------------------------------------------- the assertion's control
def test_the_key_assertion_catches_a_planted_forbidden_field() -> None:
    parcel = dict.fromkeys(PARCEL_KEYS, "x")

    assert_only_keys(parcel, PARCEL_KEYS)
    with pytest.raises(AssertionError, match=r"extra: \['email'\]"):
        assert_only_keys({**parcel, "email": "hana@example.com"}, PARCEL_KEYS)


# ---------------------------------------------------------------- delivery
def test_delivery_gets_its_parcels_with_the_ship_to_weight_and_service(client, gateway) -> None:
    order = shipped_order(gateway)
    shipped_order(gateway, carrier="ups")  # another carrier's parcel

    [parcel] = get(client, "/api/v1/delivery/parcels", token_for("delivery"))

    assert_only_keys(parcel, PARCEL_KEYS)
    # v1 lets the carrier have the phone for the label.
    assert_only_keys(parcel["ship_to"], SHIP_TO_KEYS | {"phone"})
    assert parcel["ship_to"]["name"] == "Hana Sato"
    assert parcel["ship_to"]["phone"] == "+1 555 0100"
    assert parcel["weight_grams"] == 60
    assert parcel["service"] == "Standard"
    assert parcel["tracking_number"] == "JD0001"
    assert parcel["withheld"] == []
    assert order.email not in str(parcel)


def test_delivery_gets_no_phone_where_the_notice_in_force_does_not_allow_it(
    client, gateway
) -> None:
    with_phone = '"user.contact.phone_number"]\npurpose = "essential.service.delivery"'
    assert with_phone in V1_PRACTICES
    practices = V1_PRACTICES.replace(
        '"user.contact.address", ' + with_phone,
        '"user.contact.address"]\npurpose = "essential.service.delivery"',
    )
    Notice.objects.create(version=2, effective=timezone.localdate(), text="v2", practices=practices)
    shipped_order(gateway)

    [parcel] = get(client, "/api/v1/delivery/parcels", token_for("delivery"))

    assert_only_keys(parcel["ship_to"], SHIP_TO_KEYS)
    assert parcel["withheld"] == ["ship_phone"]


def test_each_delivery_look_is_logged_by_company_function_and_order(client, gateway) -> None:
    customer = CustomerFactory()
    order = shipped_order(gateway, customer=customer)

    get(client, "/api/v1/delivery/parcels", token_for("delivery"))

    entry = AccessLogEntry.objects.get(subject=customer)
    assert (entry.actor_label, entry.agent_company, entry.purpose, entry.regarding) == (
        "agent:delivery",
        "Yamato",
        Purpose.DELIVERY.value,
        f"order {order.number}",
    )
    assert entry.granted is True
    assert "orders.Order.ship_recipient" in entry.fields
    assert "orders.Order.email" not in entry.fields
    client.force_login(customer)
    page = client.get("/privacy/my-data/").content.decode()
    assert "Delivery company Yamato" in page
    assert f"delivering your order: order {order.number}" in page
    assert "your name, your postal address, your phone number" in page


def test_a_tracking_event_appears_on_the_order_and_delivers_it(client, gateway) -> None:
    customer = CustomerFactory()
    order = shipped_order(gateway, customer=customer)
    token = token_for("delivery")
    parcel = order.shipments.get().pk
    url = f"/api/v1/delivery/parcels/{parcel}/events"

    moving = post(client, url, token, {"status": "in_transit", "detail": "Osaka hub"})
    done = post(client, url, token, {"status": "delivered", "at": "2026-12-04T10:00:00+09:00"})

    assert (moving.status_code, done.status_code) == (201, 201)
    events = list(order.events.filter(kind=OrderEvent.Kind.TRACKING))
    assert [e.detail.split(",")[0] for e in events] == [
        "DHL JD0001: In transit (Osaka hub)",
        "DHL JD0001: Delivered",
    ]
    assert {e.actor for e in events} == {"agent Yamato"}
    order.refresh_from_db()
    assert order.state == OrderState.DELIVERED
    client.force_login(customer)
    page = client.get(f"/orders/{order.number}/").content.decode()
    assert "DHL JD0001: In transit (Osaka hub)" in page
    # A delivered parcel is no longer listed.
    assert get(client, "/api/v1/delivery/parcels", token) == []


def test_a_carrier_cannot_report_on_another_carriers_parcel(client, gateway) -> None:
    order = shipped_order(gateway, carrier="ups")
    url = f"/api/v1/delivery/parcels/{order.shipments.get().pk}/events"

    response = post(client, url, token_for("delivery"), {"status": "delivered"})

    assert response.status_code == 404
    assert response.json() == {"detail": "No such parcel was handed to this carrier."}
    assert not order.events.filter(kind=OrderEvent.Kind.TRACKING).exists()


def test_a_tracking_time_without_its_zone_is_refused(client, gateway) -> None:
    order = shipped_order(gateway)
    url = f"/api/v1/delivery/parcels/{order.shipments.get().pk}/events"

    response = post(
        client, url, token_for("delivery"), {"status": "delivered", "at": "2026-12-04T10:00:00"}
    )

    assert response.status_code == 400
    assert "time zone" in response.json()["detail"]
    assert not order.events.filter(kind=OrderEvent.Kind.TRACKING).exists()


# ---------------------------------------------------------------- fulfilment warehouse
def test_a_pick_list_holds_what_the_packing_slip_holds_and_nothing_more(client, gateway) -> None:
    customer = CustomerFactory()
    order = place_test_order(customer=customer, gateway=gateway)

    [pick] = get(client, "/api/v1/fulfilment/pick-lists", token_for("fulfilment"))

    assert_only_keys(pick, PICK_KEYS)
    assert_only_keys(pick["ship_to"], SHIP_TO_KEYS)
    [line] = pick["lines"]
    assert_only_keys(line, LINE_KEYS)
    assert (pick["order"], line["sku"], line["quantity"]) == (
        order.number,
        order.lines.get().sku_code,
        2,
    )
    # The same fields the fulfilment role's packing slip asks the gate for (P13).
    entry = AccessLogEntry.objects.get(subject=customer)
    assert entry.fields == [f"orders.Order.{name}" for name in WANTED[Purpose.FULFILMENT]]
    assert (entry.actor_label, entry.agent_company) == ("agent:fulfilment", "Kobe Warehouse")
    for absent in (order.email, "4242", "10.00", "25.00"):
        assert absent not in str(pick)


def test_a_guests_order_is_on_the_pick_list_with_no_account_to_log(client, gateway) -> None:
    place_test_order(gateway=gateway)

    [pick] = get(client, "/api/v1/fulfilment/pick-lists", token_for("fulfilment"))

    assert pick["ship_to"]["name"] == "Hana Sato"
    assert not AccessLogEntry.objects.exists()


def test_a_warehouse_shipment_captures_and_emails_as_the_back_office_does(
    client, gateway, django_capture_on_commit_callbacks
) -> None:
    order = place_test_order(customer=CustomerFactory(), gateway=gateway)
    body = {
        "order": order.number,
        "lines": [order.lines.get().pk],
        "carrier": "ups",
        "tracking_number": "1Z999",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "/api/v1/fulfilment/shipments", token_for("fulfilment"), body)

    assert response.status_code == 201, response.content
    assert_only_keys(response.json(), {"shipment", "order", "state", "carrier", "tracking_number"})
    order.refresh_from_db()
    assert (order.state, order.payment_state) == (OrderState.SHIPPED, PaymentState.CAPTURED)
    assert order.events.get(kind=OrderEvent.Kind.SHIPPED).actor == "agent Kobe Warehouse"
    mail = OutboxMessage.objects.get(kind=fulfilment.SHIPPED_MAIL)
    assert "https://www.ups.com/track?tracknum=1Z999" in mail.text_body


def test_a_shipment_of_lines_already_shipped_is_refused_and_changes_nothing(
    client, gateway
) -> None:
    order = shipped_order(gateway)
    body = {
        "order": order.number,
        "lines": [order.lines.get().pk],
        "carrier": "dhl",
        "tracking_number": "JD0002",
    }

    response = post(client, "/api/v1/fulfilment/shipments", token_for("fulfilment"), body)

    assert response.status_code == 409
    assert "Line" in response.json()["detail"]
    assert order.shipments.count() == 1


def test_the_api_knows_the_carriers_the_shop_knows() -> None:
    assert set(get_args(Carrier)) == set(fulfilment.CARRIERS)


# ---------------------------------------------------------------- e-mail delivery
def test_a_bounce_suppresses_the_address_for_mail_a_customer_could_stop(client) -> None:
    customer = CustomerFactory(email="gone@example.com")
    token = token_for("mail_delivery")

    soft = post(
        client, "/api/v1/mail/bounces", token, {"address": "gone@example.com", "permanent": False}
    )
    hard = post(
        client,
        "/api/v1/mail/bounces",
        token,
        {"address": "Gone@Example.com", "detail": "550 no such user"},
    )
    again = post(client, "/api/v1/mail/bounces", token, {"address": "gone@example.com"})

    assert soft.json() == {"suppressed": False, "new": False}
    assert (hard.status_code, hard.json()) == (201, {"suppressed": True, "new": True})
    assert (again.status_code, again.json()) == (200, {"suppressed": True, "new": False})
    assert mail_services.is_suppressed("GONE@example.com")
    news = mail_services.queue_message(
        to="gone@example.com", kind="marketing.news", subject="News", text_body="x", user=customer
    )
    receipt = mail_services.queue_message(
        to="gone@example.com",
        kind="transactional.receipt",
        subject="Receipt",
        text_body="x",
        user=customer,
    )
    assert (news.state, receipt.state) == (State.SUPPRESSED, State.QUEUED)


def test_a_complaint_suppresses_the_address(client) -> None:
    response = post(
        client,
        "/api/v1/mail/complaints",
        token_for("mail_delivery"),
        {"address": "spam@example.com"},
    )

    assert response.status_code == 201
    assert mail_services.is_suppressed("spam@example.com")
    assert not mail_services.is_suppressed("other@example.com")


def test_a_report_about_something_not_an_address_is_refused(client) -> None:
    response = post(
        client, "/api/v1/mail/complaints", token_for("mail_delivery"), {"address": "not an address"}
    )

    assert response.status_code == 400
    assert "not an e-mail address" in response.json()["detail"]
    assert not mail_services.is_suppressed("not an address")


# ---------------------------------------------------------------- analysis
def test_analysis_gets_counts_with_small_cells_suppressed_and_no_rows(client, gateway) -> None:
    customers = [CustomerFactory() for _ in range(6)]
    orders = [
        place_test_order(customer=c, gateway=gateway, email=f"o{i}@example.com")
        for i, c in enumerate(customers)
    ]
    Order.objects.filter(pk=orders[0].pk).update(state=OrderState.CANCELLED)

    answer = get(client, "/api/v1/analysis/orders-per-day?days=7", token_for("analysis"))

    assert_only_keys(answer, {"days", "min_cell", "cells"})
    today = timezone.localdate().isoformat()
    assert answer["cells"] == [
        {"day": today, "state": "cancelled", "count": None, "suppressed": True},
        {"day": today, "state": "placed", "count": 5, "suppressed": False},
    ]
    body = str(answer)
    assert not any(o.number in body or o.email in body for o in orders)
    assert not AccessLogEntry.objects.exists()


# ---------------------------------------------------------------- search
def test_search_gets_the_catalogue_and_nothing_personal(client, gateway) -> None:
    order = place_test_order(customer=CustomerFactory(email="buyer@example.com"), gateway=gateway)
    SKUFactory(is_active=False)

    answer = get(client, "/api/v1/search/catalogue", token_for("search"))

    assert_only_keys(answer, {"page", "pages", "count", "items"})
    [item] = answer["items"]
    assert_only_keys(
        item,
        {"sku", "product", "brand", "category", "variant", "price", "currency", "in_stock", "url"},
    )
    assert item["sku"] == order.lines.get().sku_code
    assert "buyer@example.com" not in str(answer)
    assert order.number not in str(answer)
    assert not AccessLogEntry.objects.exists()


def test_a_token_expires_within_its_days() -> None:
    token_for("search", days=2)

    made = AgentToken.objects.get()
    assert timedelta(days=1, hours=23) < made.expires_at - timezone.now() <= timedelta(days=2)
