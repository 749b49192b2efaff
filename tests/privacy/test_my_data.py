"""P19 "My data", with prior versions (P20), the access log (P13) and disclosures (P16)."""

from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bungu.accounts.models import PriorVersion, Profile
from bungu.mail.models import MailPreferences
from bungu.privacy import ConsentMethod, data_map, record_consent
from bungu.privacy.models import AccessLogEntry
from bungu.privacy.rights.mydata import build_my_data
from bungu.reviews.models import ReportReason, ReviewReport
from tests.accounts.factories import AddressFactory, CustomerFactory, GuardianLinkFactory
from tests.mail.factories import OutboxMessageFactory
from tests.reviews.factories import ReviewFactory
from tests.wishlists.factories import WishListFactory, WishListItemFactory

from .factories import at

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
    # Their account, its verified address (allauth's copy) and the session row signing in
    # made: all theirs, and nothing else.
    assert {s["model"] for s in data["records"]} == {
        "accounts.User",
        "account.EmailAddress",
        "usersessions.UserSession",
    }


def test_p25_a_record_without_its_own_date_is_dated_by_the_account() -> None:
    customer = CustomerFactory(date_joined=at(2026, 3, 1))
    Profile.objects.create(user=customer, phone="555")
    data = build_my_data(subject=customer)
    profile = next(s for s in data["records"] if s["model"] == "accounts.Profile")
    record = profile["records"][0]
    assert record["collected_dated_by"] == "account opened"
    assert record["collected_at"] == at(2026, 3, 1)


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


# ---------------------------------------------------------------- changes made by staff (P19)
LATE_AFTERNOON = datetime.datetime(2027, 3, 1, 17, 30, tzinfo=datetime.UTC)


def _staff_change(staff, record, *, flag: int = CHANGE, fields: tuple[str, ...] = ("Name",)):  # type: ignore[no-untyped-def]
    """What the admin writes when a staff member saves a record."""
    message = [{"changed": {"fields": list(fields)}}] if flag == CHANGE else [{"added": {}}]
    return LogEntry.objects.log_actions(
        user_id=staff.pk,
        queryset=[record],
        action_flag=flag,
        change_message=message,
        single_object=True,
    )


def test_p19_changes_staff_made_in_the_admin_are_listed_without_their_text() -> None:
    customer = CustomerFactory(email="hana@example.com", name="Hana Sato")
    address = AddressFactory(customer=customer, line1="2-1 Ginza")
    other = CustomerFactory(email="kenji@example.com")
    staff = CustomerFactory(is_staff=True)
    changed = _staff_change(staff, customer, fields=("Email address",))
    LogEntry.objects.filter(pk=changed.pk).update(
        action_time=datetime.datetime(2027, 3, 1, 17, 30, tzinfo=datetime.UTC)
    )
    _staff_change(staff, address, flag=ADDITION)
    _staff_change(staff, other, fields=("Name",))  # another customer's: never shown

    data = build_my_data(subject=customer)

    assert [(c["who"], c["record"], c["change"], c["details"]) for c in data["staff_changes"]] == [
        (f"staff:{staff.pk}", "user", "changed", "Changed Email address."),
        (f"staff:{staff.pk}", "address", "added", "Added."),
    ]
    page = _signed_in(customer).get(MY_DATA).content.decode()
    section = page[page.index('id="staff-changes"') :]
    assert "March 1, 2027, 9:30 a.m." in section  # the shop's time zone and date format
    assert "User changed" in section
    assert "Changed Email address." in section
    assert "kenji@example.com" not in page
    # The admin's own text about the record (its str(), here the e-mail) is not repeated.
    assert section.count("hana@example.com") == 0


def test_p19_without_staff_changes_the_section_says_so() -> None:
    customer = CustomerFactory()
    page = _signed_in(customer).get(MY_DATA).content.decode()
    assert "Nobody at the shop has changed your account or your records by hand." in page


# ---------------------------------------------------------------- readable values (P19)
def test_p19_times_are_readable_on_the_page_and_iso_8601_in_the_download() -> None:
    customer = CustomerFactory(
        date_joined=at(2026, 3, 1),
        last_login=LATE_AFTERNOON,
    )
    client = _signed_in(customer)
    # force_login moved last_login: put back the time this test reads.
    type(customer).objects.filter(pk=customer.pk).update(last_login=LATE_AFTERNOON)

    page = client.get(MY_DATA).content.decode()
    users = page[page.index('id="data-accountsuser"') :]
    users = users[: users.index("</section>")]
    assert "March 1, 2027, 9:30 a.m." in users  # last login, in the shop's time zone
    assert "(March 1, 2026)\n" in users  # when it was collected, in the caption
    assert "March 1, 2026, 4 a.m." in users  # the day the account was opened
    assert "2027-03-01T" not in page
    assert "2026-03-01T" not in page

    data = json.loads(client.get(DOWNLOAD).content)
    user = next(s for s in data["records"] if s["model"] == "accounts.User")["records"][0]
    values = {v["field"]: v for v in user["values"]}
    assert values["last_login"]["value"] == "2027-03-01T17:30:00Z"
    assert values["last_login"]["text"] == "March 1, 2027, 9:30 a.m."
    assert user["collected_at"] == "2026-03-01T12:00:00Z"


