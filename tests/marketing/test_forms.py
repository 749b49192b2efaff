"""The segment fields the campaign and the partner-offer forms share (``SegmentForm``): one
declaration and one check, each form keeping its fields in the order its page shows them."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from bungu.marketing.forms import SEGMENT_ARGUMENT_HELP, CampaignForm, SegmentForm
from bungu.marketing.partner_forms import OfferForm

pytestmark = pytest.mark.django_db

CAMPAIGN = {
    "name": "Autumn inks",
    "subject": "Autumn inks for {{ name }}",
    "body": "Hello {{ name }},\n\nNew inks.",
    "rate_per_minute": "600",
    "max_consecutive_errors": "5",
}


def _offer() -> dict[str, str]:
    today = timezone.localdate()
    return {
        "title": "Washi week",
        "subject": "Washi for {{ name }}",
        "text": "Hello {{ name }},\n\nKami Paper gives you 10% off.",
        "valid_from": today.isoformat(),
        "valid_until": (today + datetime.timedelta(days=14)).isoformat(),
    }


FORMS: list[tuple[type[SegmentForm], Any]] = [
    (CampaignForm, lambda: dict(CAMPAIGN)),
    (OfferForm, _offer),
]


def test_each_form_keeps_its_fields_in_the_order_of_its_page() -> None:
    assert list(CampaignForm().fields) == [
        "name",
        "subject",
        "body",
        "segment",
        "segment_argument",
        "rate_per_minute",
        "max_consecutive_errors",
    ]
    assert list(OfferForm().fields) == [
        "title",
        "subject",
        "text",
        "valid_from",
        "valid_until",
        "segment",
        "segment_argument",
    ]


@pytest.mark.parametrize("form_class", [CampaignForm, OfferForm], ids=lambda v: v.__name__)
def test_both_forms_take_the_segment_fields_from_one_declaration(
    form_class: type[SegmentForm],
) -> None:
    form = form_class()

    # Inherited, not declared again: the very field objects of the base form.
    for name in ("segment", "segment_argument"):
        assert form_class.base_fields[name] is SegmentForm.base_fields[name]
    assert form.fields["segment_argument"].help_text == SEGMENT_ARGUMENT_HELP
    assert dict(form.fields["segment"].choices)["never_ordered"] == "Signed up but never ordered"


@pytest.mark.parametrize(("form_class", "good"), FORMS, ids=lambda v: getattr(v, "__name__", ""))
def test_both_forms_check_the_segment_the_same_way(
    form_class: type[SegmentForm], good: Any
) -> None:
    missing = form_class(good() | {"segment": "bought_in_category", "segment_argument": ""})
    unknown = form_class(good() | {"segment": "nobody", "segment_argument": ""})
    defaulted = form_class(good() | {"segment": "wished_back_in_stock", "segment_argument": " "})

    assert missing.errors == {"segment_argument": ["This segment needs a category."]}
    assert list(unknown.errors) == ["segment"]
    assert defaulted.is_valid(), defaulted.errors
    assert defaulted.cleaned_data["segment_argument"] == "14"
