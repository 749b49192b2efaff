"""P13, the issue's key test: for each staff role, walk every back-office page with every
purpose and show that no page holds the value of a field the role's purposes may not see.

The customer has a distinctive value planted in every personal field the pages could show;
a value is allowed on a role's pages only if ``bungu.privacy.fields_for`` (the privacy app's
own rule: data map and purpose scopes) hands over a field holding it for one of the role's
purposes. Two controls keep the walk honest: each role must see every value it is allowed
(so the walk reaches the data), and a planted leak must be caught.
"""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any

import pytest
from django.test import Client

from bungu.accounts.models import User
from bungu.backoffice import services
from bungu.backoffice.roles import ROLES, Role
from bungu.marketing import partner_staff_views
from bungu.marketing.partner_models import Partner
from bungu.marketing.partner_report import ReportRow
from bungu.privacy import Purpose, data_map, fields_for

from .factories import COPIES, PLANTED, planted_customer, staff_member
from .pages import backoffice_patterns, walk_urls

pytestmark = pytest.mark.django_db

NO_ROLE = Role("(no role)", frozenset())


def allowed_labels(role: Role) -> set[str]:
    return {item.label for purpose in role.purposes for item in fields_for(purpose)}


def holders() -> dict[str, set[str]]:
    """Each planted value -> every field holding it."""
    found: dict[str, set[str]] = {value: {label} for label, value in PLANTED.items()}
    for copy, original in COPIES.items():
        found[PLANTED[original]].add(copy)
    return found


def walk(client: Client, customer: User, role: Role) -> tuple[dict[str, list[str]], set[str]]:
    """(pages showing values the role may not see -> those fields, the values seen at all)."""
    allowed = allowed_labels(role)
    leaks: dict[str, list[str]] = {}
    seen: set[str] = set()
    for url in walk_urls(customer):
        response = client.get(url)
        assert response.status_code in {200, 400, 403}, (url, response.status_code)
        page = response.content.decode()
        for value, labels in holders().items():
            if value in page or html.escape(value) in page:
                seen.add(value)
                if not labels & allowed:
                    leaks.setdefault(url, []).extend(sorted(labels))
    return leaks, seen


def test_the_planted_fields_are_all_declared_personal() -> None:
    assert all(data_map.find(label) for label in [*PLANTED, *COPIES])


def test_the_walk_reaches_every_page_and_purpose() -> None:
    customer = planted_customer()

    urls = walk_urls(customer)

    assert {str(p.name) for p in backoffice_patterns()} == {
        "index",
        "dashboard",
        "roles",
        "customer_search",
        "customer",
        "orders",
        "order",
        "order_refund",
        "order_cancel",
        "order_delivered",
        "order_return",
        "pick_list",
        "packing_slip",
        "ship",
    }
    assert f"/backoffice/customers/{customer.pk}/?purpose=fulfilment" in urls
    assert f"/backoffice/customers/{customer.pk}/?purpose=gossip" in urls
    assert f"/backoffice/fulfilment/{customer.orders.get().number}/" in urls
    # The marketing pages under /backoffice/campaigns/, the partners' of P14 among them.
    assert {str(p.name) for p in backoffice_patterns("marketing")} == {
        "campaigns",
        "campaign_new",
        "campaign",
        "campaign_edit",
        "campaign_send",
        "campaign_schedule",
        "campaign_pause",
        "campaign_resume",
        "campaign_cancel",
        "partners",
        "partner",
        "offer_new",
        "partner_link",
        "partner_revoke",
        "partner_active",
        "comparisons",
        "psi_request",
        "psi_finish",
    }
    partner = Partner.objects.get()
    assert "/backoffice/campaigns/partners/" in urls
    assert f"/backoffice/campaigns/partners/{partner.pk}/" in urls
    campaign = f"/backoffice/campaigns/{partner.offers.get().campaign_id}/"
    assert f"{campaign}?sample={customer.pk}" in urls
    assert "/backoffice/campaigns/comparisons/" in urls
    assert len(urls) == 3 + 5 + len(Purpose) + 2 + 4 + 1 + 1 + 1 + (2 + 3) + (1 + 1) + 1


@pytest.mark.parametrize("role", [*ROLES, NO_ROLE], ids=lambda role: role.name)
def test_p13_no_role_sees_a_field_its_purposes_do_not_allow(client, role: Role) -> None:
    customer = planted_customer()
    client.force_login(staff_member(role.name))

    leaks, seen = walk(client, customer, role)

    assert leaks == {}
    # Positive control: the walk reached the data, every value the role may see was shown.
    assert seen == {value for value, labels in holders().items() if labels & allowed_labels(role)}


def test_p13_the_fulfilment_role_never_sees_the_email_address(client) -> None:
    customer = planted_customer()
    client.force_login(staff_member("Fulfilment"))

    _, seen = walk(client, customer, next(r for r in ROLES if r.name == "Fulfilment"))

    assert PLANTED["accounts.User.email"] not in seen
    assert PLANTED["accounts.Address.line1"] in seen


def test_the_positive_control_customer_service_sees_the_email_address(client) -> None:
    customer = planted_customer()
    client.force_login(staff_member("Customer service"))

    _, seen = walk(client, customer, next(r for r in ROLES if r.name == "Customer service"))

    assert PLANTED["accounts.User.email"] in seen


def test_the_walk_catches_a_planted_leak(client, monkeypatch) -> None:
    """A page that slips the e-mail address in beside the access()-read data is caught."""
    read_customer = services.read_customer

    def leaky(**kwargs: Any) -> services.CustomerView:
        view = read_customer(**kwargs)
        email = User.objects.get(pk=kwargs["customer_id"]).email
        extra = services.Section(title="Leak", columns=["e-mail"], rows=[[email]])
        return replace(view, sections=[*view.sections, extra])

    monkeypatch.setattr(services, "read_customer", leaky)
    customer = planted_customer()
    client.force_login(staff_member("Fulfilment"))

    leaks, _ = walk(client, customer, next(r for r in ROLES if r.name == "Fulfilment"))

    base = f"/backoffice/customers/{customer.pk}/"
    # Only fulfilment: notice v1 lets no staff member use data for delivery (P25), so that
    # page reads nothing and has nothing to leak beside.
    assert leaks == {
        f"{base}?purpose=fulfilment": ["account.EmailAddress.email", "accounts.User.email"],
    }


def test_the_walk_catches_a_planted_leak_on_a_partner_page(client, monkeypatch) -> None:
    """P14's staff pages are walked too: a partner page that slips in a value the Marketing
    role may not see is caught, on that page alone."""
    marketing = next(r for r in ROLES if r.name == "Marketing")
    hidden = next(label for label in PLANTED if label not in allowed_labels(marketing))
    report = partner_staff_views.partner_report

    def leaky(partner: Partner) -> list[ReportRow]:
        return [replace(row, title=PLANTED[hidden]) for row in report(partner)]

    monkeypatch.setattr(partner_staff_views, "partner_report", leaky)
    customer = planted_customer()
    client.force_login(staff_member("Marketing"))

    leaks, _ = walk(client, customer, marketing)

    partner = Partner.objects.get()
    assert leaks == {f"/backoffice/campaigns/partners/{partner.pk}/": [hidden]}
