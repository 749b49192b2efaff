"""The webhook and the reconciler converge on the same order; nothing is charged twice."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bungu.checkout.jobs import JOBS, reconcile_with_processor
from bungu.checkout.models import AttemptState, CheckoutAttempt, WebhookReceipt
from bungu.checkout.reconcile import ReconcileFailedError, reconcile_payments
from bungu.orders.models import Order
from tests.catalog.factories import SKUFactory

from .helpers import add, back_from_processor, place, review_form, to_review

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shop_tables")]


@pytest.fixture
def paying(client, gateway):
    """A guest who went to the processor's page for two pens."""
    pen = SKUFactory(price=Decimal("12.00"), stock=4)
    add(client, pen, 2)
    form = to_review(client)
    place(client, form)
    return form["attempt"], gateway.payment_for(form["attempt"]), pen


def _post(body: bytes, headers: dict[str, str]):
    return Client().post(
        reverse("checkout:webhook"),
        data=body,
        content_type="application/json",
        headers=headers,
    )


def test_a_webhook_delivered_three_times_changes_state_once(gateway, paying):
    attempt_id, payment, pen = paying
    gateway.authorise(payment.id)
    body, headers = gateway.signed_webhook(payment.id, event_id="evt_1")

    answers = [_post(body, headers) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.content.decode() for a in answers] == ["placed", "already handled", "already handled"]
    assert Order.objects.filter(attempt_id=attempt_id).count() == 1
    assert WebhookReceipt.objects.count() == 1
    pen.refresh_from_db()
    assert pen.allocated == 2


def test_the_return_after_the_webhook_shows_the_same_order(client, gateway, paying):
    attempt_id, payment, _ = paying
    gateway.authorise(payment.id)
    _post(*gateway.signed_webhook(payment.id))

    response = back_from_processor(client, attempt_id)

    assert response["Location"] == reverse("checkout:done", args=[attempt_id])
    assert Order.objects.count() == 1


def test_a_webhook_after_the_return_page_does_not_ask_the_processor_again(client, gateway, paying):
    attempt_id, payment, pen = paying
    gateway.authorise(payment.id)
    back_from_processor(client, attempt_id)
    gateway.calls.clear()
    body, headers = gateway.signed_webhook(payment.id, event_id="evt_late")

    answers = [_post(body, headers) for _ in range(2)]

    assert [a.content.decode() for a in answers] == ["placed", "already handled"]
    assert gateway.calls == []
    assert list(WebhookReceipt.objects.values_list("event_id", flat=True)) == ["evt_late"]
    assert Order.objects.filter(attempt_id=attempt_id).count() == 1
    pen.refresh_from_db()
    assert pen.allocated == 2


def test_a_webhook_before_the_return_page_asks_the_processor(gateway, paying):
    attempt_id, payment, _ = paying
    gateway.authorise(payment.id)
    gateway.calls.clear()

    answer = _post(*gateway.signed_webhook(payment.id))

    assert answer.content.decode() == "placed"
    assert gateway.calls == [("get", payment.id)]
    assert Order.objects.filter(attempt_id=attempt_id).count() == 1


@pytest.mark.parametrize("tamper", ["signature", "body"])
def test_an_unsigned_or_altered_webhook_is_a_400_and_changes_nothing(gateway, paying, tamper):
    _, payment, _ = paying
    gateway.authorise(payment.id)
    body, headers = gateway.signed_webhook(payment.id)
    if tamper == "signature":
        headers = {"X-Fake-Signature": "0" * 64}
    else:
        body = body.replace(b"payment.authorised", b"payment.refunded")

    response = _post(body, headers)

    assert response.status_code == 400
    assert response.content.decode().startswith("invalid webhook")
    assert Order.objects.count() == 0
    assert WebhookReceipt.objects.count() == 0


def test_a_webhook_is_not_csrf_protected_but_a_get_is_refused(gateway):
    assert Client(enforce_csrf_checks=True).get(reverse("checkout:webhook")).status_code == 405


