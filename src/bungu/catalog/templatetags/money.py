"""``{{ price|money }}``, ``{{ amount_in_cents|money:"cents" }}`` and ``{% currency_symbol %}``.

The catalogue is the lowest app that shows prices, so every app above it (cart, wish lists,
orders, the storefront) may load this library under the template layer rule.
"""

from __future__ import annotations

from django import template

from bungu.catalog import money as money_format

register = template.Library()


@register.filter
def money(amount: money_format.Amount | None, unit: str = "") -> str:
    """The amount with the currency sign; empty for no amount (a product with no price)."""
    if amount is None or amount == "":
        return ""
    if unit not in {"", "cents"}:
        raise template.TemplateSyntaxError(f'money takes no argument or "cents", not {unit!r}')
    return money_format.format_money(amount, minor_units=unit == "cents")


@register.simple_tag
def currency_symbol() -> str:
    return money_format.currency_symbol()
