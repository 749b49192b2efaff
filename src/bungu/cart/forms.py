"""The cart's forms: they turn whatever the browser sent into whole numbers, or say why not."""

from __future__ import annotations

from django import forms

from bungu.database_ids import MAX_DATABASE_ID

from .services import MAX_LINE_QUANTITY

_QUANTITY_MESSAGES = {
    "required": "Enter a quantity.",
    "invalid": "Enter the quantity as a whole number.",
}


def _quantity(minimum: int) -> forms.IntegerField:
    message = f"Enter a quantity from {minimum} to {MAX_LINE_QUANTITY}."
    return forms.IntegerField(
        min_value=minimum,
        max_value=MAX_LINE_QUANTITY,
        error_messages={**_QUANTITY_MESSAGES, "min_value": message, "max_value": message},
    )


def first_error(form: forms.Form) -> str:
    """The message of an invalid form's first error, for a flash message or a fragment."""
    for field_errors in form.errors.values():
        return str(field_errors[0])
    return "Please check the form."


_NOT_SOLD = "That item is not sold here."


class AddToCartForm(forms.Form):
    sku = forms.IntegerField(
        min_value=1,
        max_value=MAX_DATABASE_ID,
        error_messages={
            "required": "Choose an item to add.",
            "invalid": _NOT_SOLD,
            "min_value": _NOT_SOLD,
            "max_value": _NOT_SOLD,
        },
    )
    quantity = _quantity(1)


class QuantityForm(forms.Form):
    quantity = _quantity(0)