def test_the_reconciler_turns_a_lost_return_into_the_order(gateway, paying):
    attempt_id, payment, _ = paying
    gateway.authorise(payment.id)  # the customer closed the tab; no webhook came

    report = reconcile_payments()

    order = Order.objects.get(attempt_id=attempt_id)
    assert report.placed == [order.number]
    assert reconcile_payments().placed == []  # a second run changes nothing


def test_the_reconciler_voids_an_orphan_only_after_the_grace_period(
    client, gateway, paying, settings
):
    attempt_id, payment, _ = paying
    add(client, SKUFactory(stock=3))  # the cart changed: the review page replaces the attempt
    review_form(client)
    assert CheckoutAttempt.objects.get(pk=attempt_id).state == AttemptState.ABANDONED
    gateway.authorise(payment.id)  # ...but the old processor tab was finished anyway

    assert reconcile_payments().voided == []
    gateway.age(payment.id, minutes=settings.BUNGU_PAYMENT_VOID_GRACE_MINUTES + 1)
    report = reconcile_payments()

    assert report.voided == [payment.id]
    assert gateway.payments[payment.id].state == "voided"
    assert Order.objects.count() == 0


def test_compensation_never_harms_a_winner(gateway, paying, settings):
    from bungu.checkout.services import Release, void_unless_ordered  # noqa: PLC0415

    attempt_id, payment, _ = paying
    gateway.authorise(payment.id)
    reconcile_payments()

    assert void_unless_ordered(attempt_id=attempt_id, payment_id=payment.id) == Release.NOT_NEEDED
    assert gateway.payments[payment.id].state == "authorised"


def test_two_reconcilers_voiding_the_same_orphan_at_once_report_it_once(
    client, gateway, paying, settings, monkeypatch
):
    attempt_id, payment, _ = paying
    add(client, SKUFactory(stock=3))
    review_form(client)  # the cart changed: the paid attempt is abandoned
    gateway.authorise(payment.id)
    gateway.age(payment.id, minutes=settings.BUNGU_PAYMENT_VOID_GRACE_MINUTES + 1)
    # Both runs listed and read the payment before either voided it: each sees it authorised.
    authorised = gateway.get_payment(payment.id)
    monkeypatch.setattr(gateway, "list_payments", lambda **_: [authorised])
    monkeypatch.setattr(gateway, "get_payment", lambda _id: authorised)

    first, second = reconcile_payments(), reconcile_payments()

    assert gateway.payments[payment.id].state == "voided"
    assert (first.voided, second.voided) == ([payment.id], [])
    assert second.errors == []
    assert CheckoutAttempt.objects.get(pk=attempt_id).payment_released_at is not None


def test_expired_holds_go_back_on_sale_and_a_late_payment_takes_them_again(client, gateway, paying):
    attempt_id, payment, pen = paying

    report = reconcile_payments(now=timezone.now() + timedelta(hours=1))

    assert report.holds_released == 1
    pen.refresh_from_db()
    assert pen.allocated == 0
    gateway.authorise(payment.id)
    back_from_processor(client, attempt_id)
    pen.refresh_from_db()
    assert pen.allocated == 2
    assert Order.objects.filter(attempt_id=attempt_id).exists()


def test_the_reconciler_reports_a_processor_that_does_not_answer(gateway, paying):
    gateway.down = True

    report = reconcile_payments()

    assert report.errors == ["listing payments: timed out"]


def test_reconciliation_is_declared_to_run_every_ten_minutes():
    (job,) = JOBS
    assert job.run is reconcile_with_processor
    assert job.every == timedelta(minutes=10)


def test_the_reconciliation_job_places_the_lost_order_and_says_so(gateway, paying):
    attempt_id, payment, _ = paying
    gateway.authorise(payment.id)

    done = reconcile_with_processor(now=timezone.now())

    assert done.startswith("1 orders placed")
    assert Order.objects.filter(attempt_id=attempt_id).exists()


def test_the_reconciliation_job_fails_loudly_when_the_processor_is_down(gateway, paying):
    gateway.down = True

    with pytest.raises(ReconcileFailedError, match="listing payments: timed out"):
        reconcile_with_processor(now=timezone.now())
    assert Order.objects.count() == 0
