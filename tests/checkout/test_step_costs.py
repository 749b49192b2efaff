"""What the checkout's steps cost the database, where `make bench` found waste."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bungu.checkout.models import ShippingMethod
from bungu.checkout.views import SESSION_KEY
from tests.catalog.factories import SKUFactory

from .helpers import GUEST, add

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shop_tables")]


def _session_writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(("UPDATE", "INSERT")) and "django_session" in q["sql"]
    ]


def test_choosing_shipping_for_the_same_attempt_does_not_rewrite_the_session(client, gateway):
    add(client, SKUFactory(price=Decimal("20.00"), stock=5))
    with CaptureQueriesContext(connection) as first:
        client.post(reverse("checkout:address"), GUEST)
    attempt_id = client.session[SESSION_KEY]
    method = ShippingMethod.objects.get(code="standard")

    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("checkout:shipping"), {"method": method.pk})

    assert response["Location"] == reverse("checkout:review")
    assert client.session[SESSION_KEY] == attempt_id
    assert _session_writes(queries) == []
    # The positive control: the step that does change the attempt writes the session.
    assert len(_session_writes(first)) == 1
