"""The listing's repeated markup built in Python says what the template loops said.

The references in listing_html_reference/ are the template markup the tags replaced (facet
options and product cards, as they stood in ``_facets.html`` and ``_product_card.html``);
each case renders both and compares them with the layout whitespace between tags taken out.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import engines

from bungu.catalog.listing import Facet, FacetOption, ProductCard
from bungu.catalog.templatetags.listing_html import facet_options, product_cards

REFERENCES = Path(__file__).parent / "listing_html_reference"
REFERENCE_OPTIONS = (REFERENCES / "facet_options.html").read_text()
REFERENCE_CARDS = (REFERENCES / "product_cards.html").read_text()

HOSTILE = "<b>Ink & \"quotes\" 'too'</b>"


def squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


def render(source: str, **context: object) -> str:
    return engines["django"].from_string(source).render(context)


def option(value: str, label: str, count: int, *, selected: bool = False) -> FacetOption:
    return FacetOption(value=value, label=label, count=count, selected=selected)


FACETS = [
    Facet(
        name="ink",
        legend="Ink colour",
        options=(
            option("Blue", "Blue", 12, selected=True),
            option(HOSTILE, HOSTILE, 1),
            option("Black", "Black", 2229),
        ),
    ),
    Facet(
        name="price",
        legend="Price",
        options=(option("under-5", "Under $5", 3), option("5-10", "$5 to $10", 0, selected=True)),
        multiple=False,
    ),
    Facet(name="brand", legend="Brand", options=()),
]


@pytest.mark.parametrize("facet", FACETS, ids=lambda facet: facet.name)
def test_facet_options_match_the_template_markup(facet):
    kind = "checkbox" if facet.multiple else "radio"
    expected = render(REFERENCE_OPTIONS, facet=facet, kind=kind)
    assert squeeze(facet_options(facet)) == squeeze(expected)


def test_facet_options_escape_labels_and_values():
    html = facet_options(FACETS[0])
    assert HOSTILE not in html
    assert "&lt;b&gt;Ink &amp; &quot;quotes&quot; &#x27;too&#x27;&lt;/b&gt;" in html


def card(**changes: object) -> ProductCard:
    fields: dict[str, object] = {
        "id": 1,
        "name": "Juice up 04",
        "slug": "juice-up-04",
        "brand_name": "Pilot",
        "min_price": Decimal("2.50"),
        "max_price": Decimal("2.50"),
        "in_stock": True,
        "lead_sku_code": "PIL-JU04-BK",
    }
    fields.update(changes)
    return ProductCard(**fields)  # type: ignore[arg-type]


CARDS = [
    card(),
    card(max_price=Decimal("4.00"), in_stock=False, rating_count=1, rating_average=Decimal("4")),
    card(rating_count=7, rating_average=Decimal("3.456"), lead_sku_code=""),
    card(name=HOSTILE, brand_name=HOSTILE, lead_sku_code="A B+é~:@%", slug="x_y-9"),
    card(min_price=Decimal("1234.5"), max_price=Decimal("99999")),
]


CARD_CASES = [[c] for c in CARDS] + [CARDS, []]


@pytest.mark.parametrize("cards", CARD_CASES, ids=[f"case-{n}" for n in range(len(CARD_CASES))])
def test_product_cards_match_the_template_markup(cards):
    expected = render(REFERENCE_CARDS, cards=cards)
    assert squeeze(product_cards(cards)) == squeeze(expected)


def test_product_cards_escape_names():
    html = product_cards([CARDS[3]])
    assert HOSTILE not in html
    assert "&lt;b&gt;Ink &amp;" in html
    assert "/art/A%20B+%C3%A9~:@%25.svg" in html
