"""Walking a client through checkout, for the tests."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from bungu.catalog.models import SKU
from bungu.checkout.models import ShippingMethod

GUEST = {
    "email": "hana@example.com",
    "recipient": "Hana Sato",
    "line1": "1 Market Street",
    "city": "San Francisco",
    "region": "CA",
    "postal_code": "94105",
    "country": "US",
    "adult": "on",
}


def add(client: Client, sku: SKU, quantity: int = 1) -> None:
    response = client.post(reverse("cart:add"), {"sku": sku.pk, "quantity": quantity})
    assert response.status_code == 302, response.content


def to_review(
    client: Client, *, details: dict[str, Any] | None = None, method: str = "standard"
) -> dict[str, str]:
    """Fill in the address and shipping steps; returns the place-order form's fields."""
    response = client.post(reverse("checkout:address"), details if details is not None else GUEST)
    assert response.status_code == 302, response.content.decode()
    chosen = ShippingMethod.objects.get(code=method)
    response = client.post(reverse("checkout:shipping"), {"method": chosen.pk})
    assert response.status_code == 302, response.content.decode()
    return review_form(client)


def review_form(client: Client) -> dict[str, str]:
    response = client.get(reverse("checkout:review"))
    assert response.status_code == 200
    form = response.context["form"]
    return {"attempt": form.initial["attempt"], "fingerprint": form.initial["fingerprint"]}


def place(client: Client, form: dict[str, str]) -> Any:
    return client.post(reverse("checkout:pay"), form)


def back_from_processor(client: Client, attempt_id: str, payment_id: str = "") -> Any:
    url = reverse("checkout:return", args=[attempt_id])
    return client.get(url + (f"?payment={payment_id}" if payment_id else ""))
