"""Bad tokens, wrong functions, malformed bodies and too many calls: a 4xx with a reason and
no data, and nothing changed (P13)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bungu.api.models import Agent, AgentToken
from bungu.orders.models import OrderEvent
from bungu.orders.states import OrderState
from bungu.privacy.models import AccessLogEntry
from tests.accounts.factories import CustomerFactory
from tests.orders.factories import place_test_order

from .factories import bearer, token_for

pytestmark = pytest.mark.django_db

PICK_LISTS = "/api/v1/fulfilment/pick-lists"


@pytest.fixture
def order(gateway):
    return place_test_order(customer=CustomerFactory(), gateway=gateway)


def refused(response, status: int, reason: str) -> None:
    assert response.status_code == status, response.content
    assert response.json() == {"detail": reason}


def test_no_token_is_a_401_with_the_way_to_send_one(client, order) -> None:
    response = client.get(PICK_LISTS)

    refused(response, 401, "Send the agent's token as 'Authorization: Bearer <token>'.")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"), "Unknown token."),
        (lambda raw: "bga_000000000000_" + "x" * 43, "Unknown token."),
        (lambda raw: "hunter2", "This is not an agent token."),
    ],
    ids=["altered", "unknown prefix", "not a token"],
)
def test_an_unknown_token_is_a_401(client, order, spoil, reason) -> None:
    response = client.get(PICK_LISTS, headers=bearer(spoil(token_for("fulfilment"))))

    refused(response, 401, reason)
    assert not AccessLogEntry.objects.exists()


def test_an_expired_token_is_a_401(client, order) -> None:
    raw = token_for("fulfilment")
    AgentToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    refused(client.get(PICK_LISTS, headers=bearer(raw)), 401, "This token has expired.")
    assert not AccessLogEntry.objects.exists()


def test_a_revoked_token_is_a_401(client, order) -> None:
    raw = token_for("fulfilment")
    AgentToken.objects.update(revoked_at=timezone.now())

    refused(client.get(PICK_LISTS, headers=bearer(raw)), 401, "This token was revoked.")
    assert not AccessLogEntry.objects.exists()


def test_a_token_of_an_agent_no_longer_active_is_a_401(client, order) -> None:
    raw = token_for("fulfilment")
    Agent.objects.update(is_active=False)

    refused(client.get(PICK_LISTS, headers=bearer(raw)), 401, "This agent is no longer active.")


def test_a_token_of_another_function_is_a_403_and_reads_nothing(client, order) -> None:
    response = client.get(PICK_LISTS, headers=bearer(token_for("delivery")))

    refused(response, 403, "This token serves delivery; this endpoint serves fulfilment only.")
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize("tracking", ["JD0001", "?"], ids=["valid body", "malformed body"])
def test_a_token_of_another_function_changes_nothing(client, order, tracking) -> None:
    body = {
        "order": order.number,
        "lines": [order.lines.get().pk],
        "carrier": "dhl",
        "tracking_number": tracking,
    }

    response = client.post(
        "/api/v1/fulfilment/shipments",
        body,
        content_type="application/json",
        headers=bearer(token_for("search")),
    )

    assert response.status_code == 403
    order.refresh_from_db()
    assert order.state == OrderState.PLACED
    assert not order.shipments.exists()
    assert list(order.events.values_list("kind", flat=True)) == [OrderEvent.Kind.PLACED]


def test_a_malformed_body_is_a_400_naming_each_field(client, order) -> None:
    body = {"order": order.number, "lines": "all", "carrier": "pigeon"}

    response = client.post(
        "/api/v1/fulfilment/shipments",
        body,
        content_type="application/json",
        headers=bearer(token_for("fulfilment")),
    )

    assert response.status_code == 400
    answer = response.json()
    assert answer["detail"] == "The request is malformed; see errors."
    assert {e["field"] for e in answer["errors"]} == {
        "body.shipment.lines",
        "body.shipment.carrier",
        "body.shipment.tracking_number",
    }
    assert not order.shipments.exists()


def test_a_body_that_is_not_json_is_a_400(client, order) -> None:
    response = client.post(
        "/api/v1/fulfilment/shipments",
        "{not json",
        content_type="application/json",
        headers=bearer(token_for("fulfilment")),
    )

    assert response.status_code == 400
    assert response.json()["detail"]


def test_a_bad_query_is_a_400_naming_the_field(client) -> None:
    response = client.get(
        "/api/v1/analysis/orders-per-day?days=9999", headers=bearer(token_for("analysis"))
    )

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["query.days"]


def test_too_many_calls_with_one_token_is_a_429_with_retry_after(client, settings) -> None:
    settings.BUNGU_API_CALLS_PER_MINUTE = 2
    raw, other = token_for("search"), token_for("search", company="Other search")
    url = "/api/v1/search/catalogue"

    answers = [client.get(url, headers=bearer(raw)).status_code for _ in range(3)]
    limited = client.get(url, headers=bearer(raw))

    assert answers == [200, 200, 429]
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert "Too many calls" in limited.json()["detail"]
    # The limit is per token: another agent's token is not held back.
    assert client.get(url, headers=bearer(other)).status_code == 200


def test_the_schema_is_served_and_names_every_endpoint(client) -> None:
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["version"] == "1"
    assert set(schema["paths"]) == {
        "/api/v1/delivery/parcels",
        "/api/v1/delivery/parcels/{parcel}/events",
        "/api/v1/fulfilment/pick-lists",
        "/api/v1/fulfilment/shipments",
        "/api/v1/mail/bounces",
        "/api/v1/mail/complaints",
        "/api/v1/analysis/orders-per-day",
        "/api/v1/search/catalogue",
    }
    # No documentation page: its script would break the shop's Content-Security-Policy.
    assert client.get("/api/v1/docs").status_code == 404


def test_the_api_sets_no_cookie(client, order) -> None:
    response = client.get(PICK_LISTS, headers=bearer(token_for("fulfilment")))

    assert response.status_code == 200
    assert not response.cookies


def test_a_method_an_address_lacks_is_a_json_405(client) -> None:
    response = client.get("/api/v1/mail/bounces", headers=bearer(token_for("mail_delivery")))

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json() == {"detail": "This address takes POST only."}
