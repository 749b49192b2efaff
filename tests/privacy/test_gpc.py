"""Global Privacy Control (P17): Sec-GPC: 1 is an opt-out of sale-like uses and open tracking."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client

from bungu.privacy import find_gpc_signal, may_use, record_consent, record_gpc_signal
from bungu.privacy.models import ConsentEvent, Notice
from bungu.privacy.notices.consent import GPC_PRACTICE
from tests.accounts.factories import CustomerFactory
from tests.catalog.factories import ProductFactory

from .factories import AFFILIATE_KEY, AFFILIATE_RECOMMENDATIONS, V1_PRACTICES, at, scenario_notice

pytestmark = pytest.mark.django_db

GPC = {"Sec-GPC": "1"}
HONOURED = "Your browser sent Global Privacy Control: honoured."


@pytest.fixture
def v2() -> Notice:
    """v2 (2027) adds sharing order history with an affiliate, opt-out: a sale-like use."""
    return scenario_notice(
        version=2,
        effective=datetime.date(2027, 1, 1),
        text="v2",
        practices=V1_PRACTICES + AFFILIATE_RECOMMENDATIONS,
    )


def to_affiliate(customer: object, now: datetime.datetime) -> bool:
    return may_use(
        subject=customer,
        data_category="user.behavior.purchase_history",
        purpose="personalize.recommendations",
        recipient="affiliate",
        collected_at=at(2027, 2, 1),
        now=now,
    ).allowed


def test_the_well_known_file_says_the_shop_honours_gpc(client: Client) -> None:
    response = client.get("/.well-known/gpc.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"gpc": True, "lastUpdate": "2026-11-25"}
    assert client.post("/.well-known/gpc.json").status_code == 405


def test_p17_the_privacy_page_says_the_signal_was_honoured(client: Client) -> None:
    with_signal = client.get("/privacy/", headers=GPC)
    without = client.get("/privacy/")
    other_value = client.get("/privacy/", headers={"Sec-GPC": "0"})

    assert HONOURED in with_signal.content.decode()
    assert HONOURED not in without.content.decode()
    assert HONOURED not in other_value.content.decode()
    # Never shared between browsers by a cache.
    assert "Sec-GPC" in with_signal["Vary"]
    assert "no-store" in with_signal["Cache-Control"]


def test_the_signal_is_never_rendered_into_a_cached_catalogue_page(client: Client) -> None:
    product = ProductFactory()
    first = client.get(product.get_absolute_url(), headers=GPC)
    second = client.get(product.get_absolute_url())

    assert (first["X-Bungu-Page-Cache"], second["X-Bungu-Page-Cache"]) == ("miss", "hit")
    assert "Global Privacy Control" not in first.content.decode()
    assert "Global Privacy Control" not in second.content.decode()


def test_p17_an_anonymous_signal_marks_the_request_and_writes_nothing(client: Client) -> None:
    response = client.get("/privacy/", headers=GPC)

    assert response.wsgi_request.gpc is True  # type: ignore[attr-defined]
    assert client.get("/privacy/").wsgi_request.gpc is False  # type: ignore[attr-defined]
    assert ConsentEvent.objects.count() == 0


def test_p17_a_signed_in_customers_signal_is_recorded_once(client: Client) -> None:
    customer = CustomerFactory()
    client.force_login(customer)

    client.get("/privacy/", headers=GPC)
    client.get("/privacy/", headers=GPC)
    client.get("/", headers=GPC)

    event = ConsentEvent.objects.get()
    assert (event.subject, event.kind, event.method, event.practice, event.page) == (
        customer,
        "withdrawn",
        "gpc",
        GPC_PRACTICE,
        "/privacy/",
    )
    assert find_gpc_signal(subject=customer) == event
    html = client.get("/privacy/", headers=GPC).content.decode()
    assert "and have recorded it for your account." in html


def test_p17_may_use_refuses_sale_like_sharing_after_the_signal(v2: Notice) -> None:
    customer = CustomerFactory()
    assert to_affiliate(customer, at(2027, 3, 1)) is True

    record_gpc_signal(subject=customer, at=at(2027, 3, 2))
    decision = may_use(
        subject=customer,
        data_category="user.behavior.purchase_history",
        purpose="personalize.recommendations",
        recipient="affiliate",
        collected_at=at(2027, 2, 1),
        now=at(2027, 3, 3),
    )

    assert decision.allowed is False
    assert decision.reason == "The customer's browser sent Global Privacy Control: an opt-out."
    # Essential uses are untouched: the shop still fulfils the customer's orders.
    assert may_use(
        subject=customer,
        data_category="user.name",
        purpose="essential.service.fulfilment",
        recipient="shop",
        collected_at=at(2027, 2, 1),
        now=at(2027, 3, 3),
    ).allowed


def test_p17_a_later_opt_in_to_the_practice_overrides_the_signal(v2: Notice) -> None:
    customer = CustomerFactory()
    record_gpc_signal(subject=customer, at=at(2027, 3, 2))

    record_consent(subject=customer, method="form", practice=AFFILIATE_KEY, at=at(2027, 3, 4))

    assert to_affiliate(customer, at(2027, 3, 3)) is False
    assert to_affiliate(customer, at(2027, 3, 5)) is True


def test_p7_p17_the_signal_stops_open_tracking_but_not_the_mail() -> None:
    customer = CustomerFactory()
    opens = {
        "subject": customer,
        "data_category": "user.behavior.email_opens",
        "purpose": "functional.service.improve",
        "recipient": "shop",
        "collected_at": at(2026, 11, 20),
        "now": at(2026, 11, 24),
    }
    newsletter = opens | {
        "data_category": "user.contact.email",
        "purpose": "marketing.communications.email",
    }
    assert may_use(**opens).allowed is True

    record_gpc_signal(subject=customer, at=at(2026, 11, 21))

    assert may_use(**opens).allowed is False
    assert may_use(**newsletter).allowed is True


def test_the_signal_is_not_recorded_before_any_notice_is_in_force() -> None:
    customer = CustomerFactory()

    assert record_gpc_signal(subject=customer, at=at(2026, 1, 1)) is None
    assert ConsentEvent.objects.count() == 0
