"""CSRF: every address of the shop refuses a POST from a signed-in visitor that carries no
token, or another session's token. The walk is the URL configuration itself (tests/hostile/
walk.py), so a new form is covered the day it is added.

The addresses that take POSTs from outside a browser session (the processor's webhook, the
one-click unsubscribe, the agents' API) are exempt by design and listed below with their
reason; each must refuse an unsigned request instead, and a view
newly marked csrf_exempt fails the walk until it is listed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.urls import resolve

from tests.accounts.factories import CustomerFactory
from tests.hostile.walk import Address, addresses


@dataclass(frozen=True)
class Exemption:
    reason: str
    status: int  # what a forged POST gets instead of the CSRF refusal


EXEMPT = {
    "checkout:webhook": Exemption(
        "the card processor posts its notifications; the signature authorises them", 400
    ),
    "mail:unsubscribe": Exemption(
        "RFC 8058 one-click unsubscribe: mail clients post without a cookie; the signed token "
        "in the address authorises the one change it can make",
        400,
    ),
    # P13: the agents' API takes a bearer token, never a cookie, so a browser's session
    # authorises nothing there: a forged POST gets 401, a POST to a read-only endpoint 405.
    **{
        f"api-v1:{name}": Exemption("the agents' API: a bearer token authorises", status)
        for name, status in {
            "list_parcels": 405,
            "post_tracking_event": 401,
            "list_pick_lists": 405,
            "post_shipment": 401,
            "post_bounce": 401,
            "post_complaint": 401,
            "orders_per_day": 405,
            "catalogue": 405,
        }.items()
    },
}


def _client_with_token() -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(CustomerFactory(is_staff=True, is_superuser=True))
    client.get("/account/profile/")  # a form: sets the CSRF cookie
    return client, client.cookies[settings.CSRF_COOKIE_NAME].value


def csrf_breaches(walked: list[Address]) -> dict[str, list[str]]:
    """For each address, the forged POSTs it accepted (anything but the CSRF refusal)."""
    victim, _ = _client_with_token()
    _, stranger_token = _client_with_token()
    found: dict[str, list[str]] = {}
    for address in walked:
        exemption = EXEMPT.get(address.key)
        expected = exemption.status if exemption else 403
        attempts = {
            "no token": victim.post(address.path, {"name": "x"}),
            "another session's token": victim.post(
                address.path, {"name": "x", "csrfmiddlewaretoken": stranger_token}
            ),
            "another session's token in the header": victim.post(
                address.path, {"name": "x"}, headers={"X-CSRFToken": stranger_token}
            ),
        }
        accepted = [
            f"{how}: {response.status_code}"
            for how, response in attempts.items()
            if response.status_code != expected
        ]
        if accepted:
            found[address.path] = accepted
    return found


def exempt_views(walked: list[Address]) -> set[str]:
    return {a.key for a in walked if getattr(resolve(a.path).func, "csrf_exempt", False)}


@pytest.mark.django_db
def test_no_address_accepts_a_forged_post():
    walked = addresses()
    assert len(walked) > 200  # the shop's pages, allauth's and the admin's

    assert csrf_breaches(walked) == {}


def test_only_the_listed_views_are_csrf_exempt():
    assert exempt_views(addresses()) == set(EXEMPT)


@pytest.mark.django_db
def test_the_same_post_with_its_own_token_passes_the_middleware():
    """The refusals above come from the CSRF check, not from the view."""
    client, token = _client_with_token()
    response = client.post("/cart/add/", {"sku": "1", "csrfmiddlewaretoken": token})

    assert response.status_code != 403


@pytest.mark.django_db
@pytest.mark.urls("tests.hostile.planted")
def test_the_walk_catches_a_planted_exempt_form():
    walked = addresses()
    planted = [a for a in walked if a.key == "planted_exempt"]

    assert csrf_breaches(planted) == {
        "/planted/exempt/": [
            "no token: 200",
            "another session's token: 200",
            "another session's token in the header: 200",
        ]
    }
    assert exempt_views(walked) == {*EXEMPT, "planted_exempt"}
