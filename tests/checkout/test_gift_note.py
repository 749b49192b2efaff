"""A gift note at checkout: optional, length-limited, kept on the order and printed on the
packing slip (the pick list flags it)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from bungu.checkout.forms import AddressForm
from bungu.checkout.models import GIFT_NOTE_LENGTH, CheckoutAttempt
from bungu.orders.models import Order
from tests.backoffice.factories import staff_member
from tests.catalog.factories import SKUFactory

from .helpers import GUEST, add, back_from_processor, place, to_review

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shop_tables")]

NOTE = "Happy birthday, Aoi! Love from Ren."


def test_the_gift_note_goes_from_checkout_to_the_order_and_its_packing_slip(client, gateway):
    pen = SKUFactory(price=Decimal("20.00"), stock=5)
    add(client, pen)
    form = to_review(client, details={**GUEST, "gift_note": f"  {NOTE}  "})
    review = client.get(reverse("checkout:review")).content.decode()
    assert f"Gift note: {NOTE}" in review
    place(client, form)
    payment = gateway.payment_for(form["attempt"])
    gateway.authorise(payment.id)
    back_from_processor(client, form["attempt"], payment.id)

    order = Order.objects.get()
    assert order.gift_note == NOTE
    client.force_login(staff_member("Fulfilment"))
    slip = client.get(reverse("backoffice:packing_slip", args=[order.number])).content.decode()
    assert NOTE in slip
    picks = client.get(reverse("backoffice:pick_list")).content.decode()
    assert "Yes: on the slip" in picks
    # The pick list flags the note; its words are only on the slip, whose look is logged.
    assert NOTE not in picks


def test_without_a_gift_note_nothing_is_printed_or_flagged(client, gateway):
    pen = SKUFactory(price=Decimal("20.00"), stock=5)
    add(client, pen)
    form = to_review(client)
    place(client, form)
    payment = gateway.payment_for(form["attempt"])
    gateway.authorise(payment.id)
    back_from_processor(client, form["attempt"], payment.id)

    order = Order.objects.get()
    assert order.gift_note == ""
    client.force_login(staff_member("Fulfilment"))
    slip = client.get(reverse("backoffice:packing_slip", args=[order.number])).content.decode()
    assert "Gift note" not in slip
    assert "Yes: on the slip" not in client.get(reverse("backoffice:pick_list")).content.decode()


def test_a_gift_note_too_long_is_refused_with_a_message(client, gateway):
    pen = SKUFactory(price=Decimal("20.00"), stock=5)
    add(client, pen)
    response = client.post(
        reverse("checkout:address"), {**GUEST, "gift_note": "x" * (GIFT_NOTE_LENGTH + 1)}
    )
    assert response.status_code == 200
    assert f"at most {GIFT_NOTE_LENGTH} characters" in response.content.decode()
    assert not CheckoutAttempt.objects.exists()


def test_the_gift_note_is_optional():
    form = AddressForm(data=GUEST)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["gift_note"] == ""
