"""P21: the customer's e-mail choices, the page for them, and the one-click unsubscribe."""

from unittest import mock

import pytest
from django.core import signing
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from bungu.mail.kinds import Category
from bungu.mail.models import MailPreferences
from bungu.mail.preferences import may_send, set_preferences
from bungu.mail.tokens import SALT, make_unsubscribe_token
from bungu.privacy.models import ConsentEvent
from tests.accounts.factories import CustomerFactory
from tests.storefront.html_checks import page_problems

pytestmark = pytest.mark.django_db


def test_may_send_follows_the_customers_choices() -> None:
    customer = CustomerFactory()
    assert may_send(user=customer, kind="marketing") is True  # the notice makes it opt-out

    set_preferences(user=customer, choices={Category.MARKETING: False}, method="form")

    assert may_send(user=customer, kind="marketing") is False
    assert may_send(user=customer, kind="marketing.spring_sale") is False
    assert may_send(user=customer, kind="news.letter") is True
    assert may_send(user=customer, kind="legal.notice") is True
    assert may_send(user=customer, kind="order.confirmation") is True


def test_p21_even_legal_notices_can_be_stopped_but_account_security_cannot() -> None:
    customer = CustomerFactory()
    set_preferences(
        user=customer,
        choices={Category.LEGAL: False, Category.OTHER: False},
        method="form",
    )

    assert may_send(user=customer, kind="legal.notice") is False
    assert may_send(user=customer, kind="service.update") is False
    assert may_send(user=customer, kind="account.verify") is True
    assert may_send(user=customer, kind="account.password_reset") is True
    with pytest.raises(ValueError, match="cannot be turned off"):
        set_preferences(user=customer, choices={Category.SECURITY: False}, method="form")


def test_without_an_account_only_marketing_is_withheld() -> None:
    assert may_send(user=None, kind="marketing") is False
    assert may_send(user=None, kind="order.confirmation") is True
    assert may_send(user=None, kind="legal.notice") is True


def test_p24_opting_out_is_written_to_the_consent_ledger() -> None:
    customer = CustomerFactory()

    set_preferences(
        user=customer,
        choices={Category.MARKETING: False, Category.LEGAL: False, Category.OTHER: False},
        method="form",
        page="/mail/preferences/",
    )
    set_preferences(user=customer, choices={Category.MARKETING: True}, method="form")

    events = list(ConsentEvent.objects.filter(subject=customer).values_list("kind", "practice"))
    assert events == [
        ("withdrawn", "marketing.communications.email@shop"),
        ("withdrawn", "essential.service.legal_notices@shop"),
        ("given", "marketing.communications.email@shop"),
    ]


# ---------------------------------------------------------------- the preferences page
def test_the_preferences_page_needs_a_signed_in_customer(client: Client, settings) -> None:
    response = client.get("/mail/preferences/")

    assert response.status_code == 302
    login = resolve_url(settings.LOGIN_URL)
    assert response["Location"] == f"{login}?next=/mail/preferences/"


def test_the_preferences_page_shows_and_saves_only_the_customers_own_choices(
    client: Client, django_assert_max_num_queries
) -> None:
    ann, bo = CustomerFactory(), CustomerFactory()
    set_preferences(user=bo, choices={Category.MARKETING: False}, method="form")
    client.force_login(ann)

    # The layout's own queries (session, user, its sessions, navigation, cart) and one for
    # the choices.
    # The customer's summary for the header is made on their first page: 4 queries, then
    # none (storefront/summary.py).
    with django_assert_max_num_queries(16):
        page = client.get("/mail/preferences/")
    assert page.status_code == 200
    html = page.content.decode()
    assert (
        '<input type="checkbox" name="marketing" aria-describedby="id_marketing_helptext" '
        'id="id_marketing" checked>' in html
    )

    # Only ann's choices change, whatever the form claims about whose they are.
    response = client.post(
        "/mail/preferences/", {"other_mail": "on", "legal_notices": "on", "user": bo.pk}
    )

    assert response.status_code == 302
    assert MailPreferences.objects.get(user=ann).as_dict() == {
        "marketing": False,
        "other_mail": True,
        "legal_notices": True,
        "partner_offers": False,
    }
    assert MailPreferences.objects.get(user=bo).as_dict() == {
        "marketing": False,
        "other_mail": True,
        "legal_notices": True,
        "partner_offers": True,
    }
    assert MailPreferences.objects.count() == 2


