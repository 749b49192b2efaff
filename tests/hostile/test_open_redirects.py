"""Open redirects: no parameter sends a visitor off the site.

Every address of the URL configuration is asked, by GET and by POST (with a valid CSRF token,
anonymous and signed in), with every parameter name that commonly carries a destination set
to a foreign one; the flows that do follow such a parameter (signing in and out, signing up,
the admin's sign-in, answering a new notice) are also driven to success with it. The
planted view in tests/hostile/planted.py is the positive control.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client

from tests.accounts.factories import PASSWORD, CustomerFactory
from tests.hostile.walk import Address, addresses

FOREIGN = [
    "//evil.example/",
    "https://evil.example/",
    "/\\evil.example/",
    "javascript:alert(1)",
    "http:evil.example",
    " //evil.example",
    "/%2F%2Fevil.example/",
    "/\t/evil.example/",
    "https://testserver@evil.example/",
]
# A path on the shop that only looks foreign: a browser keeps it on the site.
LOCAL_LOOKALIKE = "/%2F%2Fevil.example/"
# The names the shop, django-allauth and the admin use, and the ones a new page might.
DESTINATION_PARAMETERS = [
    "next", "from", "return", "return_to", "redirect", "redirect_to", "url", "back", "continue",
]  # fmt: skip
REDIRECT_HEADERS = ["Location", "HX-Redirect", "HX-Location", "Refresh"]
SITE = {"testserver"}
ADMIN_DOORS = {"admin:index", "admin:login", "admin:logout"}


def leaves_the_site(target: str) -> bool:
    """Whether a browser told to go to ``target`` would leave the shop's own host."""
    # As a browser reads it: spaces around, tabs and newlines anywhere, backslashes as slashes.
    cleaned = target.strip().translate({9: None, 10: None, 13: None}).replace("\\", "/")
    if cleaned.lower().startswith(("0;", "1;")):  # a Refresh header: "0; url=..."
        cleaned = cleaned.split("=", 1)[-1].strip()
    parts = urlsplit(cleaned)
    if parts.scheme and (parts.scheme not in {"http", "https"} or not parts.netloc):
        # "http:evil.example" from an https page is http://evil.example/.
        return True
    host = parts.hostname or ""
    return bool(parts.netloc) and host not in SITE


def foreign_redirect(response: HttpResponse) -> str | None:
    for header in REDIRECT_HEADERS:
        value = response.get(header)
        if value and leaves_the_site(value):
            return f"{header}: {value}"
    return None


def _signed_in() -> Client:
    client = Client()
    client.force_login(CustomerFactory(is_staff=True, is_superuser=True))
    return client


def open_redirects(walked: list[Address], targets: list[str]) -> dict[str, str]:
    """The addresses that sent a visitor off the site, with how."""
    found = {}
    for who, client in {"anonymous": Client(), "signed in": _signed_in()}.items():
        for address in walked:
            for target in targets:
                values = dict.fromkeys(DESTINATION_PARAMETERS, target)
                query = "&".join(f"{name}={target}" for name in DESTINATION_PARAMETERS)
                for method, response in [
                    ("GET", client.get(address.path, values)),
                    ("POST", client.post(f"{address.path}?{query}", values)),
                ]:
                    if leak := foreign_redirect(response):
                        found[f"{method} {address.path} ({who}, {target})"] = leak
    return found


def test_the_check_knows_a_foreign_destination():
    assert [t for t in FOREIGN if leaves_the_site(t)] == [
        t for t in FOREIGN if t != LOCAL_LOOKALIKE
    ]
    assert not leaves_the_site("/account/")
    assert not leaves_the_site("http://testserver/cart/")
    assert leaves_the_site("0; url=//evil.example/")


@pytest.mark.django_db
def test_no_address_sends_a_visitor_off_the_site():
    walked = [a for a in addresses() if a.key not in {"checkout:webhook"}]
    # The admin's model pages are one view each; its sign-in, sign-out and index stand for them.
    walked = [a for a in walked if not a.key.startswith("admin:") or a.key in ADMIN_DOORS]

    assert open_redirects(walked, FOREIGN[:3]) == {}


@pytest.mark.django_db
def test_signing_in_and_out_and_up_stay_on_the_site():
    customer = CustomerFactory(password=PASSWORD)
    staff = CustomerFactory(password=PASSWORD, is_staff=True)
    found = {}
    for target in FOREIGN:
        client = Client()
        flows = {
            "sign in": client.post(
                "/account/login/", {"login": customer.email, "password": PASSWORD, "next": target}
            ),
            "sign out": client.post("/account/logout/", {"next": target}),
            "sign up": client.post(
                f"/account/signup/?next={target}",
                {
                    "email": "new@example.com",
                    "password1": PASSWORD,
                    "password2": PASSWORD,
                    "adult": "on",
                    "next": target,
                },
            ),
            "admin sign in": Client().post(
                f"/admin/login/?next={target}",
                {"username": staff.email, "password": PASSWORD, "next": target},
            ),
        }
        for flow, response in flows.items():
            assert response.status_code in {200, 302}, (flow, response.status_code)
            if leak := foreign_redirect(response):
                found[f"{flow} ({target})"] = leak
    assert found == {}


@pytest.mark.django_db
def test_answering_a_notice_goes_back_only_to_a_shop_page():
    client = _signed_in()
    for target in FOREIGN:
        if target == LOCAL_LOOKALIKE:
            continue
        response = client.post("/privacy/consent/", {"from": target, "answer": "accept"})
        assert response.status_code == 302
        assert response["Location"] == "/privacy/"
    assert client.post("/privacy/consent/", {"from": "/cart/"})["Location"] == "/cart/"


@pytest.mark.django_db
@pytest.mark.urls("tests.hostile.planted")
def test_the_walk_catches_a_planted_open_redirect():
    planted = [a for a in addresses() if a.key == "planted_redirect"]

    found = open_redirects(planted, ["//evil.example/"])

    assert found == {
        "GET /planted/redirect/ (anonymous, //evil.example/)": "Location: //evil.example/",
        "POST /planted/redirect/ (anonymous, //evil.example/)": "Location: //evil.example/",
        "GET /planted/redirect/ (signed in, //evil.example/)": "Location: //evil.example/",
        "POST /planted/redirect/ (signed in, //evil.example/)": "Location: //evil.example/",
    }
    assert settings.ROOT_URLCONF == "tests.hostile.planted"
