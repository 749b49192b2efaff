"""The back-in-stock segment in the staff's campaign builder: chosen like the others, its
size shown before sending, its days defaulting to 14 and recorded, bad days a 400 with the
reason and nothing saved."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from bungu.catalog.models import SKU
from bungu.marketing.models import Campaign
from tests.accounts.factories import CustomerFactory
from tests.wishlists.factories import WishListItemFactory, on_sale_sku

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Back again",
    "subject": "It is back, {{ name }}",
    "body": "Hello {{ name }},\n\nWhat you wished for is back.",
    "segment": "wished_back_in_stock",
    "segment_argument": "",
    "rate_per_minute": "600",
    "max_consecutive_errors": "5",
}


@pytest.mark.usefixtures("marketer")
def test_staff_choose_the_segment_and_see_its_size_before_sending(client: Any) -> None:
    sku = on_sale_sku(stock=0)
    WishListItemFactory(wish_list__owner=CustomerFactory(name="Hana Sato"), sku=sku)
    WishListItemFactory(sku=on_sale_sku(stock=4))  # in stock all along
    sku = SKU.objects.get(pk=sku.pk)
    sku.stock = 3
    sku.save()

    form_page = client.get(reverse("marketing:campaign_new")).content.decode()
    response = client.post(reverse("marketing:campaign_new"), FORM)

    assert "Wish-listed a product that came back in stock lately" in form_page
    assert "14 if left blank" in form_page
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert (campaign.segment, campaign.segment_argument) == ("wished_back_in_stock", "14")
    page = client.get(reverse("marketing:campaign", args=[campaign.pk])).content.decode()
    assert "wished_back_in_stock: 14" in page
    assert '<dd id="segment-size">1 customer</dd>' in page
    assert "It is back, Hana Sato" in page


@pytest.mark.usefixtures("marketer")
@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("0", "0 days is out of range."),
        ("120", "120 days is out of range."),
        ("a week", "'a week' is not a number of days."),
    ],
)
def test_bad_days_are_a_400_with_the_reason_and_nothing_saved(
    client: Any, days: str, message: str
) -> None:
    response = client.post(reverse("marketing:campaign_new"), FORM | {"segment_argument": days})

    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["segment_argument"])
    assert message in errors
    assert "whole number from 1 to 90" in errors
    assert not Campaign.objects.exists()