def test_the_preferences_page_refuses_other_methods(client: Client) -> None:
    client.force_login(CustomerFactory())
    assert client.put("/mail/preferences/").status_code == 405


# ---------------------------------------------------------------- one-click unsubscribe
def unsubscribe_path(token: str) -> str:
    return reverse("mail:unsubscribe", kwargs={"token": token})


def test_the_link_first_asks_then_unsubscribes(
    client: Client, django_assert_max_num_queries
) -> None:
    customer = CustomerFactory()
    path = unsubscribe_path(make_unsubscribe_token(user_id=customer.pk, category=Category.LEGAL))

    with django_assert_max_num_queries(3):
        page = client.get(path)
    assert page.status_code == 200
    assert "Stop e-mail about changes to our privacy notice?" in page.content.decode()
    assert not MailPreferences.objects.exists()  # a GET (a link scanner) changes nothing

    csrf_client = Client(enforce_csrf_checks=True)
    done = csrf_client.post(path, {"List-Unsubscribe": "One-Click"})

    assert done.status_code == 200
    assert "You are unsubscribed" in done.content.decode()
    assert MailPreferences.objects.get(user=customer).as_dict() == {
        "marketing": True,
        "other_mail": True,
        "legal_notices": False,
        "partner_offers": True,
    }


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_is_refused_and_changes_nothing(client: Client, method: str) -> None:
    customer = CustomerFactory()
    token = make_unsubscribe_token(user_id=customer.pk, category=Category.MARKETING)
    payload, stamp, signature = token.split(":")
    other = CustomerFactory()
    forged = signing.b64_encode(f'{{"u":{other.pk},"c":"marketing"}}'.encode()).decode()

    for bad in (
        f"{forged}:{stamp}:{signature}",
        f"{payload}:{stamp}:{signature[:-2]}xx",
        "x" * 1000,
        "nonsense",
    ):
        response = getattr(client, method)(unsubscribe_path(bad))
        assert response.status_code == 400
        assert "This unsubscribe link is not valid." in response.content.decode()
    assert not MailPreferences.objects.exists()


def test_an_expired_link_is_refused(client: Client, settings) -> None:
    settings.BUNGU_UNSUBSCRIBE_LINK_DAYS = 30
    customer = CustomerFactory()
    with mock.patch("django.core.signing.time.time", return_value=1_700_000_000):
        token = make_unsubscribe_token(user_id=customer.pk, category=Category.MARKETING)

    response = client.post(unsubscribe_path(token))

    assert response.status_code == 400
    assert "This unsubscribe link has expired." in response.content.decode()
    assert not MailPreferences.objects.exists()


def test_a_link_signed_for_something_else_or_a_gone_customer_is_refused(client: Client) -> None:
    customer = CustomerFactory()
    gone = make_unsubscribe_token(user_id=customer.pk, category=Category.MARKETING)
    customer.delete()
    security = signing.dumps({"u": 1, "c": "security"}, salt=SALT)
    other_salt = signing.dumps({"u": 1, "c": "marketing"})

    for token in (gone, security, other_salt):
        assert client.post(unsubscribe_path(token)).status_code == 400


def test_the_unsubscribe_link_refuses_other_methods(client: Client) -> None:
    customer = CustomerFactory()
    path = unsubscribe_path(make_unsubscribe_token(user_id=customer.pk, category=Category.OTHER))

    assert client.put(path).status_code == 405
    assert not MailPreferences.objects.exists()


def test_the_mail_pages_pass_the_shops_page_checks(client: Client) -> None:
    customer = CustomerFactory()
    token = make_unsubscribe_token(user_id=customer.pk, category=Category.MARKETING)
    client.force_login(customer)
    pages = [
        client.get("/mail/preferences/"),
        client.get(unsubscribe_path(token)),
        client.post(unsubscribe_path(token)),
        client.get(unsubscribe_path("bad")),
    ]

    for response in pages:
        assert page_problems(response.content.decode()) == []
        assert "Content-Security-Policy" in response
        assert "no-cache" in response["Cache-Control"]
