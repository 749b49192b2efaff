"""P13, P26: the privacy officer reads what a customer wrote in a privacy request, to answer it.

The notice in force says the shop answers the customer's questions and requests (the
customer-service practice, which covers what the customer writes to the shop), and the data
map declares the request's text for that use. The officer acts for a narrower purpose under
it, answering privacy requests, whose scope is the customer's privacy choices and what they
wrote about them: nothing else customer service sees. Each read goes through the gate and is
logged; a role holding neither purpose sees none of it.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from bungu.accounts.models import User
from bungu.privacy import Purpose, PurposeNotAllowed, access
from bungu.privacy.models import AccessLogEntry, PrivacyRequest
from bungu.privacy.rights.concerns import submit_privacy_request

from .factories import PLANTED, planted_customer, staff_member

pytestmark = pytest.mark.django_db

WORDS = "Zqrequest: which companies did you give my address to?"
DESCRIPTION = "privacy.PrivacyRequest.description"


def _request_from(customer: User) -> PrivacyRequest:
    return submit_privacy_request(customer=customer, kind="access", description=WORDS)


def _signed_in(member: User) -> Client:
    client = Client()
    client.force_login(member)
    return client


def _customer_page(member: User, customer: User, purpose: Purpose) -> str:
    slug = purpose.name.lower()
    response = _signed_in(member).get(
        reverse("backoffice:customer", args=[customer.pk]), {"purpose": slug}
    )
    assert response.status_code in {200, 403}
    return str(response.content.decode())


def test_p13_the_privacy_officer_reads_the_request_in_the_admin_and_it_is_logged() -> None:
    customer = planted_customer()
    made = _request_from(customer)
    officer = staff_member("Privacy officer")
    client = _signed_in(officer)

    listing = client.get(reverse("admin:privacy_privacyrequest_changelist"))
    page = client.get(reverse("admin:privacy_privacyrequest_change", args=[made.pk]))

    assert page.status_code == 200
    text = page.content.decode()
    assert WORDS in text.replace("&#x27;", "'")
    assert "(withheld" not in text
    assert listing.status_code == 200
    assert "(withheld" not in listing.content.decode()
    entry = AccessLogEntry.objects.filter(subject=customer, actor=officer).latest("pk")
    assert (entry.purpose, entry.granted) == (Purpose.PRIVACY_REQUESTS.value, True)
    assert DESCRIPTION in entry.fields
    assert entry.refused == []


def test_p13_the_privacy_officers_own_page_shows_privacy_matters_and_nothing_else() -> None:
    customer = planted_customer()
    _request_from(customer)
    officer = staff_member("Privacy officer")

    page = _customer_page(officer, customer, Purpose.PRIVACY_REQUESTS)

    assert WORDS in page.replace("&#x27;", "'")
    # Scope: the customer's contact details, orders, reviews and wish lists stay with the
    # roles whose work needs them.
    assert [label for label, value in PLANTED.items() if value in page] == []
    entry = AccessLogEntry.objects.filter(subject=customer, actor=officer).latest("pk")
    assert (entry.purpose, entry.granted) == (Purpose.PRIVACY_REQUESTS.value, True)
    assert DESCRIPTION in entry.fields
    assert "wishlists.WishList.name" not in entry.fields


def test_customer_service_still_reads_what_the_customer_wrote() -> None:
    customer = planted_customer()
    _request_from(customer)
    clerk = staff_member("Customer service")

    page = _customer_page(clerk, customer, Purpose.CUSTOMER_SERVICE)

    assert WORDS in page.replace("&#x27;", "'")
    entry = AccessLogEntry.objects.filter(subject=customer, actor=clerk).latest("pk")
    assert (entry.purpose, entry.granted) == (Purpose.CUSTOMER_SERVICE.value, True)
    assert DESCRIPTION in entry.fields


def test_p13_a_role_without_either_purpose_never_sees_the_request() -> None:
    customer = planted_customer()
    made = _request_from(customer)
    packer = staff_member("Fulfilment")
    client = _signed_in(packer)
    before = AccessLogEntry.objects.filter(subject=customer, granted=True).count()

    admin_page = client.get(reverse("admin:privacy_privacyrequest_change", args=[made.pk]))
    pages = [
        _customer_page(packer, customer, purpose)
        for purpose in (Purpose.FULFILMENT, Purpose.PRIVACY_REQUESTS, Purpose.CUSTOMER_SERVICE)
    ]
    with pytest.raises(PurposeNotAllowed, match="may not act for"):
        access(
            subject=customer, purpose=Purpose.PRIVACY_REQUESTS, actor=packer, fields=[DESCRIPTION]
        )

    assert admin_page.status_code == 403
    assert not any(WORDS in page.replace("&#x27;", "'") for page in pages)
    # Only the fulfilment page read anything, and not the request.
    granted = AccessLogEntry.objects.filter(subject=customer, granted=True).order_by("pk")
    assert granted.count() == before + 1
    assert DESCRIPTION not in granted.last().fields  # type: ignore[union-attr]
    # The admin's page and the direct call were refused, and the refusals are on record.
    refused = AccessLogEntry.objects.filter(subject=customer, actor=packer, granted=False)
    assert [(entry.purpose, DESCRIPTION in entry.refused) for entry in refused] == [
        (Purpose.PRIVACY_REQUESTS.value, True)
    ] * 2
