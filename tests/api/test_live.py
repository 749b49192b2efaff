"""The agents' API over real HTTP against a live server (P13): each function gets exactly its
fields, each look is in the customer's access log and on their "My data" page, and a token of
one function cannot read another's data."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bungu.orders import fulfilment
from bungu.orders.models import OrderEvent
from bungu.privacy.models import AccessLogEntry
from tests.accounts.factories import CustomerFactory
from tests.orders.factories import place_test_order

from .factories import assert_only_keys, bearer, token_for
from .test_functions import LINE_KEYS, PARCEL_KEYS, PICK_KEYS, SHIP_TO_KEYS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(live_server, gateway) -> dict[str, Any]:
    customer = CustomerFactory(email="hana@example.com")
    to_pick = place_test_order(customer=customer, gateway=gateway, email="hana@example.com")
    to_deliver = place_test_order(customer=customer, gateway=gateway, email="hana@example.com")
    fulfilment.ship_lines(
        order=to_deliver,
        line_ids=[to_deliver.lines.get().pk],
        carrier="dhl",
        tracking_number="JD0042",
        actor="test",
    )
    return {"customer": customer, "to_pick": to_pick, "to_deliver": to_deliver}


def call(live_server, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        return http.request(method, path, headers=bearer(token), **kwargs)


def test_each_function_gets_exactly_its_fields_over_http(live_server, shop, client) -> None:
    delivery, warehouse = token_for("delivery"), token_for("fulfilment")

    parcels = call(live_server, "GET", "/api/v1/delivery/parcels", delivery)
    picks = call(live_server, "GET", "/api/v1/fulfilment/pick-lists", warehouse)
    analysis = call(live_server, "GET", "/api/v1/analysis/orders-per-day", token_for("analysis"))
    search = call(live_server, "GET", "/api/v1/search/catalogue", token_for("search"))

    assert [r.status_code for r in (parcels, picks, analysis, search)] == [200] * 4
    [parcel] = parcels.json()
    assert_only_keys(parcel, PARCEL_KEYS)
    assert_only_keys(parcel["ship_to"], SHIP_TO_KEYS | {"phone"})
    [pick] = picks.json()
    assert_only_keys(pick, PICK_KEYS)
    assert_only_keys(pick["ship_to"], SHIP_TO_KEYS)
    assert_only_keys(pick["lines"][0], LINE_KEYS)
    assert pick["order"] == shop["to_pick"].number
    for response in (parcels, picks, analysis, search):
        assert "hana@example.com" not in response.text
    # Analysis: one order in each of two states, both cells under the threshold.
    assert {cell["count"] for cell in analysis.json()["cells"]} == {None}

    # Each look at the customer's data is logged by company, function and order.
    entries = AccessLogEntry.objects.filter(subject=shop["customer"]).order_by("id")
    assert [(e.actor_label, e.agent_company, e.regarding) for e in entries] == [
        ("agent:delivery", "Yamato", f"order {shop['to_deliver'].number}"),
        ("agent:fulfilment", "Kobe Warehouse", f"order {shop['to_pick'].number}"),
    ]
    client.force_login(shop["customer"])
    page = client.get("/privacy/my-data/").content.decode()
    assert f"delivering your order: order {shop['to_deliver'].number}" in page
    assert "Delivery company Yamato" in page
    assert f"picking and packing your order: order {shop['to_pick'].number}" in page
    assert "Fulfilment warehouse Kobe Warehouse" in page


def test_agents_post_shipments_tracking_and_bounces_over_http(live_server, shop) -> None:
    order, parcel = shop["to_pick"], shop["to_deliver"].shipments.get()
    body = {
        "order": order.number,
        "lines": [order.lines.get().pk],
        "carrier": "ups",
        "tracking_number": "1Z42",
    }

    shipped = call(
        live_server, "POST", "/api/v1/fulfilment/shipments", token_for("fulfilment"), json=body
    )
    tracked = call(
        live_server,
        "POST",
        f"/api/v1/delivery/parcels/{parcel.pk}/events",
        token_for("delivery"),
        json={"status": "out_for_delivery"},
    )
    bounced = call(
        live_server,
        "POST",
        "/api/v1/mail/bounces",
        token_for("mail_delivery"),
        json={"address": "hana@example.com"},
    )

    assert (shipped.status_code, tracked.status_code, bounced.status_code) == (201, 201, 201)
    order.refresh_from_db()
    assert order.state == "shipped"
    tracking = parcel.order.events.get(kind=OrderEvent.Kind.TRACKING)
    assert tracking.detail.startswith("DHL JD0042: Out for delivery")


def test_a_token_of_one_function_cannot_read_anothers_data_over_http(live_server, shop) -> None:
    tokens = {
        name: token_for(name)
        for name in ("delivery", "fulfilment", "mail_delivery", "analysis", "search")
    }
    reads = {
        "delivery": "/api/v1/delivery/parcels",
        "fulfilment": "/api/v1/fulfilment/pick-lists",
        "analysis": "/api/v1/analysis/orders-per-day",
        "search": "/api/v1/search/catalogue",
    }

    for function, raw in tokens.items():
        for owner, path in reads.items():
            if owner == function:
                continue
            response = call(live_server, "GET", path, raw)
            assert response.status_code == 403, (function, path)
            assert response.json() == {
                "detail": f"This token serves {function}; this endpoint serves {owner} only."
            }
    assert not AccessLogEntry.objects.exists()
