"""The demo catalogue: deterministic, realistic, consistent listing fields, fast to load."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from bungu.catalog import art
from bungu.catalog.demo import lines, plan_catalogue
from bungu.catalog.demo.plan import LINES
from bungu.catalog.demo.taxonomy import BRANDS, CATEGORIES, PRODUCT_TYPES
from bungu.catalog.models import SKU, Brand, CatalogState, Category, Product, ProductType


def snapshot() -> list[tuple[object, ...]]:
    return list(
        SKU.objects.order_by("code").values_list(
            "code", "product__slug", "product__name", "price", "stock", "is_active", "ink_colour"
        )
    )


def test_the_same_seed_plans_the_same_catalogue():
    first = list(plan_catalogue(seed=7, products=60))
    again = list(plan_catalogue(seed=7, products=60))
    other = list(plan_catalogue(seed=8, products=60))
    assert first == again
    assert first != other


def test_default_plan_has_about_three_hundred_products_and_fifteen_hundred_skus():
    plans = list(plan_catalogue())
    skus = [sku for plan in plans for sku in plan.skus]
    assert len(plans) == 300
    assert 1_200 <= len(skus) <= 1_800
    assert len({plan.slug for plan in plans}) == 300
    assert len({sku.code for sku in skus}) == len(skus)
    assert all(sku.price > 0 and sku.price == sku.price.quantize(Decimal("0.01")) for sku in skus)
    assert {sku.stock for sku in skus} >= {0}
    assert any(1 <= sku.stock <= 5 for sku in skus)
    assert any(plan.is_featured for plan in plans)
    assert {plan.name for plan in plans if plan.is_for_children} >= {
        "Sakura Cray-Pas Junior Artist Oil Pastels"
    }
    assert all(plan.skus and any(sku.is_active for sku in plan.skus) for plan in plans)


def test_plan_uses_only_known_brands_categories_and_types():
    brand_slugs = {brand.slug for brand in BRANDS}
    category_slugs = {category.slug for category in CATEGORIES}
    type_slugs = {kind.slug for kind in PRODUCT_TYPES}
    for line in LINES:
        assert line.brand in brand_slugs
        assert line.category in category_slugs
        assert line.product_type in type_slugs
        assert line.product_type in lines.TYPE_SENTENCES


def test_sku_target_is_met_exactly_with_numbered_series():
    plans = list(plan_catalogue(skus=4_321))
    assert sum(len(plan.skus) for plan in plans) == 4_321
    assert any(" Series " in plan.name for plan in plans)
    assert len({sku.code for plan in plans for sku in plan.skus}) == 4_321


def test_descriptions_and_specs_read_as_text():
    plan = next(plan_catalogue(products=1))
    assert plan.name == "Pilot Juice Up Gel Pen"
    assert plan.summary.startswith("A gel pen from Pilot in ")
    assert "founded in 1918" in plan.description
    assert ["Ink", "Pigment gel"] in plan.specs
    assert all(len(pair) == 2 and all(isinstance(v, str) for v in pair) for pair in plan.specs)


def test_every_demo_colour_has_a_drawn_colour():
    names = set()
    for line in LINES:
        names.update(line.inks)
        names.update(line.bodies)
    for edition_list in lines.EDITIONS_BY_TYPE.values():
        for edition in edition_list:
            names.update(edition.inks)
            names.update(edition.bodies)
    grades = {"HB", "B", "2B", "H"}
    missing = {n for n in names - grades if n.lower() not in art.COLOURS and not _has_known_word(n)}
    assert missing == set()


def _has_known_word(name: str) -> bool:
    return any(word in art.COLOURS for word in name.lower().split())


@pytest.mark.django_db
def test_load_builds_a_browsable_catalogue(monkeypatch):
    reindexed = []
    monkeypatch.setattr(
        "bungu.catalog.demo.loader.reindex_products", lambda ids=None: reindexed.append(ids)
    )
    before = CatalogState.current()
    call_command("load_demo_catalog", products=40, stdout=_Sink())

    assert Product.objects.count() == 40
    assert Brand.objects.count() == len(BRANDS)
    assert Category.objects.count() == len(CATEGORIES)
    assert ProductType.objects.count() == len(PRODUCT_TYPES)
    assert Category.objects.get(slug="gel-pens").path == "pens/gel-pens"
    assert reindexed == [None]
    assert CatalogState.current() > before
    for product in Product.objects.visible():
        assert product.skus.filter(is_active=True).exists()


@pytest.mark.django_db
def test_listing_fields_match_the_model_rule():
    call_command("load_demo_catalog", products=40, stdout=_Sink())
    stored = list(
        Product.objects.order_by("id").values_list(
            "id", "min_price", "max_price", "in_stock", "lead_sku_code"
        )
    )
    for product in Product.objects.all():
        product.refresh_listing_fields()
    recomputed = list(
        Product.objects.order_by("id").values_list(
            "id", "min_price", "max_price", "in_stock", "lead_sku_code"
        )
    )
    assert stored == recomputed
    assert all(row[1] is not None for row in stored)


@pytest.mark.django_db
def test_same_seed_loads_the_same_catalogue_and_replace_reloads_it():
    call_command("load_demo_catalog", products=30, seed=3, stdout=_Sink())
    first = snapshot()
    call_command("load_demo_catalog", products=30, seed=3, replace=True, stdout=_Sink())
    assert snapshot() == first
    call_command("load_demo_catalog", products=30, seed=4, replace=True, stdout=_Sink())
    assert snapshot() != first


@pytest.mark.django_db
def test_if_empty_leaves_an_existing_catalogue_alone():
    call_command("load_demo_catalog", products=10, stdout=_Sink())
    before = snapshot()
    out = _Sink()
    call_command("load_demo_catalog", if_empty=True, stdout=out)
    assert snapshot() == before
    assert "already has 10 products; loaded nothing" in out.text


@pytest.mark.django_db
def test_loading_over_a_catalogue_without_a_flag_is_refused():
    call_command("load_demo_catalog", products=5, stdout=_Sink())
    before = snapshot()
    with pytest.raises(CommandError, match="already has 5 products"):
        call_command("load_demo_catalog", stdout=_Sink())
    assert snapshot() == before


@pytest.mark.django_db
def test_sku_target_through_the_command():
    out = _Sink()
    call_command("load_demo_catalog", skus=250, stdout=out)
    assert SKU.objects.count() == 250
    assert "250 SKUs" in out.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--skus", "0"], "--skus must be between 1 and 100,000"),
        (["--skus", "100001"], "--skus must be between 1 and 100,000"),
        (["--products", "0"], "--products must be at least 1"),
    ],
)
def test_bad_sizes_are_refused(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("load_demo_catalog", *args, stdout=_Sink())
    assert Product.objects.count() == 0


@pytest.mark.django_db
def test_products_and_skus_together_are_refused():
    with pytest.raises(CommandError, match="not allowed with argument"):
        call_command("load_demo_catalog", "--products", "3", "--skus", "9", stdout=_Sink())
    assert Product.objects.count() == 0


class _Sink:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass
