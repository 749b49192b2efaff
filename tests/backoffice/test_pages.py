"""The back office's pages: staff only, one purpose at a time, every look logged (P13)."""

from __future__ import annotations

import datetime
import html
import re
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from bungu.accounts.models import User
from bungu.backoffice import services
from bungu.backoffice.roles import ROLES
from bungu.backoffice.services import shown_fields
from bungu.privacy import Purpose, data_map, record_consent
from bungu.privacy.models import AccessLogEntry, Notice
from tests.accounts.factories import AddressFactory, CustomerFactory
from tests.privacy.factories import V1_PRACTICES
from tests.storefront.html_checks import page_problems
from tests.test_security_headers import header_problems

from .factories import PLANTED, planted_customer, staff_member
from .pages import walk_urls

pytestmark = pytest.mark.django_db

EMAIL = PLANTED["accounts.User.email"]


def customer_url(customer_id: int, purpose: str = "") -> str:
    url = reverse("backoffice:customer", args=[customer_id])
    return f"{url}?purpose={purpose}" if purpose else url


# ---------------------------------------------------------------- who may come in
def test_an_anonymous_visitor_is_sent_to_the_staff_sign_in_page(client) -> None:
    response = client.get(customer_url(7, "customer_service"))

    assert response.status_code == 302
    assert response["Location"] == (
        "/admin/login/?next=/backoffice/customers/7/%3Fpurpose%3Dcustomer_service"
    )


@pytest.mark.parametrize(
    "url",
    [
        "/backoffice/",
        "/backoffice/roles/",
        "/backoffice/customers/?q=1",
        "/backoffice/customers/1/",
    ],
)
def test_a_signed_in_customer_gets_404_on_every_back_office_page(client, url) -> None:
    customer = planted_customer()
    client.force_login(customer)

    response = client.get(url.replace("/1/", f"/{customer.pk}/"))

    assert response.status_code == 404
    assert EMAIL not in response.content.decode()


def test_pages_are_never_cached_and_answer_only_get(client) -> None:
    client.force_login(staff_member("Customer service"))

    response = client.get("/backoffice/")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert client.post("/backoffice/").status_code == 405


# ---------------------------------------------------------------- the customer page
def test_customer_service_sees_the_fields_its_purpose_may_see_and_the_look_is_logged(
    client,
) -> None:
    customer = planted_customer()
    clerk = staff_member("Customer service")
    client.force_login(clerk)

    response = client.get(customer_url(customer.pk, "customer_service"))

    page = response.content.decode()
    assert response.status_code == 200
    for label in ("accounts.User.email", "accounts.User.name", "accounts.Address.line1"):
        assert PLANTED[label] in page, label
    entry = AccessLogEntry.objects.get()
    assert (entry.subject_id, entry.actor_id, entry.purpose, entry.granted) == (
        customer.pk,
        clerk.pk,
        Purpose.CUSTOMER_SERVICE.value,
        True,
    )
    assert {"accounts.User.email", "accounts.Address.line1"} <= set(entry.fields)
    assert "accounts.User.password" not in entry.fields


def test_fulfilment_sees_names_and_addresses_but_never_the_email(client) -> None:
    customer = planted_customer()
    client.force_login(staff_member("Fulfilment"))

    response = client.get(customer_url(customer.pk, "fulfilment"))

    page = response.content.decode()
    assert response.status_code == 200
    assert PLANTED["accounts.Address.line1"] in page
    assert PLANTED["accounts.User.name"] in page
    assert EMAIL not in page
    assert "customer_service" not in page  # a purpose it does not hold is not offered


def test_without_a_purpose_the_page_offers_only_the_members_purposes_and_reads_nothing(
    client,
) -> None:
    customer = planted_customer()
    client.force_login(staff_member("Fulfilment"))

    page = client.get(customer_url(customer.pk)).content.decode()

    assert f"{customer_url(customer.pk, 'fulfilment')}" in page
    # P25: notice v1 lets only the carrier use data for delivery, not the shop's own staff.
    assert f"{customer_url(customer.pk, 'delivery')}" not in page
    assert "purpose=customer_service" not in page
    assert AccessLogEntry.objects.count() == 0
    assert PLANTED["accounts.User.name"] not in page


def test_a_purpose_the_member_does_not_hold_is_refused_with_403_and_nothing_shown(
    client,
) -> None:
    customer = planted_customer()
    client.force_login(staff_member("Fulfilment"))

    response = client.get(customer_url(customer.pk, "customer_service"))

    page = response.content.decode()
    assert response.status_code == 403
    assert (
        "Your role does not let you see customers&#x27; data for answering your questions." in page
    )
    assert not any(value in page for value in PLANTED.values())
    assert AccessLogEntry.objects.count() == 0


