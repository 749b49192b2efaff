"""P26: privacy concerns and requests, their legal clocks, and who may see them."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.admin.sites import site
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from bungu.privacy.admin import OverdueFilter, PrivacyRequestAdmin
from bungu.privacy.datamap.clocks import add_business_days, due_dates
from bungu.privacy.models import PrivacyRequest, RequestStatus, Verification
from bungu.privacy.rights.concerns import submit_privacy_request
from tests.accounts.factories import CustomerFactory
from tests.storefront.html_checks import page_problems

from .factories import at

pytestmark = pytest.mark.django_db

NEW = "/privacy/requests/new/"
LIST = "/privacy/requests/"


def _signed_in(customer) -> Client:
    client = Client()
    client.force_login(customer)
    return client


def test_p26_a_friday_request_is_confirmed_within_ten_business_days() -> None:
    friday = datetime.date(2026, 11, 6)
    assert friday.weekday() == 4
    assert add_business_days(friday, 10) == datetime.date(2026, 11, 20)
    assert add_business_days(friday, 1) == datetime.date(2026, 11, 9)  # the Monday
    assert add_business_days(datetime.date(2026, 11, 7), 1) == datetime.date(2026, 11, 9)
    confirm, answer = due_dates(received_at=at(2026, 11, 6))
    assert (confirm, answer) == (datetime.date(2026, 11, 20), datetime.date(2026, 12, 21))


def test_business_days_refuse_a_negative_count() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_days(datetime.date(2026, 11, 6), -1)


def test_p26_a_signed_in_customer_files_a_request_and_sees_its_clocks() -> None:
    customer = CustomerFactory()
    client = _signed_in(customer)
    assert client.get(NEW).status_code == 200
    response = client.post(NEW, {"kind": "deletion", "description": "Please delete my account."})
    made = PrivacyRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("privacy:request_detail", args=[made.pk])
    assert (made.customer_id, made.kind, made.status) == (customer.pk, "deletion", "received")
    assert made.verified_by == Verification.SIGNED_IN
    assert (made.confirm_due, made.answer_due) == due_dates(received_at=made.received_at)
    page = client.get(response["Location"]).content.decode()
    assert "Please delete my account." in page
    assert "We have not replied yet." in page
    listing = client.get(LIST).content.decode()
    assert f"#{made.pk}: Deleting your account and data" in listing


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "access", "description": "   "}, "description", "Describe your concern"),
        ({"kind": "access", "description": "x" * 4001}, "description", "4000 characters or fewer"),
        ({"kind": "refund", "description": "Hello"}, "kind", "Choose one of the kinds"),
        ({"description": "Hello"}, "kind", "Choose what your request is about."),
    ],
)
def test_p26_bad_input_gets_a_clear_form_error(data: dict, field: str, message: str) -> None:
    response = _signed_in(CustomerFactory()).post(NEW, data)
    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert len(errors) == 1
    assert message in errors[0]
    assert message in response.content.decode().replace("&#x27;", "'")
    assert PrivacyRequest.objects.count() == 0


def test_p26_pages_need_signing_in() -> None:
    made = submit_privacy_request(customer=CustomerFactory(), kind="concern", description="Hm.")
    for url in (NEW, LIST, reverse("privacy:request_detail", args=[made.pk])):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert Client().post(NEW, {"kind": "concern", "description": "x"}).status_code == 302
    assert PrivacyRequest.objects.count() == 1


def test_p26_another_customers_request_is_not_found() -> None:
    owner, other = CustomerFactory(), CustomerFactory()
    made = submit_privacy_request(customer=owner, kind="access", description="Secret worry")
    client = _signed_in(other)
    assert client.get(reverse("privacy:request_detail", args=[made.pk])).status_code == 404
    assert "Secret worry" not in client.get(LIST).content.decode()
    assert client.get(reverse("privacy:request_detail", args=[made.pk + 99])).status_code == 404


def test_p26_the_customer_reads_the_staff_reply() -> None:
    customer = CustomerFactory()
    made = submit_privacy_request(customer=customer, kind="correction", description="Typo.")
    made.status = RequestStatus.ANSWERED
    made.reply = "Fixed: your address now reads 2-1 Ginza."
    made.save()
    made.refresh_from_db()
    assert made.confirmed_at is not None
    assert made.answered_at is not None
    page = _signed_in(customer).get(reverse("privacy:request_detail", args=[made.pk]))
    assert "Fixed: your address now reads 2-1 Ginza." in page.content.decode()


def test_p26_staff_filter_overdue_requests() -> None:
    customer = CustomerFactory()
    late = PrivacyRequest.objects.create(
        customer=customer, kind="access", description="Old", received_at=at(2020, 1, 3)
    )
    answered = PrivacyRequest.objects.create(
        customer=customer,
        kind="access",
        description="Old but answered",
        received_at=at(2020, 1, 3),
        status=RequestStatus.ANSWERED,
    )
    fresh = submit_privacy_request(customer=customer, kind="concern", description="New")
    today = timezone.localdate()
    assert list(PrivacyRequest.objects.overdue(today)) == [late]
    assert late.is_overdue(today)
    assert not answered.is_overdue(today)
    assert not fresh.is_overdue(today)
    staff = CustomerFactory(is_staff=True, is_superuser=True)
    request = RequestFactory().get("/admin/privacy/privacyrequest/", {"clock": "overdue"})
    request.user = staff
    model_admin = PrivacyRequestAdmin(PrivacyRequest, site)
    chosen = OverdueFilter(request, {"clock": ["overdue"]}, PrivacyRequest, model_admin)
    assert list(chosen.queryset(request, PrivacyRequest.objects.all())) == [late]
    listing = _signed_in(staff).get("/admin/privacy/privacyrequest/?clock=overdue")
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1


def test_the_signed_in_privacy_pages_pass_the_basic_accessibility_checks() -> None:
    customer = CustomerFactory()
    made = submit_privacy_request(customer=customer, kind="concern", description="Hm.")
    client = _signed_in(customer)
    pages = {
        url: client.post(url, {}) if url == NEW else client.get(url)
        for url in (
            "/privacy/my-data/",
            NEW,
            LIST,
            reverse("privacy:request_detail", args=[made.pk]),
        )
    }
    pages["new (empty)"] = client.get(NEW)
    assert {url: page_problems(page.content.decode()) for url, page in pages.items()} == {
        url: [] for url in pages
    }
    # The account menu links to the customer's data (only when signed in).
    assert 'href="/privacy/my-data/">Your data</a>' in pages[LIST].content.decode()
    assert "Your data</a>" not in Client().get("/privacy/").content.decode()
