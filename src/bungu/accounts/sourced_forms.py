"""P9: the customer's corrections of information from other sources."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import SHIPPING_COUNTRIES, Interest


class InterestsCorrectionForm(forms.Form):
    interests = forms.MultipleChoiceField(
        choices=Interest.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Interests",
    )

    def value(self) -> dict[str, Any]:
        return {"interests": list(self.cleaned_data["interests"])}


class AddressCorrectionForm(forms.Form):
    line1 = forms.CharField(label="Street address", max_length=200)
    line2 = forms.CharField(label="Apartment, suite, building", max_length=200, required=False)
    city = forms.CharField(max_length=100)
    region = forms.CharField(label="State, province or prefecture", max_length=100, required=False)
    postal_code = forms.CharField(label="ZIP or postal code", max_length=20)
    country = forms.ChoiceField(choices=SHIPPING_COUNTRIES)

    def value(self) -> dict[str, Any]:
        return {"postal_address": dict(self.cleaned_data)}
