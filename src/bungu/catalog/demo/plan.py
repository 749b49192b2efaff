"""The demo catalogue as plain data, decided by a seeded random generator (no database).

The same seed and size always give the same catalogue, so tests, screenshots and
benchmarks all see the same shop.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.text import slugify

from .lines import DEFAULT_EDITIONS, EDITIONS_BY_TYPE, TYPE_SENTENCES, Edition, Line
from .lines_paper import PAPER_LINES
from .lines_refills import INK_LINES, REFILL_LINES
from .lines_writing import PEN_LINES
from .taxonomy import BRANDS, PRODUCT_TYPES, BrandFacts

DEFAULT_PRODUCTS = 300
MAX_SKUS = 100_000
LINES: tuple[Line, ...] = PEN_LINES + REFILL_LINES + INK_LINES + PAPER_LINES

_BRANDS = {brand.slug: brand for brand in BRANDS}
_TYPE_NAMES = {kind.slug: kind.name for kind in PRODUCT_TYPES}
_PAPER_PRICE = {
    "A4": Decimal("1.4"),
    "B5": Decimal("1.2"),
    "B6": Decimal("0.9"),
    "A6": Decimal("0.8"),
    "Passport": Decimal("0.85"),
    "Pocket": Decimal("0.7"),
}
_SERIES_PRICE = tuple(Decimal(f) for f in ("0.9", "1", "1", "1.1", "1.2"))
_CENT_STEP = Decimal("0.05")
_TIP_WORDS = {
    "fountain-pen": "nib",
    "pencil": "grade",
    "pencil-lead": "lead",
    "eraser": "size",
    "correction-tape": "width",
}


@dataclass(frozen=True)
class SkuPlan:
    code: str
    tip_size: str
    ink_colour: str
    body_colour: str
    paper_size: str
    pack_size: int
    price: Decimal
    stock: int
    is_active: bool
    position: int

    @property
    def available(self) -> int:
        """A planned SKU has nothing allocated yet."""
        return self.stock


@dataclass(frozen=True)
class ProductPlan:
    name: str
    slug: str
    brand: str  # slugs of the brand, category and product type
    category: str
    product_type: str
    summary: str
    description: str
    specs: list[list[str]]
    is_active: bool
    is_featured: bool
    is_for_children: bool
    skus: list[SkuPlan] = field(default_factory=list)


@dataclass(frozen=True)
class _Variant:
    tip: str
    ink: str
    body: str
    paper: str
    pack: int


def plan_catalogue(
    *, seed: int = 1, products: int | None = None, skus: int | None = None
) -> Iterator[ProductPlan]:
    """Yield the demo products in order: ``products`` of them, or as many as make ``skus``."""
    if products is None and skus is None:
        products = DEFAULT_PRODUCTS
    rng = random.Random(seed)  # noqa: S311 - repeatable demo data, not secrets
    made_products = made_skus = 0
    slugs: set[str] = set()
    for round_no in itertools.count():
        for line in LINES:
            if products is not None and made_products >= products:
                return
            if skus is not None and made_skus >= skus:
                return
            budget = None if skus is None else skus - made_skus
            plan = _plan_product(rng, line, round_no, budget, slugs)
            made_products += 1
            made_skus += len(plan.skus)
            yield plan


def _plan_product(
    rng: random.Random, line: Line, round_no: int, sku_budget: int | None, slugs: set[str]
) -> ProductPlan:
    brand = _BRANDS[line.brand]
    editions = EDITIONS_BY_TYPE.get(line.product_type, DEFAULT_EDITIONS)
    edition: Edition | None = None
    series = 0
    price_factor = Decimal(1)
    if 1 <= round_no <= len(editions):
        edition = editions[round_no - 1]
        price_factor = edition.price_factor
    elif round_no > len(editions):
        series = round_no - len(editions) + 1
        price_factor = rng.choice(_SERIES_PRICE)

    variant_name = edition.name if edition else (f"Series {series}" if series else "")
    name = " ".join(p for p in (brand.name, line.name, variant_name, line.noun) if p)
    slug = base = slugify(name)
    suffix = 2
    while slug in slugs:
        slug, suffix = f"{base}-{suffix}", suffix + 1
    slugs.add(slug)

    variants = _choose_variants(rng, line, edition, series, sku_budget)
    code_stem = f"{brand.code}-{line.code}-{round_no:03d}"
    sku_plans = [
        SkuPlan(
            code=f"{code_stem}-{position + 1:02d}",
            tip_size=v.tip,
            ink_colour=v.ink,
            body_colour=v.body,
            paper_size=v.paper,
            pack_size=v.pack,
            price=_price(line, v, price_factor),
            stock=_stock(rng),
            is_active=position == 0 or rng.random() >= 0.02,
            position=position,
        )
        for position, v in enumerate(variants)
    ]
    return ProductPlan(
        name=name,
        slug=slug,
        brand=brand.slug,
        category=line.category,
        product_type=line.product_type,
        summary=_summary(brand, line, variants),
        description=_description(brand, line, edition, series),
        specs=_specs(line, edition, variants),
        is_active=rng.random() >= 0.02,
        is_featured=round_no == 0 and rng.random() < 0.3,
        is_for_children=line.for_children,
        skus=sku_plans,
    )


def _choose_variants(
    rng: random.Random, line: Line, edition: Edition | None, series: int, budget: int | None
) -> list[_Variant]:
    def axis(own: tuple[str, ...], other: tuple[str, ...]) -> tuple[str, ...]:
        # An edition recolours only what the line already varies on.
        return (other or own) if own else ("",)

    tips: tuple[str, ...] = line.tips or ("",)
    inks = axis(line.inks, edition.inks if edition else ())
    bodies = axis(line.bodies, edition.bodies if edition else ())
    papers = axis(line.papers, edition.papers if edition else ())
    packs = (edition.packs if edition and edition.packs else ()) or line.packs
    if series:
        # A numbered series offers its own selection of the line's colours.
        inks = _some(rng, inks)
        bodies = _some(rng, bodies)
    combos = [
        _Variant(t, i, b, p, n)
        for t, i, b, p, n in itertools.product(tips, inks, bodies, papers, packs)
    ]
    most = min(line.max_skus, len(combos))
    count = rng.randint(min(3, most), most)
    if budget is not None:
        count = max(1, min(count, budget))
    chosen = sorted(rng.sample(range(len(combos)), count))
    return [combos[i] for i in chosen]


def _some(rng: random.Random, values: tuple[str, ...]) -> tuple[str, ...]:
    if len(values) <= 2:
        return values
    return tuple(sorted(rng.sample(values, rng.randint(2, len(values))), key=values.index))


def _price(line: Line, variant: _Variant, factor: Decimal) -> Decimal:
    base_pack = line.packs[0]
    pack_factor = Decimal(variant.pack) / Decimal(base_pack)
    if variant.pack > base_pack:
        pack_factor *= Decimal("0.9")
    raw = line.price * factor * pack_factor * _PAPER_PRICE.get(variant.paper, Decimal(1))
    steps = (raw / _CENT_STEP).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(steps * _CENT_STEP, Decimal("0.50")).quantize(Decimal("0.01"))


def _stock(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.08:
        return 0
    if roll < 0.18:
        return rng.randint(1, 5)
    return rng.randint(6, 240)


def _distinct(values: Sequence[str | int]) -> list[str]:
    return [str(v) for v in dict.fromkeys(values) if v != ""]


def _spoken_list(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _summary(brand: BrandFacts, line: Line, variants: list[_Variant]) -> str:
    kind = _TYPE_NAMES[line.product_type].lower()
    tips = _distinct([v.tip for v in variants])
    inks = _distinct([v.ink for v in variants])
    bodies = _distinct([v.body for v in variants])
    papers = _distinct([v.paper for v in variants])
    packs = _distinct([v.pack for v in variants if v.pack > 1])
    parts = []
    if tips:
        word = _TIP_WORDS.get(line.product_type, "tip")
        parts.append(f"{_spoken_list(tips)} {word}s" if len(tips) > 1 else f"{tips[0]} {word}")
    if inks:
        parts.append(f"{len(inks)} ink colours" if len(inks) > 3 else f"{_spoken_list(inks)} ink")
    if bodies:
        finishes = "finishes" if len(bodies) > 1 else "finish"
        parts.append(
            f"{len(bodies)} finishes" if len(bodies) > 3 else f"{_spoken_list(bodies)} {finishes}"
        )
    if papers:
        parts.append(f"{_spoken_list(papers)} size{'s' if len(papers) > 1 else ''}")
    if packs:
        parts.append(f"packs of {_spoken_list(packs)}")
    article = "An" if kind[0] in "aeiou" else "A"
    detail = f" in {_spoken_list(parts)}" if parts else ""
    return f"{article} {kind} from {brand.name}{detail}."


def _description(brand: BrandFacts, line: Line, edition: Edition | None, series: int) -> str:
    paragraphs = [line.blurb, TYPE_SENTENCES.get(line.product_type, "")]
    if edition and edition.note:
        paragraphs.append(edition.note)
    if series:
        paragraphs.append(
            f"Series {series} is a fresh selection of colours and finishes from the "
            f"{line.name} range."
        )
    paragraphs.append(
        f"Made by {brand.name}, a company from {brand.country} founded in {brand.founded}."
    )
    return "\n\n".join(p for p in paragraphs if p)


def _specs(line: Line, edition: Edition | None, variants: list[_Variant]) -> list[list[str]]:
    specs = dict(line.specs)
    if edition:
        specs.update(edition.extra_specs)
    tips = _distinct([v.tip for v in variants])
    if tips:
        label = {"fountain-pen": "Nib sizes", "pencil": "Grades"}.get(
            line.product_type, "Tip sizes"
        )
        specs[label] = ", ".join(tips)
    inks = _distinct([v.ink for v in variants])
    if inks:
        specs["Ink colours"] = ", ".join(inks)
    papers = _distinct([v.paper for v in variants])
    if papers:
        specs["Sizes"] = ", ".join(papers)
    packs = _distinct([v.pack for v in variants])
    if packs != ["1"]:
        specs["Pack sizes"] = ", ".join(packs)
    return [[label, value] for label, value in specs.items()]
