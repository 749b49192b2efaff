"""P3: a customer sees every session signed in to the account and can end any of them."""

from __future__ import annotations

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bungu.accounts import sessions
from tests.accounts.factories import PASSWORD, CustomerFactory

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)
EDGE = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/126.0 Safari/537.36 Edg/126.0"
)
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def _signed_in(user, user_agent: str, ip: str = "127.0.0.1") -> Client:
    browser = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)
    response = browser.post("/account/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return browser


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        (FIREFOX, "Firefox on Windows"),
        (SAFARI, "Safari on iPhone"),
        (CHROME, "Chrome on Linux"),
        (EDGE, "Edge on macOS"),
        ("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/126.0", "Chrome on Linux"),
        ("curl/8.5", "Unknown browser"),
        ("", "Unknown browser"),
    ],
)
def test_devices_are_described_in_plain_words(agent, device):
    assert sessions.describe_device(agent) == device


def test_the_sessions_page_lists_every_browser_signed_in():
    customer = CustomerFactory(password=PASSWORD)
    laptop = _signed_in(customer, FIREFOX, ip="203.0.113.5")
    _signed_in(customer, SAFARI, ip="198.51.100.7")

    html = laptop.get("/account/sessions/").content.decode()

    assert "Firefox on Windows" in html
    assert "Safari on iPhone" in html
    assert "203.0.113.5" in html
    assert "198.51.100.7" in html
    assert html.count('<span class="badge">This browser</span>') == 1


def test_ending_another_session_signs_that_browser_out():
    customer = CustomerFactory(password=PASSWORD)
    laptop = _signed_in(customer, FIREFOX)
    phone = _signed_in(customer, SAFARI)
    phone_session = UserSession.objects.get(session_key=phone.session.session_key)

    response = laptop.post(f"/account/sessions/{phone_session.pk}/end/")

    assert response.status_code == 302
    assert not Session.objects.filter(session_key=phone_session.session_key).exists()
    assert phone.get("/account/").status_code == 302  # sent to sign in
    assert laptop.get("/account/").status_code == 200


def test_sign_out_everywhere_else_keeps_only_this_browser():
    customer = CustomerFactory(password=PASSWORD)
    laptop = _signed_in(customer, FIREFOX)
    others = [_signed_in(customer, SAFARI) for _ in range(2)]

    laptop.post("/account/sessions/end-others/")

    assert [o.get("/account/").status_code for o in others] == [302, 302]
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [
        laptop.session.session_key
    ]


def test_ending_the_current_session_signs_out(client):
    customer = CustomerFactory(password=PASSWORD)
    browser = _signed_in(customer, FIREFOX)
    own = UserSession.objects.get(session_key=browser.session.session_key)

    response = browser.post(f"/account/sessions/{own.pk}/end/")

    assert response["Location"] == "/"
    assert browser.get("/account/").status_code == 302


def test_another_customers_session_cannot_be_ended_or_seen():
    victim = CustomerFactory(password=PASSWORD)
    victim_browser = _signed_in(victim, SAFARI, ip="198.51.100.99")
    attacker = _signed_in(CustomerFactory(password=PASSWORD), FIREFOX)
    victim_session = UserSession.objects.get(user=victim)

    assert attacker.post(f"/account/sessions/{victim_session.pk}/end/").status_code == 404
    assert "198.51.100.99" not in attacker.get("/account/sessions/").content.decode()
    assert victim_browser.get("/account/").status_code == 200


def test_ending_a_session_needs_a_post(client):
    customer = CustomerFactory(password=PASSWORD)
    browser = _signed_in(customer, FIREFOX)
    own = UserSession.objects.get(user=customer)

    assert browser.get(f"/account/sessions/{own.pk}/end/").status_code == 405
    assert UserSession.objects.filter(pk=own.pk).exists()


def test_sessions_that_ended_elsewhere_are_not_listed_and_are_purged():
    customer = CustomerFactory(password=PASSWORD)
    laptop = _signed_in(customer, FIREFOX)
    phone = _signed_in(customer, SAFARI)
    Session.objects.filter(session_key=phone.session.session_key).delete()

    listed = sessions.list_sessions(user=customer, current_key=laptop.session.session_key)

    assert [s.device for s in listed] == ["Firefox on Windows"]
    assert UserSession.objects.filter(user=customer).count() == 1


def test_a_password_change_hides_the_sessions_it_signed_out():
    customer = CustomerFactory(password=PASSWORD)
    _signed_in(customer, SAFARI)
    customer.set_password("another long passphrase")
    customer.save()

    assert sessions.list_sessions(user=customer, current_key=None) == []


def test_purge_removes_rows_of_expired_sessions():
    customer = CustomerFactory(password=PASSWORD)
    keep = _signed_in(customer, FIREFOX)
    gone = _signed_in(customer, SAFARI)
    Session.objects.filter(session_key=gone.session.session_key).delete()

    assert sessions.purge_ended_sessions() == 1
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [
        keep.session.session_key
    ]


def test_the_sessions_page_needs_a_fixed_number_of_queries(django_assert_max_num_queries):
    customer = CustomerFactory(password=PASSWORD)
    browser = _signed_in(customer, FIREFOX)
    with CaptureQueriesContext(connection) as alone:
        browser.get("/account/sessions/")
    for _ in range(8):
        _signed_in(customer, SAFARI)

    with django_assert_max_num_queries(15) as many:
        response = browser.get("/account/sessions/")

    assert response.content.decode().count("<td>Safari on iPhone") == 8
    assert len(many) == len(alone)
