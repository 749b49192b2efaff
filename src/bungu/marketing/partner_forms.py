"""P14: the staff forms of partners and their offers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from .content import MAX_BODY_LENGTH
from .forms import PLACEHOLDER_HELP, SegmentForm, check_message
from .partner_access import DEFAULT_LINK_DAYS, MAX_LINK_DAYS
from .partners import OfferDraft, PartnerDraft


def _no_braces(value: str) -> None:
    # The partner's name and the title go into the campaign's text, where braces mark
    # placeholders.
    if "{" in value or "}" in value:
        raise forms.ValidationError("Write it without braces.")


class PartnerForm(forms.Form):
    name = forms.CharField(label="Company name", max_length=200, validators=[_no_braces])
    contact = forms.CharField(
        max_length=200, required=False, help_text="Who at the partner receives the report."
    )
    agreement_reference = forms.CharField(max_length=100, required=False)
    notice_version = forms.IntegerField(
        min_value=1, max_value=10_000, help_text="The notice the agreement was made under."
    )

    def draft(self) -> PartnerDraft:
        data = self.cleaned_data
        return PartnerDraft(
            name=data["name"],
            contact=data["contact"],
            agreement_reference=data["agreement_reference"],
            notice_version=data["notice_version"],
        )


class OfferForm(SegmentForm):
    field_order = [
        "title",
        "subject",
        "text",
        "valid_from",
        "valid_until",
        "segment",
        "segment_argument",
    ]

    title = forms.CharField(max_length=120, validators=[_no_braces])
    subject = forms.CharField(max_length=200, help_text=PLACEHOLDER_HELP)
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=MAX_BODY_LENGTH - 1000,
        help_text=PLACEHOLDER_HELP + ". Whose offer it is, its dates, the customer's code and "
        "that the partner gets no name or address are added below it.",
    )
    valid_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), help_text="The last day of the offer."
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        check_message(self, data, fields=("subject", "text"))
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", "The offer ends before it starts.")
        elif end and end < timezone.localdate():
            self.add_error("valid_until", "The offer has ended already.")
        return data

    def draft(self) -> OfferDraft:
        data = self.cleaned_data
        return OfferDraft(
            title=data["title"],
            subject=data["subject"],
            text=data["text"],
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            segment=data["segment"],
            segment_argument=data["segment_argument"],
        )


class LinkForm(forms.Form):
    days = forms.IntegerField(
        label="Valid for (days)", min_value=1, max_value=MAX_LINK_DAYS, initial=DEFAULT_LINK_DAYS
    )
