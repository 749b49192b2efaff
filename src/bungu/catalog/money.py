"""Money as a customer reads it, written in one place for pages, e-mails and the admin.

Amounts are ``Decimal`` in the shop's currency (``BUNGU_CURRENCY``), or whole minor units
(cents) where a caller keeps them so; Babel formats them for the active language, with the
currency's own sign, grouping and number of decimals, and a minus sign for refunds.
Templates use the ``money`` filter (``{% load money %}``), never a literal currency sign.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision, get_currency_symbol
from django.conf import settings
from django.utils import translation

Amount = Decimal | int | str


def _locale() -> str:
    return translation.to_locale(translation.get_language() or settings.LANGUAGE_CODE)


def as_decimal(amount: Amount, *, minor_units: bool = False) -> Decimal:
    """``amount`` as a Decimal of the currency's main unit. Raises ValueError for anything
    that is not an exact number (floats are refused: they cannot hold cents exactly)."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int | str):
        raise ValueError(f"An amount of money is a Decimal, an int or a string, not {amount!r}.")
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise ValueError(f"{amount!r} is not an amount of money.") from None
    if not value.is_finite():
        raise ValueError(f"{amount!r} is not an amount of money.")
    if minor_units:
        if value != value.to_integral_value():
            raise ValueError(f"{amount!r} is not a whole number of minor units.")
        value = value.scaleb(-get_currency_precision(settings.BUNGU_CURRENCY))
    return value


def format_money(amount: Amount, *, minor_units: bool = False, whole: bool = False) -> str:
    """``amount`` with the currency sign, e.g. "$1,234.50" or "-$12.50" in English.

    ``minor_units``: the amount is in cents (the currency's smallest unit). ``whole``: no
    decimals when there are none to show ("$5", for the bounds of a price filter)."""
    value = as_decimal(amount, minor_units=minor_units)
    # Keyed by the text: equal Decimals such as 0 and -0 may not read the same.
    return _format(str(value), settings.BUNGU_CURRENCY, _locale(), whole=whole)


# A listing page shows a few dozen prices, mostly the same few, and Babel takes a tenth of a
# millisecond for each: equal amounts in one currency and language read the same, so keep them.
@lru_cache(maxsize=4096)
def _format(text: str, currency: str, locale: str, *, whole: bool) -> str:
    value = Decimal(text)
    if whole and value == value.to_integral_value():
        return format_currency(
            value, currency, format="¤#,##0", currency_digits=False, locale=locale
        )
    return format_currency(value, currency, locale=locale)


def currency_symbol() -> str:
    """The shop currency's sign in the active language, e.g. "$" (for form labels)."""
    return get_currency_symbol(settings.BUNGU_CURRENCY, locale=_locale())
