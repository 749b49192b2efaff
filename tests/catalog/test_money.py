"""Money is shown through one formatter (Babel) and the ``money`` filter, and no template
writes a currency sign of its own."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template, TemplateSyntaxError

import bungu
from bungu.catalog.money import currency_symbol, format_money

SRC = Path(bungu.__file__).parent
CURRENCY_SIGNS = re.compile(r"[$¢£¥€₩￥]")


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("3.5"), "$3.50"),
        (Decimal("0"), "$0.00"),
        (0, "$0.00"),
        (Decimal("2.75"), "$2.75"),
        (Decimal("1234567.89"), "$1,234,567.89"),
        (Decimal("9999999.99"), "$9,999,999.99"),
        (Decimal("-12.50"), "-$12.50"),  # a refund
        ("19.99", "$19.99"),
        (25, "$25.00"),
    ],
)
def test_amounts_are_shown_with_sign_grouping_and_cents(amount: Decimal | int, shown: str) -> None:
    assert format_money(amount) == shown


@pytest.mark.parametrize(
    ("cents", "shown"),
    [
        (1250, "$12.50"),
        (0, "$0.00"),
        (5, "$0.05"),
        (-1999, "-$19.99"),
        (123456789, "$1,234,567.89"),
    ],
)
def test_amounts_in_cents(cents: int, shown: str) -> None:
    assert format_money(cents, minor_units=True) == shown


def test_whole_amounts_can_drop_the_cents_but_others_keep_them() -> None:
    assert format_money(Decimal(5), whole=True) == "$5"
    assert format_money(Decimal(100), whole=True) == "$100"
    assert format_money(Decimal("5.5"), whole=True) == "$5.50"


def test_the_currency_is_the_shops_setting(settings) -> None:
    settings.BUNGU_CURRENCY = "JPY"
    assert format_money(1500) == "¥1,500"
    # The yen has no minor unit: "cents" are yen.
    assert format_money(1500, minor_units=True) == "¥1,500"
    assert currency_symbol() == "¥"


@pytest.mark.parametrize(
    "bad", [1.5, "abc", "", "NaN", "Infinity", True, None, [1], Decimal("sNaN")]
)
def test_what_is_not_an_amount_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="amount of money"):
        format_money(bad)  # type: ignore[arg-type]


def test_cents_must_be_whole() -> None:
    with pytest.raises(ValueError, match="whole number of minor units"):
        format_money(Decimal("12.5"), minor_units=True)


def _render(source: str, **context: object) -> str:
    return Template("{% load money %}" + source).render(Context(context))


def test_the_filter_and_the_symbol_tag() -> None:
    assert _render("{{ price|money }}", price=Decimal("1234.5")) == "$1,234.50"
    assert _render('{{ total|money:"cents" }}', total=-250) == "-$2.50"
    assert _render("{{ price|money }}", price=None) == ""  # a product without a price yet
    assert _render("From {% currency_symbol %}") == "From $"


def test_the_filter_refuses_an_unknown_unit() -> None:
    with pytest.raises(TemplateSyntaxError, match="cents"):
        _render('{{ price|money:"pence" }}', price=Decimal(1))


def currency_signs_in(root: Path) -> list[str]:
    """Every line of a template under ``root`` that writes a currency sign itself."""
    return [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in sorted(root.glob("*/templates/**/*"))
        if path.is_file() and path.suffix in {".html", ".txt"}
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if CURRENCY_SIGNS.search(line)
    ]


def test_no_template_writes_a_currency_sign() -> None:
    assert currency_signs_in(SRC) == []


def test_the_template_walk_catches_a_planted_sign(tmp_path: Path) -> None:
    templates = tmp_path / "shop" / "templates" / "shop"
    templates.mkdir(parents=True)
    (templates / "price.html").write_text("<p>\n<span>${{ sku.price }}</span>\n</p>\n")
    (templates / "mail.txt").write_text("Total: {{ total }} €\n")
    (templates / "clean.html").write_text("{% load money %}{{ sku.price|money }}\n")
    assert currency_signs_in(tmp_path) == [
        "shop/templates/shop/mail.txt:1: Total: {{ total }} €",
        "shop/templates/shop/price.html:2: <span>${{ sku.price }}</span>",
    ]
