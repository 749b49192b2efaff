"""Forms of the back office's order and fulfilment pages."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any, cast

from django import forms

from bungu.orders.fulfilment import CARRIERS
from bungu.orders.models import OrderLine
from bungu.orders.refunds import SeenState
from bungu.orders.states import OrderState, PaymentState


class OrderFilterForm(forms.Form):
    q = forms.CharField(label="Order number or e-mail address", max_length=254, required=False)
    state = forms.ChoiceField(
        label="Order state", choices=[("", "Any"), *OrderState.choices], required=False
    )
    payment = forms.ChoiceField(
        label="Payment", choices=[("", "Any"), *PaymentState.choices], required=False
    )
    method = forms.CharField(label="Shipping method", max_length=40, required=False)
    placed_from = forms.DateField(label="Placed from", required=False)
    placed_to = forms.DateField(label="Placed until", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("placed_from"), data.get("placed_to")
        if start and end and start > end:
            raise forms.ValidationError("The first date must not be after the second.")
        return data


class ReturnRefundForm(forms.Form):
    """A refund form's guard: its own key (a second send refunds nothing more) and what its
    author saw of the order (a refund made meanwhile makes it stale)."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    seen_refunded = forms.DecimalField(widget=forms.HiddenInput, max_digits=10, decimal_places=2)
    seen_event = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    @classmethod
    def fresh(cls, seen: SeenState, **initial: Any) -> Any:
        return cls(
            initial={
                "key": secrets.token_hex(16),
                "seen_refunded": seen.refunded,
                "seen_event": seen.last_event_id,
                **initial,
            }
        )

    def seen(self) -> SeenState:
        return SeenState(
            refunded=self.cleaned_data["seen_refunded"],
            last_event_id=self.cleaned_data["seen_event"],
        )


class RefundForm(ReturnRefundForm):
    amount = forms.DecimalField(
        label="Amount", min_value=Decimal("0.01"), max_digits=10, decimal_places=2
    )
    reason = forms.CharField(label="Reason", max_length=200)
    field_order = ["amount", "reason"]


class CancelForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=200, required=False)


class ReturnActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("approve", "Approve"), ("reject", "Reject"), ("receive", "Received")]
    )
    reason = forms.CharField(label="Reason (for a rejection)", max_length=200, required=False)


class ShipForm(forms.Form):
    lines = forms.TypedMultipleChoiceField(
        label="Lines in this parcel", coerce=int, widget=forms.CheckboxSelectMultiple
    )
    carrier = forms.ChoiceField(
        choices=[(code, carrier.name) for code, carrier in CARRIERS.items()]
    )
    tracking_number = forms.CharField(max_length=40)
    release_rest = forms.BooleanField(
        label="Nothing else of this order will ship: cancel the other lines and release their "
        "money",
        required=False,
    )

    def __init__(self, *args: Any, lines: list[OrderLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedMultipleChoiceField, self.fields["lines"])
        field.choices = [(line.pk, f"{line.quantity} x {line.sku_code}") for line in lines]
