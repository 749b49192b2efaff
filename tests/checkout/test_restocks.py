"""The checkout's paths that change stock record a SKU's return to stock
(``SKU.restocked_at``): a buyer who held the last units and let the hold run out gives them
back through the reconciler, and that is a return to stock; "Place order" taking a hold
brings nothing back."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bungu.checkout.reconcile import release_expired_holds
from tests.catalog.factories import SKUFactory
from tests.catalog.restock_ledger import restocks_in_step

from .helpers import add, place, to_review

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shop_tables")]


def test_an_expired_hold_on_the_last_units_brings_them_back(client, gateway) -> None:
    pen = SKUFactory(price=Decimal("20.00"), stock=3)
    add(client, pen, 3)
    form = to_review(client)
    with restocks_in_step() as seen:
        assert place(client, form).status_code == 302
    assert seen["restocked"] == set()
    with restocks_in_step() as seen:
        assert release_expired_holds(now=timezone.now() + timedelta(hours=1)) == 1
    assert seen["restocked"] == {pen.pk}