def test_an_unknown_purpose_is_refused_with_403(client) -> None:
    customer = planted_customer()
    client.force_login(staff_member("Customer service"))

    response = client.get(customer_url(customer.pk, "<b>gossip</b>"))

    assert response.status_code == 403
    assert "There is no purpose called &#x27;&lt;b&gt;gossip&lt;/b&gt;&#x27;." in (
        response.content.decode()
    )


def test_an_unknown_customer_is_404_and_a_refusal_does_not_tell_whether_one_exists(
    client,
) -> None:
    client.force_login(staff_member("Fulfilment"))

    assert client.get(customer_url(999_999, "fulfilment")).status_code == 404
    assert client.get(customer_url(999_999, "customer_service")).status_code == 403


def test_a_staff_member_without_a_role_is_offered_nothing(client) -> None:
    customer = planted_customer()
    client.force_login(staff_member())

    response = client.get(customer_url(customer.pk, "customer_service"))

    assert response.status_code == 403
    assert "Your role holds no purpose" in response.content.decode()


def test_the_customer_page_makes_the_same_number_of_queries_for_one_address_or_many(
    client, django_assert_max_num_queries
) -> None:
    customer = planted_customer()
    client.force_login(staff_member("Customer service"))
    client.get(customer_url(customer.pk, "customer_service"))  # warm the session

    # One query per model the purpose reads (the data map grows as apps are added), plus the
    # session, the member, their permissions, the customer check, the log entry and the layout,
    # and for P25 the notice in force, the notices and the customer's consents.
    models = {item.model_label for item in shown_fields(Purpose.CUSTOMER_SERVICE)}
    with django_assert_max_num_queries(len(models) + 17) as few:
        client.get(customer_url(customer.pk, "customer_service"))
    AddressFactory.create_batch(6, customer=customer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(customer_url(customer.pk, "customer_service"))

    assert response.content.decode().count("San Francisco") == 6


# ---------------------------------------------------------------- search
def test_search_by_exact_email_finds_one_customer_and_lists_no_address(client) -> None:
    customer = planted_customer()
    CustomerFactory.create_batch(3)
    client.force_login(staff_member("Customer service"))

    response = client.get(reverse("backoffice:customer_search"), {"q": EMAIL.upper()})

    page = response.content.decode()
    assert response.status_code == 200
    assert f"Customer #{customer.pk}" in page
    assert page.count("@example.com") == 0


def test_search_by_number(client) -> None:
    customer = planted_customer()
    client.force_login(staff_member("Fulfilment"))

    response = client.get(reverse("backoffice:customer_search"), {"q": f"#{customer.pk}"})

    assert f"Customer #{customer.pk}" in response.content.decode()
    assert customer_url(customer.pk, "fulfilment") in response.content.decode()


def test_search_finds_nobody_for_an_unknown_number_or_address(client) -> None:
    client.force_login(staff_member("Customer service"))

    for query in ("424242", "nobody@example.net"):
        response = client.get(reverse("backoffice:customer_search"), {"q": query})
        assert response.status_code == 200
        assert "No customer has that number or e-mail address." in response.content.decode()


def test_a_role_that_may_not_see_emails_may_not_search_by_one(client) -> None:
    planted_customer()
    client.force_login(staff_member("Fulfilment"))

    response = client.get(reverse("backoffice:customer_search"), {"q": EMAIL})

    page = response.content.decode()
    assert response.status_code == 400
    assert "Your role may not see e-mail addresses, so it may not search by one." in page
    assert "Customer #" not in page
    assert EMAIL not in page  # the refused query is not echoed back


@pytest.mark.parametrize("query", ["hana", "", "x" * 300])
def test_a_malformed_search_is_a_clear_400(client, query) -> None:
    client.force_login(staff_member("Customer service"))

    response = client.get(reverse("backoffice:customer_search"), {"q": query})

    assert response.status_code == 400
    assert 'class="message message-error"' in response.content.decode()


# ---------------------------------------------------------------- roles
def test_the_roles_command_creates_one_group_per_role_with_its_purpose_permissions() -> None:
    call_command("backoffice_roles", stdout=StringIO())
    out = StringIO()
    call_command("backoffice_roles", stdout=out)  # again: it updates, never duplicates

    assert "Fulfilment: delivering your order, picking and packing your order\n" in out.getvalue()

    groups = {g.name: g for g in Group.objects.prefetch_related("permissions")}
    assert sorted(groups) == sorted(role.name for role in ROLES)
    assert sorted(p.codename for p in groups["Fulfilment"].permissions.all()) == [
        "access_for_essential_service_delivery",
        "access_for_essential_service_fulfilment",
    ]
    assert sorted(p.codename for p in groups["Privacy officer"].permissions.all()) == [
        "access_for_essential_legal_obligation",
        "access_for_essential_service_operations_support_privacy_requests",
        "approve_disclosure",
        "change_privacyrequest",
        "view_accesslogentry",
        "view_consentevent",
        "view_disclosure",
        "view_privacyrequest",
    ]


def test_the_roles_page_shows_the_rules_and_no_customer(client) -> None:
    planted_customer()
    client.force_login(staff_member("Marketing"))

    page = client.get(reverse("backoffice:roles")).content.decode()

    assert "Privacy officer" in page
    assert "<code>accounts.User.email</code>" in page
    assert not any(value in page for value in PLANTED.values())


# ---------------------------------------------------------------- the customer's side
def test_the_customer_reads_the_back_office_look_in_their_access_log(client) -> None:
    customer = planted_customer()
    clerk = staff_member("Customer service")
    client.force_login(clerk)
    client.get(customer_url(customer.pk, "customer_service"))

    client.force_login(customer)
    page = client.get(reverse("privacy:my_data")).content.decode()

    assert f"<td>staff:{clerk.pk}</td><td>answering your questions</td>" in page


# ---------------------------------------------------------------- the pages as staff see them
def test_every_page_a_superuser_reaches_passes_the_page_and_header_checks(client) -> None:
    """The shop-wide walks are anonymous and see only the redirect; this one signs in."""
    customer = planted_customer()
    client.force_login(staff_member(is_superuser=True))

    found = {}
    for url in walk_urls(customer):
        response = client.get(url)
        problems = header_problems(response) + page_problems(response.content.decode())
        if problems or response.status_code >= 500:
            found[url] = [str(response.status_code), *problems]

    assert found == {}


def test_if_a_page_ever_asks_for_too_much_the_accessor_refuses_and_logs_it(
    client, monkeypatch
) -> None:
    """The accessor is the backstop: a page asking for a field beyond its purpose gets a 403."""
    customer = planted_customer()
    packer = staff_member("Fulfilment")
    client.force_login(packer)
    asked = [*shown_fields(Purpose.FULFILMENT), data_map.get("accounts.User.email")]
    monkeypatch.setattr(services, "shown_fields", lambda purpose, **_: asked)

    response = client.get(customer_url(customer.pk, "fulfilment"))

    assert response.status_code == 403
    assert "The privacy rules refused this access." in response.content.decode()
    assert EMAIL not in response.content.decode()
    entry = AccessLogEntry.objects.get()
    assert (entry.actor_id, entry.granted, entry.refused) == (
        packer.pk,
        False,
        ["accounts.User.email"],
    )


# ---------------------------------------------------------------- P25: withheld, not refused
CUSTOMER_SERVICE_PRACTICE = 'purpose = "essential.service.operations.support"'
CONTACT_NOT_UNDER_V1 = (
    "collected under notice v1, which did not allow the shop itself to use user.contact.email "
    "data for answering your questions; the customer has not consented to v2, which does."
)


def narrower_first_notice(*, customer_service_data: list[str] | None) -> None:
    """Make v1 narrower for customer service than the shop's real one (``None``: no customer
    service at all), and publish the real practices as v2 from today. The real v1 is in force
    and so refuses to be saved again; the test rewrites its row as if history had been so."""
    blocks = V1_PRACTICES.split("\n[[allow]]")
    (index,) = [i for i, block in enumerate(blocks) if CUSTOMER_SERVICE_PRACTICE in block]
    if customer_service_data is None:
        del blocks[index]
    else:
        listed = ", ".join(f'"{category}"' for category in customer_service_data)
        blocks[index] = re.sub(r"data = \[.*\]", f"data = [{listed}]", blocks[index])
    Notice.objects.filter(version=1).update(practices="\n[[allow]]".join(blocks))
    Notice.objects.create(
        version=2, effective=timezone.localdate(), text="v2", practices=V1_PRACTICES
    )


def joined_under_v1(customer: User) -> User:
    """Date the account (and so every row without a creation time of its own) under v1."""
    customer.date_joined = timezone.now() - datetime.timedelta(days=15)
    type(customer).objects.filter(pk=customer.pk).update(date_joined=customer.date_joined)
    return customer


def contact_was_not_for_customer_service_under_v1() -> None:
    narrower_first_notice(
        customer_service_data=[
            "user.account",
            "user.name",
            "user.behavior.purchase_history",
            "user.content",
            "user.financial",
            "user.privacy_preferences",
        ]
    )


def test_p25_p13_customer_service_sees_the_allowed_fields_and_a_note_for_the_withheld_ones(
    client,
) -> None:
    contact_was_not_for_customer_service_under_v1()
    # The account, its e-mail address and profile date from v1; the address was given today.
    customer = joined_under_v1(planted_customer())
    clerk = staff_member("Customer service")
    client.force_login(clerk)

    response = client.get(customer_url(customer.pk, "customer_service"))

    page = response.content.decode()
    assert response.status_code == 200
    assert EMAIL not in page
    assert PLANTED["accounts.Profile.phone"] not in page
    for label in (
        "accounts.User.name",
        "accounts.Profile.ink_colours",
        "accounts.Address.line1",
        "accounts.Address.phone",
        "reviews.Review.body",
    ):
        assert html.escape(PLANTED[label]) in page, label
    assert '<h2 id="withheld-heading">Some values are withheld</h2>' in page
    assert (
        '<li id="withheld-1">Email addresses: email address (1 value); Users: e-mail address '
        f"(1 value): {CONTACT_NOT_UNDER_V1}</li>"
    ) in page
    assert (
        '<li id="withheld-2">Profiles: phone number (1 value): '
        f"{CONTACT_NOT_UNDER_V1.replace('user.contact.email', 'user.contact.phone_number')}</li>"
    ) in page
    assert page.count('<em>withheld</em> (<a href="#withheld-1">note 1</a>)') == 2
    assert page.count('<em>withheld</em> (<a href="#withheld-2">note 2</a>)') == 1
    entry = AccessLogEntry.objects.get()
    assert (entry.actor, entry.granted, entry.refused) == (
        clerk,
        True,
        ["account.EmailAddress.email", "accounts.Profile.phone", "accounts.User.email"],
    )
    assert {"accounts.User.name", "accounts.Address.line1", "accounts.Address.phone"} <= set(
        entry.fields
    )
    assert not set(entry.refused) & set(entry.fields)


def test_p25_p13_after_the_customer_consents_to_v2_the_withheld_values_are_shown(client) -> None:
    contact_was_not_for_customer_service_under_v1()
    customer = joined_under_v1(planted_customer())
    client.force_login(staff_member("Customer service"))
    client.get(customer_url(customer.pk, "customer_service"))

    record_consent(subject=customer, method="form", page="/privacy/", notice_version=2)
    response = client.get(customer_url(customer.pk, "customer_service"))

    page = response.content.decode()
    assert response.status_code == 200
    assert EMAIL in page
    assert PLANTED["accounts.Profile.phone"] in page
    assert "withheld" not in page
    assert [e.refused for e in AccessLogEntry.objects.order_by("id")] == [
        ["account.EmailAddress.email", "accounts.Profile.phone", "accounts.User.email"],
        [],
    ]


def test_p25_p13_when_nothing_may_be_shown_for_the_purpose_the_page_is_still_a_403(
    client,
) -> None:
    narrower_first_notice(customer_service_data=None)
    customer = joined_under_v1(CustomerFactory(email=EMAIL, name=PLANTED["accounts.User.name"]))
    clerk = staff_member("Customer service")
    client.force_login(clerk)

    response = client.get(customer_url(customer.pk, "customer_service"))

    page = response.content.decode()
    assert response.status_code == 403
    assert "The privacy rules refused this access." in page
    assert EMAIL not in page
    assert PLANTED["accounts.User.name"] not in page
    entry = AccessLogEntry.objects.get()
    assert (entry.actor, entry.granted, entry.fields) == (clerk, False, [])
    assert {"accounts.User.email", "accounts.User.name", "account.EmailAddress.email"} <= set(
        entry.refused
    )


def test_p25_withheld_values_cost_no_query_per_record(
    client, django_assert_max_num_queries
) -> None:
    contact_was_not_for_customer_service_under_v1()
    customer = joined_under_v1(planted_customer())
    client.force_login(staff_member("Customer service"))
    url = customer_url(customer.pk, "customer_service")
    client.get(url)  # warm the session

    models = {item.model_label for item in shown_fields(Purpose.CUSTOMER_SERVICE)}
    with django_assert_max_num_queries(len(models) + 17) as few:
        client.get(url)
    for _ in range(3):
        old = AddressFactory(customer=customer, line1="Zqold Lane")
        type(old).objects.filter(pk=old.pk).update(created_at=customer.date_joined)
        AddressFactory(customer=customer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)

    page = response.content.decode()
    assert "Zqold Lane" not in page
    assert page.count("San Francisco") == 3