def test_p19_references_read_as_the_record_and_never_as_someone_elses() -> None:
    customer = CustomerFactory()
    item = WishListItemFactory(wish_list=WishListFactory(owner=customer))
    others_review = ReviewFactory(author=CustomerFactory(email="kenji@example.com"))
    ReviewReport.objects.create(
        reporter=customer, review=others_review, reason=ReportReason.SPAM, details="An advert."
    )
    mine = ReviewFactory(author=customer)
    ReviewReport.objects.create(reporter=customer, review=mine, reason=ReportReason.OTHER)

    data = build_my_data(subject=customer)

    sections = {s["model"]: s for s in data["records"]}
    wished = {v["field"]: v for v in sections["wishlists.WishListItem"]["records"][0]["values"]}
    assert wished["sku"]["value"] == item.sku_id  # the download keeps the id for machines
    assert wished["sku"]["text"] == str(item.sku)  # "SKU-00001 (Custom 74 0.5 mm, Black)"
    reports = [
        {v["field"]: v["text"] for v in record["values"]}
        for record in sections["reviews.ReviewReport"]["records"]
    ]
    assert [(r["review"], r["reason"]) for r in reports] == [
        ("a review that is not yours", "Spam or advertising"),
        (str(mine), "Something else"),
    ]
    page = _signed_in(customer).get(MY_DATA).content.decode()
    assert str(item.sku) in page
    assert f"by customer {others_review.author_id}" not in page


def test_p19_each_secret_is_named_for_what_it_is() -> None:
    customer = CustomerFactory(password="pbkdf2$x$y")
    client = _signed_in(customer)  # signing in makes the session row

    data = json.loads(client.get(DOWNLOAD).content)

    labels = {
        (s["model"], v["field"]): (v["value"], v["category_label"])
        for s in data["records"]
        for r in s["records"]
        for v in r["values"]
        if v["secret"]
    }
    assert labels == {
        ("accounts.User", "password"): ("set", "your password (as a one-way hash)"),
        ("usersessions.UserSession", "session_key"): (
            "set",
            "the key that keeps a browser signed in",
        ),
    }
    page = client.get(MY_DATA).content.decode()
    assert page.count("your password (as a one-way hash)") == 1
    assert client.session.session_key not in page


def test_p19_a_guardian_link_shows_on_both_peoples_data() -> None:
    guardian = CustomerFactory()
    young = CustomerFactory(email="kid@example.com")
    GuardianLinkFactory(guardian=guardian, supervised=young)

    for person in (guardian, young):
        sections = {s["model"]: s for s in build_my_data(subject=person)["records"]}
        link = sections["accounts.GuardianLink"]["records"]
        assert [{v["field"]: v["value"] for v in r["values"]}["invited_email"] for r in link] == [
            "kid@example.com"
        ]
    assert "accounts.GuardianLink" not in {
        s["model"] for s in build_my_data(subject=CustomerFactory())["records"]
    }


def test_p19_queries_stay_bounded_with_references_and_staff_changes(
    django_assert_max_num_queries,
) -> None:
    staff = CustomerFactory(is_staff=True)
    few, many = CustomerFactory(), CustomerFactory()
    for customer, count in ((few, 1), (many, 8)):
        wish_list = WishListFactory(owner=customer)
        for _ in range(count):
            address = AddressFactory(customer=customer)
            _staff_change(staff, address)
            WishListItemFactory(wish_list=wish_list)
            ReviewReport.objects.create(
                reporter=customer, review=ReviewFactory(), reason=ReportReason.SPAM
            )
        _staff_change(staff, customer)
    # One query per model of the data map, one per kind of record referred to (SKUs,
    # reviews), one for the change log, and the fixed few of the first test.
    limit = len(data_map.model_labels()) + 18
    counts = []
    for customer in (few, many):
        client = _signed_in(customer)
        client.get(MY_DATA)  # the first page of a visit fills shared caches
        with django_assert_max_num_queries(limit) as captured:
            assert client.get(MY_DATA).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
