"""P13, the walk of the agents' API: every agent function against every endpoint of the API
(read from its OpenAPI schema), with a customer whose every personal field holds a
distinctive value. A value may appear in an answer only if a field holding it is one that
``bungu.privacy.fields_for`` hands to that agent (``agent:<function>``) for one of its
function's purposes. Controls: each function that reads people sees the values it needs (the
walk reaches the data), and a planted leak is caught."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from django.test import Client

from bungu.api.endpoints import delivery
from bungu.api.reading import Person
from bungu.orders import fulfilment
from bungu.orders.models import Order
from bungu.privacy import AGENT_FUNCTIONS, fields_for
from tests.backoffice.factories import COPIES, PLANTED, planted_customer
from tests.orders.factories import ADDRESS, place_test_order

from .factories import bearer, token_for

pytestmark = pytest.mark.django_db

ORDER_ADDRESS = replace(
    ADDRESS,
    recipient=PLANTED["orders.Order.ship_recipient"],
    line1=PLANTED["orders.Order.ship_line1"],
    city="Oakland",
    phone=PLANTED["orders.Order.ship_phone"],
)
# What each function must see for the walk to count (the positive control).
MUST_SEE = {
    "delivery": {
        "orders.Order.ship_recipient",
        "orders.Order.ship_line1",
        "orders.Order.ship_phone",
    },
    "fulfilment": {"orders.Order.ship_recipient", "orders.Order.ship_line1"},
}


def allowed_labels(function: str) -> set[str]:
    recipient = f"agent:{function}"
    return {
        item.label
        for purpose in AGENT_FUNCTIONS[function]
        for item in fields_for(purpose, recipient=recipient)
    }


def holders() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {value: {label} for label, value in PLANTED.items()}
    for copy, original in COPIES.items():
        found[PLANTED[original]].add(copy)
    return found


def the_shop(gateway: Any) -> dict[str, Any]:
    """The planted customer with an order to pick and a parcel with the carrier."""
    customer = planted_customer()
    to_pick = customer.orders.get()
    to_deliver = place_test_order(
        customer=customer,
        gateway=gateway,
        email=PLANTED["orders.Order.email"],
        address=ORDER_ADDRESS,
    )
    parcel = fulfilment.ship_lines(
        order=to_deliver,
        line_ids=[to_deliver.lines.get().pk],
        carrier="dhl",
        tracking_number="JD0077",
        actor="test",
    )
    return {"customer": customer, "to_pick": to_pick, "parcel": parcel}


def samples(shop: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """A request for each operation of the schema: GETs first, then the POSTs that change."""
    order: Order = shop["to_pick"]
    return {
        ("get", "/api/v1/delivery/parcels"): {},
        ("get", "/api/v1/fulfilment/pick-lists"): {},
        ("get", "/api/v1/analysis/orders-per-day"): {},
        ("get", "/api/v1/search/catalogue"): {},
        ("post", "/api/v1/delivery/parcels/{parcel}/events"): {"status": "in_transit"},
        ("post", "/api/v1/mail/bounces"): {"address": PLANTED["orders.Order.email"]},
        ("post", "/api/v1/mail/complaints"): {"address": PLANTED["accounts.User.email"]},
        ("post", "/api/v1/fulfilment/shipments"): {
            "order": order.number,
            "lines": [order.lines.get().pk],
            "carrier": "ups",
            "tracking_number": "1Z77",
        },
    }


def operations(client: Client) -> list[tuple[str, str]]:
    schema = client.get("/api/v1/openapi.json").json()
    return [(method, path) for path, item in schema["paths"].items() for method in item]


def walk(
    client: Client, function: str, shop: dict[str, Any]
) -> tuple[dict[str, list[str]], set[str], set[int]]:
    """(answers showing values the function may not see -> those fields, labels seen, statuses)."""
    allowed = allowed_labels(function)
    token = token_for(function, company=f"{function} agents")
    requests = samples(shop)
    assert sorted(operations(client)) == sorted(requests), "add a sample request for each operation"
    leaks: dict[str, list[str]] = {}
    seen: set[str] = set()
    statuses: set[int] = set()
    for (method, path), body in requests.items():
        url = path.format(parcel=shop["parcel"].pk)
        if method == "get":
            response = client.get(url, headers=bearer(token))
        else:
            response = client.post(
                url, json.dumps(body), content_type="application/json", headers=bearer(token)
            )
        statuses.add(response.status_code)
        assert response.status_code < 500, (function, url)
        text = response.content.decode()
        for value, labels in holders().items():
            if json.dumps(value)[1:-1] in text:
                seen |= labels
                if not labels & allowed:
                    leaks.setdefault(f"{method.upper()} {url}", []).extend(sorted(labels))
    return leaks, seen, statuses


@pytest.mark.parametrize("function", sorted(AGENT_FUNCTIONS))
def test_p13_no_agent_function_gets_a_field_its_purposes_do_not_allow(
    client, gateway, function: str
) -> None:
    shop = the_shop(gateway)

    leaks, seen, statuses = walk(client, function, shop)

    assert leaks == {}
    # Positive control: the walk reached the data the function needs.
    assert MUST_SEE.get(function, set()) <= seen
    # Functions without endpoints of their own are refused everywhere.
    if function not in {"delivery", "fulfilment", "mail_delivery", "analysis", "search"}:
        assert statuses == {403}


def test_the_walk_catches_a_planted_leak(client, gateway, monkeypatch) -> None:
    """A parcel listing that slips the order's e-mail address into the ship-to is caught."""
    read_person = delivery.read_person

    def leaky(**kwargs: Any) -> Person:
        person = read_person(**kwargs)
        return Person({**person.values, "ship_line2": kwargs["order"].email}, person.withheld)

    monkeypatch.setattr(delivery, "read_person", leaky)
    shop = the_shop(gateway)

    leaks, _, _ = walk(client, "delivery", shop)

    assert leaks == {"GET /api/v1/delivery/parcels": ["orders.Order.email"]}
