"""The address page writes its fields out itself (``checkout/_fields.html``), for speed; the
markup must stay Django's own ``as_div()``: the same elements, labels, help texts, errors and
attributes (required, aria-invalid, aria-describedby, autocomplete ...), whitespace aside."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.template.loader import render_to_string

from bungu.accounts.models import Address
from bungu.checkout.forms import AddressForm, shown_fields

from .helpers import GUEST

Token = tuple[str, ...]


class _Tokens(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[Token] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(("<", tag, *sorted(f"{k}={v}" for k, v in attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(("/", tag))

    def handle_data(self, data: str) -> None:
        if text := " ".join(data.split()):
            self.tokens.append(("text", text))


def _tokens(html: str) -> list[Token]:
    parser = _Tokens()
    parser.feed(html)
    parser.close()
    return parser.tokens


def _written_out(form: AddressForm) -> str:
    return render_to_string("checkout/_fields.html", {"form": form, "fields": shown_fields(form)})


def _saved(pk: int, **changes: Any) -> Address:
    fields = {
        "recipient": "Hana Sato",
        "line1": "1 Market Street",
        "city": "San Francisco",
        "region": "CA",
        "postal_code": "94105",
        "country": "US",
    }
    return Address(pk=pk, label="Home", **(fields | changes))


def _forms() -> dict[str, AddressForm]:
    saved = [_saved(7), _saved(9, line1="2 Pine Street", country="JP", region="Tokyo")]
    signed_in = {"addresses": saved, "ask_email": False, "ask_adult": False}
    return {
        "empty, a guest": AddressForm(initial={}),
        "prefilled from the attempt": AddressForm(
            initial={"email": "a@example.com", "recipient": "O'Hara <b>", "country": "JP"}
        ),
        "every error": AddressForm(
            {"email": "not-an-address", "country": "US", "region": "zz", "phone": "1 & 2"}
        ),
        "valid": AddressForm(GUEST),
        "a gift note with markup in it": AddressForm(
            {**GUEST, "gift_note": 'For <Aiko> & "Ken"\nwith love'}
        ),
        "a gift note too long": AddressForm({**GUEST, "gift_note": "x" * 201}),
        "signed in, a saved address chosen": AddressForm(initial={"saved_address": 9}, **signed_in),
        "signed in, an unknown saved address": AddressForm({"saved_address": "8"}, **signed_in),
        "signed in, a saved address the form refuses": AddressForm(
            {"saved_address": "9", "country": "US"},
            addresses=[_saved(9, region="Kanto")],
            ask_email=False,
            ask_adult=True,
        ),
    }


@pytest.mark.parametrize("state", list(_forms()))
def test_the_written_out_fields_are_the_markup_of_as_div(state):
    form = _forms()[state]
    if form.is_bound:
        form.is_valid()
    written = _tokens(_written_out(form))

    assert written == _tokens(form.as_div())
    assert ("<", "label", "for=id_city") in written


def test_refusals_are_shown_with_their_fields_and_above_them():
    forms = _forms()
    for form in forms.values():
        if form.is_bound:
            form.is_valid()
    every_error = _written_out(forms["every error"])
    refused_saved = _written_out(forms["signed in, a saved address the form refuses"])

    assert 'aria-describedby="id_email_helptext id_email_error"' in every_error
    assert '<ul class="errorlist" id="id_region_error"><li>For the United States' in every_error
    assert '<ul class="errorlist nonfield"><li>For the United States' in refused_saved


def test_the_comparison_sees_a_missing_attribute():
    """The positive control: one attribute fewer, and the markups differ."""
    form = _forms()["every error"]
    form.is_valid()
    written = _written_out(form).replace(' aria-invalid="true"', "", 1)

    assert _tokens(written) != _tokens(form.as_div())
