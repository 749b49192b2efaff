"""The checkout's forms. Amounts are never among their fields: prices, shipping, tax and the
total are always recomputed from the database."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from bungu.accounts.models import SHIPPING_COUNTRIES, Address

from .models import GIFT_NOTE_LENGTH

US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "PR",
    ]
)
_AUTOCOMPLETE = {
    "email": "email",
    "recipient": "name",
    "line1": "address-line1",
    "line2": "address-line2",
    "city": "address-level2",
    "region": "address-level1",
    "postal_code": "postal-code",
    "country": "country",
    "phone": "tel",
}


class AddressForm(forms.Form):
    """Where the order goes. A guest also gives an e-mail address and the statement of age
    that sign-up asks for (P23); a signed-in customer may pick a saved address instead."""

    saved_address = forms.TypedChoiceField(
        label="Ship to a saved address", coerce=int, required=False, empty_value=None
    )
    email = forms.EmailField(
        label="E-mail address", max_length=254, help_text="For the confirmation and news of it."
    )
    recipient = forms.CharField(label="Recipient's name", max_length=150, required=False)
    line1 = forms.CharField(label="Street address", max_length=200, required=False)
    line2 = forms.CharField(label="Apartment, suite, building", max_length=200, required=False)
    city = forms.CharField(max_length=100, required=False)
    region = forms.CharField(
        label="State, province or prefecture",
        max_length=100,
        required=False,
        help_text="In the United States, the two-letter state code (CA, NY...).",
    )
    postal_code = forms.CharField(label="ZIP or postal code", max_length=20, required=False)
    country = forms.ChoiceField(choices=SHIPPING_COUNTRIES, initial="US", required=False)
    phone = forms.CharField(
        label="Phone for the courier", max_length=30, required=False, help_text="Optional."
    )
    gift_note = forms.CharField(
        label="Gift note",
        max_length=GIFT_NOTE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"Optional, up to {GIFT_NOTE_LENGTH} characters: printed on the packing slip, "
        "which shows no prices.",
    )
    adult = forms.BooleanField(
        label="I am 18 or over",
        required=True,
        error_messages={
            "required": (
                "Please confirm that you are 18 or over. Someone younger can shop with a "
                "parent or guardian's account."
            )
        },
    )

    def __init__(
        self,
        *args: Any,
        addresses: list[Address] | None = None,
        ask_email: bool = True,
        ask_adult: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.addresses = {a.pk: a for a in addresses or []}
        if self.addresses:
            cast(forms.ChoiceField, self.fields["saved_address"]).choices = [
                ("", "A new address (below)"),
                *((a.pk, ", ".join(a.lines())) for a in self.addresses.values()),
            ]
        else:
            del self.fields["saved_address"]
        if not ask_email:
            del self.fields["email"]
        if not ask_adult:
            del self.fields["adult"]
        for name, token in _AUTOCOMPLETE.items():
            if name in self.fields:
                self.fields[name].widget.attrs["autocomplete"] = token

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, value in list(cleaned.items()):
            if isinstance(value, str):
                cleaned[name] = value.strip()
        saved = cleaned.get("saved_address")
        if saved is not None:
            address = self.addresses.get(saved)
            if address is None:
                raise forms.ValidationError("Choose one of your saved addresses.")
            for name in ("recipient", "line1", "line2", "city", "region", "postal_code", "phone"):
                cleaned[name] = getattr(address, name)
            cleaned["country"] = address.country
        for name, label in (
            ("recipient", "the recipient's name"),
            ("line1", "the street address"),
            ("city", "the city"),
            ("postal_code", "the ZIP or postal code"),
            ("country", "the country"),
        ):
            if not cleaned.get(name):
                self.add_error(None if saved else name, f"Enter {label}.")
        if cleaned.get("country") == "US":
            region = str(cleaned.get("region", "")).upper()
            if region not in US_STATES:
                self.add_error(
                    None if saved else "region",
                    "For the United States, enter the state as its two-letter code (CA, NY...)"
                    + (": edit the saved address or enter a new one." if saved else "."),
                )
            cleaned["region"] = region
        return cleaned


class ShippingForm(forms.Form):
    method = forms.TypedChoiceField(label="Shipping", coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["method"]).choices = choices


class PlaceOrderForm(forms.Form):
    """What "Place order" carries: which attempt, and what the customer saw (a digest)."""

    attempt = forms.RegexField(regex=r"^[0-9a-f]{32}$", max_length=32)
    fingerprint = forms.RegexField(regex=r"^[0-9a-f]{64}$", max_length=64)
