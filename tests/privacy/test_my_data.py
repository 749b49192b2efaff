"""P19 "My data", with prior versions (P20), the access log (P13) and disclosures (P16)."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bungu.accounts.models import PriorVersion, Profile
from bungu.mail.models import MailPreferences
from bungu.privacy import ConsentMethod, data_map, record_consent
from bungu.privacy.models import AccessLogEntry
from bungu.privacy.mydata import build_my_data
from tests.accounts.factories import AddressFactory
from tests.mail.factories import OutboxMessageFactory
from tests.reviews.factories import ReviewFactory

from .factories import CustomerFactory, at

pytestmark = pytest.mark.django_db

MY_DATA = "/privacy/my-data/"
DOWNLOAD = "/privacy/my-data/download/"


def _customer_with_everything():
    customer = CustomerFactory(email="hana@example.com", name="Hana Sato", password="pbkdf2$x$y")
    Profile.objects.create(user=customer, phone="+81 3 1234 5678", ink_colours="Blue-black")
    AddressFactory(customer=customer, line1="2-1 Ginza", city="Tokyo", country="JP")
    PriorVersion.objects.create(
        customer=customer,
        kind=PriorVersion.Kind.ADDRESS,
        object_id=1,
        change=PriorVersion.Change.CHANGED,
        snapshot={"line1": "9 Old Lane"},
    )
    ReviewFactory(author=customer, body="Lovely nib, a little scratchy.")
    MailPreferences.objects.create(user=customer, marketing=False)
    OutboxMessageFactory(
        recipient=customer, to_address=customer.email, subject="Your order has shipped"
    )
    record_consent(subject=customer, method=ConsentMethod.PAGE, page="/privacy/consent/")
    AccessLogEntry.objects.create(
        subject=customer,
        actor_label="Ken (customer service)",
        purpose="essential.service.operations.support",
        fields=["accounts.User.email"],
        granted=True,
    )
    return customer


def _signed_in(customer) -> Client:
    client = Client()
    client.force_login(customer)
    return client


def test_p19_anonymous_visitors_are_sent_to_sign_in() -> None:
    for url in (MY_DATA, DOWNLOAD):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_p19_the_page_shows_every_kind_of_data_with_source_and_notice() -> None:
    customer = _customer_with_everything()
    response = _signed_in(customer).get(MY_DATA)
    assert response.status_code == 200
    page = response.content.decode()
    for expected in (
        "hana@example.com",
        "+81 3 1234 5678",
        "2-1 Ginza",
        "line1: 9 Old Lane",  # P20: the prior version, readable
        "Lovely nib, a little scratchy.",
        "Your order has shipped",  # the outbox
        "Ken (customer service)",  # P13: who looked
        "answering your questions",  # ... and why
        "given by you",
        "gathered automatically",
        "collected under notice version 1",
        'href="/account/profile/"',  # corrections: the owning app's page
        'href="/account/addresses/"',
        'href="/mail/preferences/"',
        DOWNLOAD,
    ):
        assert expected in page, expected
    assert "pbkdf2$x$y" not in page


def test_p19_the_download_is_json_with_everything_and_no_secrets() -> None:
    customer = _customer_with_everything()
    response = _signed_in(customer).get(DOWNLOAD)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    body = response.content.decode()
    data = json.loads(body)
    sections = {section["model"]: section for section in data["records"]}
    user_values = {
        v["field"]: v["value"] for v in sections["accounts.User"]["records"][0]["values"]
    }
    assert user_values["email"] == "hana@example.com"
    assert user_values["password"] == "set"
    assert "pbkdf2$x$y" not in body
    address = sections["accounts.Address"]["records"][0]
    assert {v["field"]: v["value"] for v in address["values"]}["line1"] == "2-1 Ginza"
    assert address["notice_version"] == 1
    assert sections["accounts.Address"]["edit_url"] == "/account/addresses/"
    assert len(sections["accounts.PriorVersion"]["records"]) == 1
    assert len(sections["reviews.Review"]["records"]) == 1
    assert len(sections["mail.OutboxMessage"]["records"]) == 1
    assert sections["mail.MailPreferences"]["edit_url"] == "/mail/preferences/"
    assert [c["kind"] for c in data["consents"]] == ["given"]
    assert [(e["who"], e["why"]) for e in data["access_log"]] == [
        ("Ken (customer service)", "answering your questions")
    ]
    assert data["disclosures"] == []
    # The privacy app's own records appear in their own sections, not twice.
    assert "privacy.ConsentEvent" not in sections
    assert "privacy.AccessLogEntry" not in sections


def test_p19_another_customers_data_never_appears() -> None:
    _customer_with_everything()
    other = CustomerFactory(email="other@example.com")
    response = _signed_in(other).get(MY_DATA)
    page = response.content.decode()
    assert "other@example.com" in page
    for leaked in ("hana@example.com", "2-1 Ginza", "Lovely nib", "Ken (customer service)"):
        assert leaked not in page
    data = json.loads(_signed_in(other).get(DOWNLOAD).content)
    assert data["consents"] == []
    assert data["access_log"] == []
    # Signing in made the session row: theirs, and the only other record they have.
    assert {s["model"] for s in data["records"]} == {"accounts.User", "usersessions.UserSession"}


def test_p25_a_record_without_its_own_date_is_dated_by_the_account() -> None:
    customer = CustomerFactory(date_joined=at(2026, 3, 1))
    Profile.objects.create(user=customer, phone="555")
    data = build_my_data(subject=customer)
    profile = next(s for s in data["records"] if s["model"] == "accounts.Profile")
    record = profile["records"][0]
    assert record["collected_dated_by"] == "account opened"
    assert record["collected_at"] == at(2026, 3, 1).isoformat()


def test_p25_a_record_collected_before_any_notice_names_no_version() -> None:
    customer = CustomerFactory(date_joined=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
    data = build_my_data(subject=customer)
    assert data["records"][0]["records"][0]["notice_version"] is None


def test_p19_queries_do_not_grow_with_the_number_of_records(
    django_assert_max_num_queries,
) -> None:
    few, many = CustomerFactory(), CustomerFactory()
    AddressFactory(customer=few)
    ReviewFactory(author=few)
    for n in range(10):
        AddressFactory(customer=many, label=f"Address {n}")
        ReviewFactory(author=many)
    counts = []
    for customer in (few, many):
        client = _signed_in(customer)
        # The first page of a visit also fills shared caches (the navigation's categories).
        client.get(MY_DATA)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(MY_DATA).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    # One query per model of the data map, and a fixed few: the session and its user row,
    # the notices, the consents, the access log and the disclosures.
    limit = len(data_map.model_labels()) + 15
    with django_assert_max_num_queries(limit):
        assert client.get(DOWNLOAD).status_code == 200
