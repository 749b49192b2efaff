"""The listing page's repeated markup, built in Python: facet options and product cards.

A listing page repeats the same few elements hundreds of times (a category of a large
catalogue offers several hundred facet values), and a template loop resolves every variable
and tag of each repetition through the template engine; here each repetition is one
``format_html`` call, which escapes every value as ``{{ }}`` would. The markup is the one
``_facets.html`` and ``_product_card.html`` wrote (tests/catalog/test_listing_html.py
compares the two), so what a customer, a screen reader or a crawler sees does not change.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from bungu.catalog import money as money_format
from bungu.catalog.listing import Facet, ProductCard

register = template.Library()

# One row per option. format_html escapes each value; the parts that are the same for every
# row of a facet are escaped once, before the loop (a SafeString passes through unchanged).
_OPTION = (
    '<li class="facet-option">'
    '<input type="{0}" id="facet-{1}-{2}" name="{1}" value="{3}"{4}>'
    '<label for="facet-{1}-{2}">{5} <span class="facet-count">({6})</span></label>'
    "</li>"
)
_CHECKED = format_html("{}", " checked")
_UNCHECKED = format_html("{}", "")


@register.simple_tag
def facet_options(facet: Facet) -> SafeString:
    """The facet's options as list items: checkboxes, or radio buttons for a single choice."""
    kind = format_html("{}", "checkbox" if facet.multiple else "radio")
    name = format_html("{}", facet.name)
    return format_html_join(
        "\n",
        _OPTION,
        (
            (
                kind,
                name,
                number,
                option.value,
                _CHECKED if option.selected else _UNCHECKED,
                option.label,
                option.count,
            )
            for number, option in enumerate(facet.options, start=1)
        ),
    )


# Django's reverse() quotes arguments with these characters kept (RFC 3986 sub-delims + more).
_URL_SAFE = "!$&'()*+,;=/~:@"
_MARKER = "bungu-url-argument"


def _url_builder(name: str, argument: str) -> tuple[str, str]:
    """The URL of ``name`` split around its one argument, reversed once per page."""
    prefix, _, suffix = reverse(name, kwargs={argument: _MARKER}).partition(_MARKER)
    return prefix, suffix


_CARD = (
    '<li class="product-card">'
    '<a class="product-card-link" href="{url}">{image}'
    '<h3 class="product-card-name">{name}</h3></a>'
    '<p class="product-card-brand">{brand}</p>{rating}'
    '<p class="product-card-price">{from_}<span class="price">{price}</span></p>'
    '<p class="stock stock-{stock}">{stock_label}</p>'
    "</li>"
)
_IMAGE = (
    '<img class="product-card-image" src="{src}" alt="{name} (illustration)" '
    'width="240" height="240" loading="lazy">'
)
_RATING = (
    '<p class="product-card-rating">{average}<span aria-hidden="true"> ★</span> out of 5 '
    '<span class="rating-count">({count} review{plural})</span></p>'
)


def _card(card: ProductCard, *, product_url: tuple[str, str], art_url: tuple[str, str]) -> str:
    image = ""
    if card.lead_sku_code:
        code = quote(card.lead_sku_code, safe=_URL_SAFE)
        image = format_html(_IMAGE, src=f"{art_url[0]}{code}{art_url[1]}", name=card.name)
    rating = ""
    if card.rating_count:
        rating = format_html(
            _RATING,
            average=floatformat(card.rating_average, 1),
            count=card.rating_count,
            plural="" if card.rating_count == 1 else "s",
        )
    slug = quote(card.slug, safe=_URL_SAFE)
    return format_html(
        _CARD,
        url=f"{product_url[0]}{slug}{product_url[1]}",
        image=image,
        name=card.name,
        brand=card.brand_name,
        rating=rating,
        from_="From " if card.has_price_range else "",
        price="" if card.min_price is None else money_format.format_money(card.min_price),
        stock="in_stock" if card.in_stock else "sold_out",
        stock_label="In stock" if card.in_stock else "Sold out",
    )


@register.simple_tag
def product_cards(cards: Iterable[ProductCard]) -> SafeString:
    """The listing's product cards, each linking to its product page."""
    product_url = _url_builder("storefront:product", "slug")
    art_url = _url_builder("catalog:sku_art", "code")
    return format_html_join(
        "\n",
        "{}",
        ((_card(card, product_url=product_url, art_url=art_url),) for card in cards),
    )
