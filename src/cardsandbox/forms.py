"""The hosted page's card form: checked here, on the processor's origin only (P1, P2)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils import timezone

from .cards import BRANDS, brand_of, length_ok, luhn_valid, security_code_length
from .services import CardDetails

_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")


class CardForm(forms.Form):
    name = forms.CharField(required=False, max_length=100)
    number = forms.CharField(
        max_length=30,
        error_messages={"required": "Enter the card number."},
    )
    expiry = forms.CharField(
        max_length=9,
        error_messages={"required": "Enter the expiry date as MM/YY."},
    )
    cvc = forms.CharField(
        max_length=4,
        error_messages={"required": "Enter the security code from the back of the card."},
    )

    def clean_number(self) -> str:
        number = re.sub(r"[\s-]", "", self.cleaned_data["number"])
        if not number.isdigit():
            raise forms.ValidationError("The card number may contain only digits and spaces.")
        if not 12 <= len(number) <= 19:
            raise forms.ValidationError("The card number should have 12 to 19 digits.")
        if not luhn_valid(number):
            raise forms.ValidationError("This card number is not valid. Check it for typos.")
        brand = brand_of(number)
        if not brand:
            raise forms.ValidationError(f"We accept {', '.join(BRANDS)}.")
        if not length_ok(number, brand):
            raise forms.ValidationError(f"This {brand} number has the wrong number of digits.")
        return number

    def clean_expiry(self) -> tuple[int, int]:
        match = _EXPIRY.match(self.cleaned_data["expiry"])
        if not match:
            raise forms.ValidationError("Enter the expiry date as MM/YY, for example 04/31.")
        month, year = int(match.group(1)), int(match.group(2))
        year += 2000 if year < 100 else 0
        if not 1 <= month <= 12:
            raise forms.ValidationError("The expiry month must be between 01 and 12.")
        today = timezone.now().date()
        if (year, month) < (today.year, today.month):
            raise forms.ValidationError("This card has expired: check the expiry date.")
        if year > today.year + 20:
            raise forms.ValidationError("The expiry year is too far in the future.")
        return month, year

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        number, cvc = data.get("number"), data.get("cvc")
        if number and cvc is not None:
            wanted = security_code_length(brand_of(number))
            if not (cvc.isdigit() and len(cvc) == wanted):
                self.add_error("cvc", f"The security code is {wanted} digits.")
        elif cvc is not None and not (cvc.isdigit() and len(cvc) in {3, 4}):
            self.add_error("cvc", "The security code is 3 or 4 digits.")
        return data

    def card(self) -> CardDetails:
        month, year = self.cleaned_data["expiry"]
        return CardDetails(
            number=self.cleaned_data["number"],
            exp_month=month,
            exp_year=year,
            cvc=self.cleaned_data["cvc"],
        )
