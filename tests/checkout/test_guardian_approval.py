"""P23: a supervised (under-18) account's order waits for its guardian, who approves and pays
for it, or declines; nobody else can act on it, and an expired request cannot be approved."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bungu.checkout.models import AttemptState, CheckoutAttempt
from bungu.mail.models import OutboxMessage
from bungu.orders.models import Order, OrderEvent
from tests.accounts.factories import CustomerFactory, GuardianLinkFactory
from tests.catalog.factories import SKUFactory
from tests.storefront.html_checks import page_problems

from .helpers import GUEST, add, back_from_processor, place, to_review

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shop_tables")]

WARD_DETAILS = {k: v for k, v in GUEST.items() if k not in {"email", "adult"}}


@pytest.fixture
def link():
    return GuardianLinkFactory(
        guardian__name="Aiko Sato",
        supervised__name="Ken Sato",
        supervised__adult_declared_at=None,
    )


@pytest.fixture
def pen():
    return SKUFactory(price=Decimal("20.00"), stock=5, product__name="Sarasa Clip")


@pytest.fixture
def ward_client(link):
    client = Client()
    client.force_login(link.supervised)
    return client


@pytest.fixture
def guardian_client(link):
    client = Client()
    client.force_login(link.guardian)
    return client


def _ask(client, sku, quantity=2):
    """The young customer goes through checkout and presses the button."""
    add(client, sku, quantity)
    form = to_review(client, details=WARD_DETAILS)
    response = place(client, form)
    assert response.status_code == 302, response.content.decode()
    return form["attempt"], response


def _approve(client, attempt_id):
    return client.post(reverse("checkout:approve", args=[attempt_id]))


def _decline(client, attempt_id):
    return client.post(reverse("checkout:decline", args=[attempt_id]))


def _unchanged(attempt_id, gateway, pen, state=AttemptState.AWAITING_APPROVAL):
    attempt = CheckoutAttempt.objects.get(pk=attempt_id)
    pen.refresh_from_db()
    assert attempt.state == state
    assert (attempt.held, attempt.approved_at) == ({}, None)
    assert pen.allocated == 0
    assert gateway.payments == {}
    assert not Order.objects.exists()


def test_p23_the_ward_asks_the_guardian_approves_and_pays_and_the_order_is_the_wards(
    link, ward_client, guardian_client, gateway, pen
):
    add(ward_client, pen, 2)
    assert "I am 18 or over" not in ward_client.get(reverse("checkout:address")).content.decode()
    form = to_review(ward_client, details=WARD_DETAILS)
    review = ward_client.get(reverse("checkout:review")).content.decode()
    assert "Ask Aiko Sato to approve this order of $47.90" in review
    assert "Place order and pay" not in review
    response = place(ward_client, form)
    attempt_id = form["attempt"]

    # Not to the processor: to the page that says the guardian must approve.
    assert response["Location"] == reverse("checkout:requested", args=[attempt_id])
    page = ward_client.get(response["Location"]).content.decode()
    assert "Your guardian must approve this order" in page
    assert page_problems(page) == []
    assert page_problems(review) == []
    assert "Aiko Sato" in page
    _unchanged(attempt_id, gateway, pen)  # nothing charged, nothing held yet
    attempt = CheckoutAttempt.objects.get(pk=attempt_id)
    assert attempt.guardian == link.guardian
    assert attempt.total == Decimal("47.90")
    assert attempt.approval_expires_at - attempt.approval_requested_at == timedelta(days=7)
    mail = OutboxMessage.objects.get(kind="order.approval_request")
    assert mail.to_address == link.guardian.email
    assert "Ken Sato" in mail.subject
    assert "2 x Sarasa Clip" in mail.text_body
    assert "$47.90" in mail.text_body
    assert "/checkout/approvals/" in mail.text_body

    listing = guardian_client.get(reverse("checkout:approvals")).content.decode()
    assert "Ken Sato: $47.90" in listing
    assert page_problems(listing) == []
    assert "Sarasa Clip" in listing

    response = _approve(guardian_client, attempt_id)

    payment = gateway.payment_for(attempt_id)
    assert response["Location"] == payment.checkout_url
    assert payment.amount == 4790
    pen.refresh_from_db()
    assert pen.allocated == 2  # held once the guardian goes to pay
    gateway.authorise(payment.id)
    response = back_from_processor(guardian_client, attempt_id, payment.id)
    assert response["Location"] == reverse("checkout:approval_done", args=[attempt_id])
    done = guardian_client.get(response["Location"]).content.decode()
    order = Order.objects.get()
    assert order.number in done
    assert page_problems(done) == []
    assert "Visa ending in 4242" in done
    assert (order.customer, order.email, order.total) == (
        link.supervised,
        link.supervised.email,
        Decimal("47.90"),
    )
    events = list(order.events.values_list("kind", "actor"))
    assert events == [
        (OrderEvent.Kind.APPROVED, f"guardian #{link.guardian.pk}"),
        (OrderEvent.Kind.PLACED, "return page"),
    ]
    assert OutboxMessage.objects.get(kind="order.confirmation").to_address == (
        link.supervised.email
    )
    # The guardian paid, so they get a confirmation too: the card as brand and last four.
    receipt = OutboxMessage.objects.get(kind="order.guardian_paid")
    assert receipt.to_address == link.guardian.email
    assert order.number in receipt.subject
    assert "Ken Sato" in receipt.subject
    assert "2 x Sarasa Clip" in receipt.text_body
    assert "$47.90, held on Visa ending in 4242" in receipt.text_body
    assert reverse("checkout:approval_done", args=[attempt_id]) in receipt.text_body
    assert ward_client.get(reverse("cart:detail")).context["summary"].is_empty
    assert order.number in ward_client.get(reverse("orders:list")).content.decode()
    assert (
        "approved and paid"
        in ward_client.get(reverse("checkout:requested", args=[attempt_id])).content.decode()
    )
    assert (
        "No orders are waiting"
        in guardian_client.get(reverse("checkout:approvals")).content.decode()
    )


def test_p23_a_double_click_makes_one_request(ward_client, gateway, pen):
    add(ward_client, pen, 1)
    form = to_review(ward_client, details=WARD_DETAILS)

    place(ward_client, form)
    place(ward_client, form)

    assert CheckoutAttempt.objects.filter(state=AttemptState.AWAITING_APPROVAL).count() == 1
    assert OutboxMessage.objects.filter(kind="order.approval_request").count() == 1


def test_p23_the_guardian_declines_and_the_ward_is_told(
    link, ward_client, guardian_client, gateway, pen
):
    attempt_id, _ = _ask(ward_client, pen)

    response = _decline(guardian_client, attempt_id)

    assert response.status_code == 302
    assert "You declined the order" in guardian_client.get(response["Location"]).content.decode()
    _unchanged(attempt_id, gateway, pen, state=AttemptState.DECLINED)
    mail = OutboxMessage.objects.get(kind="order.approval_declined")
    assert mail.to_address == link.supervised.email
    assert "Aiko Sato declined your order" in mail.text_body
    assert "Nothing was charged" in mail.text_body
    review = ward_client.get(reverse("checkout:review")).content.decode()
    assert "Your guardian declined your order" in review
    page = ward_client.get(reverse("checkout:requested", args=[attempt_id])).content.decode()
    assert "Your guardian declined this order" in page
    # Declined is final: approving it afterwards charges nothing.
    response = _approve(guardian_client, attempt_id)
    assert "You declined this order" in guardian_client.get(response["Location"]).content.decode()
    _unchanged(attempt_id, gateway, pen, state=AttemptState.DECLINED)


def test_p23_another_adult_cannot_see_approve_or_decline(ward_client, gateway, pen):
    attempt_id, _ = _ask(ward_client, pen)
    stranger = Client()
    stranger.force_login(CustomerFactory(name="Somebody Else"))

    assert "Ken Sato" not in stranger.get(reverse("checkout:approvals")).content.decode()
    assert _approve(stranger, attempt_id).status_code == 404
    assert _decline(stranger, attempt_id).status_code == 404
    assert stranger.get(reverse("checkout:approval_done", args=[attempt_id])).status_code == 404
    assert stranger.get(reverse("checkout:requested", args=[attempt_id])).status_code == 404
    _unchanged(attempt_id, gateway, pen)


def test_p23_the_ward_cannot_approve_their_own_order(ward_client, gateway, pen):
    attempt_id, _ = _ask(ward_client, pen)

    assert _approve(ward_client, attempt_id).status_code == 404
    assert _decline(ward_client, attempt_id).status_code == 404
    _unchanged(attempt_id, gateway, pen)


def test_p23_a_former_guardian_cannot_approve(link, ward_client, guardian_client, gateway, pen):
    attempt_id, _ = _ask(ward_client, pen)
    link.ended_at = timezone.now()
    link.save(update_fields=["ended_at"])

    assert _approve(guardian_client, attempt_id).status_code == 404
    _unchanged(attempt_id, gateway, pen)


def test_p23_signed_out_unknown_ids_get_and_missing_csrf_are_refused(
    link, ward_client, gateway, pen
):
    attempt_id, _ = _ask(ward_client, pen)
    signed_out = Client()
    assert _approve(signed_out, attempt_id).status_code == 302  # to sign in
    guardian = Client()
    guardian.force_login(link.guardian)
    assert _approve(guardian, "0" * 32).status_code == 404
    assert _approve(guardian, "not-an-id").status_code == 404
    assert guardian.get(reverse("checkout:approve", args=[attempt_id])).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(link.guardian)
    assert _approve(strict, attempt_id).status_code == 403
    _unchanged(attempt_id, gateway, pen)


def test_p23_an_expired_request_cannot_be_approved(
    settings, ward_client, guardian_client, gateway, pen
):
    attempt_id, _ = _ask(ward_client, pen)
    CheckoutAttempt.objects.filter(pk=attempt_id).update(
        approval_expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert "Ken Sato" not in guardian_client.get(reverse("checkout:approvals")).content.decode()
    response = _approve(guardian_client, attempt_id)

    page = guardian_client.get(response["Location"]).content.decode()
    assert "This request expired on" in page
    assert "can no longer be approved" in page
    _unchanged(attempt_id, gateway, pen)
    assert (
        "This request expired"
        in ward_client.get(reverse("checkout:requested", args=[attempt_id])).content.decode()
    )


def test_p23_the_approval_days_are_a_setting(settings, ward_client, gateway, pen):
    settings.BUNGU_GUARDIAN_APPROVAL_DAYS = 2
    attempt_id, _ = _ask(ward_client, pen)

    attempt = CheckoutAttempt.objects.get(pk=attempt_id)
    assert attempt.approval_expires_at - attempt.approval_requested_at == timedelta(days=2)


def test_p23_a_cart_changed_after_the_request_does_not_change_what_is_approved(
    ward_client, guardian_client, gateway, pen
):
    attempt_id, _ = _ask(ward_client, pen)
    add(ward_client, SKUFactory(price=Decimal("9.00"), stock=3, product__name="Notebook"), 1)

    review = ward_client.get(reverse("checkout:review")).content.decode()
    assert "Your cart has changed since" in review
    assert "the request is for your order as it was when you asked" in review
    listing = guardian_client.get(reverse("checkout:approvals")).content.decode()
    assert "changes to their cart since are not part of it" in listing
    assert "Notebook" not in listing
    _approve(guardian_client, attempt_id)
    payment = gateway.payment_for(attempt_id)
    gateway.authorise(payment.id)
    back_from_processor(guardian_client, attempt_id, payment.id)

    order = Order.objects.get()
    assert payment.amount == 4790
    assert [(line.sku_id, line.quantity) for line in order.lines.all()] == [(pen.pk, 2)]
    assert order.total == Decimal("47.90")
    # The notebook is still in the young customer's cart; the pens they were bought.
    summary = ward_client.get(reverse("cart:detail")).context["summary"]
    assert [line.name for line in summary.lines] == ["Notebook (0.5 mm, Black)"]


def test_p23_asking_again_replaces_the_waiting_request(ward_client, guardian_client, gateway, pen):
    first, _ = _ask(ward_client, pen, 1)
    second, _ = _ask(ward_client, pen, 1)

    assert CheckoutAttempt.objects.get(pk=first).state == AttemptState.ABANDONED
    assert CheckoutAttempt.objects.get(pk=second).state == AttemptState.AWAITING_APPROVAL
    response = _approve(guardian_client, first)
    assert "replaced this request" in guardian_client.get(response["Location"]).content.decode()
    assert gateway.payments == {}


def test_p23_stock_gone_before_approval_is_told_plainly_and_nothing_is_charged(
    ward_client, guardian_client, gateway, pen
):
    attempt_id, _ = _ask(ward_client, pen)
    type(pen).objects.filter(pk=pen.pk).update(stock=1)

    response = _approve(guardian_client, attempt_id)

    page = guardian_client.get(response["Location"]).content.decode()
    assert "sold out since Ken Sato asked. Nothing was charged" in page
    _unchanged(attempt_id, gateway, pen)


def test_p23_the_ward_cannot_hijack_the_guardians_payment(
    ward_client, guardian_client, gateway, pen
):
    attempt_id, _ = _ask(ward_client, pen)
    _approve(guardian_client, attempt_id)
    attempt = CheckoutAttempt.objects.get(pk=attempt_id)

    # The young customer posts the approved attempt's id as if placing it themselves.
    response = place(ward_client, {"attempt": attempt_id, "fingerprint": attempt.fingerprint})

    assert response.status_code == 302
    after = CheckoutAttempt.objects.get(pk=attempt_id)
    assert (after.state, after.held) == (AttemptState.PAYING, attempt.held)
    assert len(gateway.payments) == 1


def test_the_guardians_list_costs_the_same_queries_for_one_or_many_requests(gateway, settings):
    # One reading of the catalogue generation for both loads (it is re-read after 1 s).
    settings.BUNGU_CATALOG_GENERATION_TTL = 3600

    def guardian_with(wards: int, lines: int) -> Client:
        guardian = CustomerFactory()
        for _ in range(wards):
            link = GuardianLinkFactory(guardian=guardian, supervised__adult_declared_at=None)
            ward = Client()
            ward.force_login(link.supervised)
            for _ in range(lines):
                add(ward, SKUFactory(stock=5), 1)
            place(ward, to_review(ward, details=WARD_DETAILS))
        client = Client()
        client.force_login(guardian)
        client.get(reverse("checkout:approvals"))  # warms the per-process caches
        return client

    counts = []
    for wards, lines in ((1, 1), (4, 3)):
        client = guardian_with(wards, lines)
        with CaptureQueriesContext(connection) as queries:
            html = client.get(reverse("checkout:approvals")).content.decode()
        counts.append(len(queries))
        assert html.count("Approve and pay") == wards

    assert counts[0] == counts[1]


def test_p1_the_guardians_approval_page_lets_approve_lead_to_the_processors_page(
    ward_client, guardian_client, gateway, pen
):
    # "Approve and pay" is answered with a redirect to the processor's page, which a browser
    # holds to this page's form-action (as for the review page's "Place order").
    _ask(ward_client, pen)
    policy = guardian_client.get(reverse("checkout:approvals"))["Content-Security-Policy"]
    directive = next(d for d in policy.split(";") if d.strip().startswith("form-action"))
    assert directive.split()[1:] == ["'self'", gateway.page_origin]
