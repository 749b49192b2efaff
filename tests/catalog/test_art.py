"""SKU artwork: SVG drawn from the SKU, escaped, cacheable; and the product's display image."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from bungu.catalog import art
from bungu.catalog.models import Product, ProductImage
from tests.catalog.factories import ProductFactory, ProductTypeFactory, SKUFactory

SVG = "{http://www.w3.org/2000/svg}"


def parse(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 - our own output, parsed to prove it is well-formed


@pytest.mark.django_db
def test_pen_art_shows_the_tip_size_and_ink_colour(client):
    sku = SKUFactory(
        code="PI-JUP-000-01",
        tip_size="0.4 mm",
        ink_colour="Blue Black",
        product__name="Pilot Juice Up Gel Pen",
        product__product_type=ProductTypeFactory(slug="gel-pen", name="Gel pen"),
    )
    response = client.get(reverse("catalog:sku_art", kwargs={"code": sku.code}))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert set(response["Cache-Control"].split(", ")) == {"public", "max-age=86400"}
    root = parse(response.content)
    assert root.find(f"{SVG}title").text == "Pilot Juice Up Gel Pen, 0.4 mm, Blue Black"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["0.4 mm", "Blue Black"]
    assert art.COLOURS["blue black"] in response.content.decode()


@pytest.mark.django_db
def test_unknown_code_is_404(client):
    response = client.get(reverse("catalog:sku_art", kwargs={"code": "NOPE-1"}))
    assert response.status_code == 404


@pytest.mark.django_db
def test_art_only_answers_reads(client):
    sku = SKUFactory()
    response = client.post(reverse("catalog:sku_art", kwargs={"code": sku.code}))
    assert response.status_code == 405


@pytest.mark.django_db
def test_text_from_the_catalogue_is_escaped(client):
    sku = SKUFactory(
        tip_size='"><script>',
        ink_colour="<script>alert(1)</script>",
        body_colour='red" onload="x',
        product__name="Fish & <Chips>",
        product__product_type=ProductTypeFactory(slug="gel-pen", name="Gel pen"),
    )
    response = client.get(reverse("catalog:sku_art", kwargs={"code": sku.code}))

    body = response.content.decode()
    assert "<script>" not in body
    root = parse(response.content)  # still well-formed XML
    assert all("onload" not in element.attrib for element in root.iter())
    assert root.find(f"{SVG}title").text.startswith("Fish & <Chips>, ")
    assert [t.text for t in root.iter(f"{SVG}text")] == ['"><script>', "<script>alert(1)</script>"]
    # Colours never come from the raw attribute: every fill is a hex colour.
    fills = re.findall(r'fill="([^"]*)"', body)
    assert all(re.fullmatch(r"#[0-9a-f]{6}([0-9a-f]{2})?", fill) for fill in fills)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("type_slug", "attrs", "label"),
    [
        ("notebook", {"paper_size": "B6", "body_colour": "Cream"}, "B6"),
        ("planner", {"paper_size": "A6", "body_colour": "Navy"}, "A6"),
        ("bottled-ink", {"ink_colour": "Kon-peki", "tip_size": ""}, "Kon-peki"),
        ("eraser", {"tip_size": "Small", "ink_colour": ""}, "Small"),
    ],
)
def test_each_kind_of_product_gets_its_own_picture(client, type_slug, attrs, label):
    kind = ProductTypeFactory(slug=type_slug, name=type_slug.title())
    sku = SKUFactory(product__product_type=kind, **attrs)
    response = client.get(reverse("catalog:sku_art", kwargs={"code": sku.code}))
    texts = [t.text for t in parse(response.content).iter(f"{SVG}text")]
    assert texts[0] == label


def test_pack_sizes_get_a_badge():
    subject = art.ArtSubject(title="Set", kind="box", tip_size="12 colours", pack_size=12)
    texts = [t.text for t in parse(art.render_svg(subject).encode()).iter(f"{SVG}text")]
    assert texts == ["12 colours", "x12"]


@pytest.mark.parametrize(
    ("slug", "kind"),
    [
        ("gel-pen", "pen"),
        ("mechanical-pencil", "pen"),
        ("marker", "pen"),
        ("refill", "pen"),
        ("bottled-ink", "bottle"),
        ("notebook", "notebook"),
        ("sketchbook", "notebook"),
        ("planner", "notebook"),
        ("eraser", "box"),
        ("paint-set", "box"),
    ],
)
def test_drawing_kind(slug, kind):
    assert art.drawing_kind(slug) == kind


def test_colour_names_map_to_hex():
    assert art.colour_hex("Blue") == "#1f4fb4"
    assert art.colour_hex("  light   BLUE ") == "#5fb4e6"
    assert art.colour_hex("Blue tin") == "#1f4fb4"  # a known word inside the name
    assert art.colour_hex("") == "#8a8d91"
    unknown = art.colour_hex("Octarine")
    assert re.fullmatch(r"#[0-9a-f]{6}", unknown)
    assert art.colour_hex("octarine") == unknown  # stable, whatever the case


@pytest.mark.django_db
def test_display_image_falls_back_to_the_lead_sku_art():
    product = ProductFactory(skus=2)
    image = art.display_image(product)
    assert image.url == f"/art/{product.lead_sku_code}.svg"
    assert image.alt == product.name


@pytest.mark.django_db
def test_display_image_prefers_the_first_photo_without_queries(django_assert_num_queries):
    product = ProductFactory()
    ProductImage.objects.create(
        product=product, image="products/2026/01/second.jpg", alt_text="Side", position=2
    )
    ProductImage.objects.create(
        product=product, image="products/2026/01/first.jpg", alt_text="Front", position=1
    )
    loaded = Product.objects.prefetch_related("images").get(id=product.id)
    with django_assert_num_queries(0):
        image = art.display_image(loaded)
    assert image == art.DisplayImage(url="/media/products/2026/01/first.jpg", alt="Front")
    assert art.display_image_url(Product.objects.get(id=product.id)) == image.url


@pytest.mark.django_db
def test_display_image_of_a_product_without_skus_is_the_placeholder():
    product = ProductFactory(skus=0)
    assert art.product_art_url(product) == "/static/catalog/no-image.svg"
