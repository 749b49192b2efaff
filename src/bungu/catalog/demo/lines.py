"""How a product line is described, the colour palettes it draws from, and its editions.

A line is a real product family (Pilot Juice Up, Midori MD...). The generator makes one
product per (line, edition): the standard edition first, then the named editions, then
numbered series so that a benchmark catalogue can grow to any size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

Specs = tuple[tuple[str, str], ...]

BASIC_INKS = ("Black", "Blue", "Red")
OFFICE_INKS = ("Black", "Blue", "Red", "Blue Black", "Green")
GEL_INKS = (
    "Black",
    "Blue",
    "Red",
    "Blue Black",
    "Green",
    "Violet",
    "Pink",
    "Orange",
    "Light Blue",
    "Sepia",
    "Turquoise",
    "Brown",
)
PASTEL_INKS = ("Pastel Pink", "Pastel Blue", "Pastel Green", "Pastel Yellow", "Pastel Violet")
METALLIC_INKS = ("Gold", "Silver", "Copper", "Metallic Blue", "Metallic Red")
VINTAGE_INKS = ("Brown Grey", "Camel Yellow", "Rose Grey", "Green Black", "Blue Grey")
HIGHLIGHTER_INKS = (
    "Mild Pink",
    "Mild Blue",
    "Mild Gold",
    "Mild Green",
    "Mild Grey",
    "Mild Vermilion",
    "Mild Violet",
    "Mild Cyan",
)
FOUNTAIN_INKS = ("Black", "Blue", "Blue Black", "Red", "Sepia")
IROSHIZUKU_INKS = (
    "Kon-peki",
    "Tsuki-yo",
    "Asa-gao",
    "Yama-guri",
    "Momiji",
    "Shin-kai",
    "Ku-jaku",
    "Syo-ro",
    "Fuyu-syogun",
    "Kiri-same",
    "Tsutsuji",
    "Ina-ho",
)
SHIKIORI_INKS = ("Yonaga", "Yozakura", "Shigure", "Okuyama", "Miruai", "Yama-dori", "Sakura-mori")
SEASONAL_INKS = ("Cherry Blossom", "Summer Sea", "Autumn Leaf", "Winter Snow", "Plum Blossom")
PIGMENT_INKS = ("Black", "Sepia", "Blue", "Red", "Green", "Purple", "Brown")

BASIC_BODIES = ("Black", "White", "Clear")
BRIGHT_BODIES = ("Black", "White", "Navy", "Red", "Blue", "Pink", "Green", "Yellow", "Light Blue")
PASTEL_BODIES = ("Pastel Pink", "Pastel Blue", "Pastel Green", "Pastel Yellow", "Milk White")
FOUNTAIN_BODIES = ("Black", "Burgundy", "Navy", "Clear", "Silver")
KAKUNO_BODIES = ("Grey", "Light Blue", "Pink", "White", "Yellow", "Navy", "Green")
SEASONAL_BODIES = ("Cherry Blossom", "Summer Sea", "Autumn Leaf", "Winter Snow")
METAL_BODIES = ("Silver", "Black", "Gold", "Navy")

NOTEBOOK_SIZES = ("A4", "B5", "A5", "B6", "A6")
HALF_SIZES = ("A5", "B6", "A6")


@dataclass(frozen=True)
class Line:
    """A product family and the axes its SKUs vary on (an empty axis does not vary)."""

    brand: str  # brand slug
    name: str
    code: str  # part of the SKU code, capitals and digits
    product_type: str  # product type slug
    category: str  # category slug
    noun: str  # the kind of thing, as it ends the product name: "Gel Pen"
    price: Decimal
    blurb: str
    tips: tuple[str, ...] = ()
    inks: tuple[str, ...] = ()
    bodies: tuple[str, ...] = ()
    papers: tuple[str, ...] = ()
    packs: tuple[int, ...] = (1,)
    specs: Specs = ()
    for_children: bool = False
    max_skus: int = 8  # how many variants one product of this line offers at most


@dataclass(frozen=True)
class Edition:
    """A named variant of a line: other colours, other packs, another price."""

    name: str
    price_factor: Decimal = Decimal(1)
    inks: tuple[str, ...] = ()
    bodies: tuple[str, ...] = ()
    papers: tuple[str, ...] = ()
    packs: tuple[int, ...] = ()
    note: str = ""
    extra_specs: Specs = field(default=())


PEN_EDITIONS = (
    Edition(
        "Pastel",
        inks=PASTEL_INKS,
        bodies=PASTEL_BODIES,
        note="This edition comes in soft pastel shades.",
    ),
    Edition(
        "Limited Edition",
        Decimal("1.25"),
        bodies=SEASONAL_BODIES,
        note="A limited run with bodies in seasonal colours; when it is gone, it is gone.",
    ),
    Edition(
        "Office Pack",
        Decimal("0.9"),
        packs=(10,),
        note="Boxed in tens for offices, classrooms and people who lose pens.",
    ),
    Edition(
        "Vintage Colours",
        inks=VINTAGE_INKS,
        note="Muted, slightly dusty ink colours that look like old letters.",
    ),
    Edition(
        "Metallic",
        Decimal("1.1"),
        inks=METALLIC_INKS,
        note="Shimmering metallic inks that show up on dark paper.",
    ),
)
FOUNTAIN_EDITIONS = (
    Edition(
        "Limited Edition",
        Decimal("1.3"),
        bodies=SEASONAL_BODIES,
        note="A limited run in seasonal colours, boxed for gifting.",
    ),
    Edition(
        "Demonstrator",
        Decimal("1.1"),
        bodies=("Clear", "Smoke", "Clear Blue"),
        note="A see-through body that shows the ink sloshing inside.",
    ),
    Edition(
        "Gift Set",
        Decimal("1.45"),
        inks=FOUNTAIN_INKS,
        note="Boxed with a converter and a bottle of ink in the colour of your choice.",
        extra_specs=(("In the box", "Pen, converter, 30 ml ink bottle"),),
    ),
    Edition(
        "Black and Gold",
        Decimal("1.2"),
        bodies=("Black",),
        note="Classic black resin with gold-coloured trim.",
    ),
)
REFILL_EDITIONS = (
    Edition("Value Pack", Decimal("0.85"), packs=(5, 10), note="Bought in bulk, for less."),
    Edition("Colour Assortment", inks=GEL_INKS[:8], note="An assortment of colours to try."),
    Edition("Bulk Box", Decimal("0.8"), packs=(12,), note="A box of a dozen for heavy writers."),
)
INK_EDITIONS = (
    Edition(
        "Seasonal Collection",
        Decimal("1.15"),
        inks=SEASONAL_INKS,
        note="Colours chosen for the seasons, made in small batches.",
    ),
    Edition(
        "Mini",
        Decimal("0.55"),
        note="A small bottle, for trying a colour before committing.",
        extra_specs=(("Volume", "15 ml"),),
    ),
    Edition("Sampler", Decimal("0.9"), packs=(3,), note="Three small bottles in one box."),
)
PAPER_EDITIONS = (
    Edition(
        "Dot Grid",
        note="Printed with a light dot grid for lettering and layouts.",
        extra_specs=(("Ruling", "5 mm dot grid"),),
    ),
    Edition("Blank", note="Plain pages with no ruling at all.", extra_specs=(("Ruling", "Blank"),)),
    Edition(
        "Limited Cover",
        Decimal("1.2"),
        bodies=SEASONAL_BODIES,
        note="A cover printed for this season only.",
    ),
    Edition("Value Pack", Decimal("0.85"), packs=(3, 5), note="Several at a better price."),
)
BOX_EDITIONS = (
    Edition("Value Pack", Decimal("0.85"), packs=(3, 5), note="Several at a better price."),
    Edition(
        "Limited Edition",
        Decimal("1.2"),
        bodies=SEASONAL_BODIES,
        note="Wrapped in a seasonal design.",
    ),
    Edition("Mini", Decimal("0.7"), note="A smaller size for a pencil case or a pocket."),
)

EDITIONS_BY_TYPE: dict[str, tuple[Edition, ...]] = {
    "gel-pen": PEN_EDITIONS,
    "ballpoint": PEN_EDITIONS,
    "marker": PEN_EDITIONS,
    "brush-pen": PEN_EDITIONS,
    "mechanical-pencil": PEN_EDITIONS[1:3],
    "pencil": BOX_EDITIONS,
    "fountain-pen": FOUNTAIN_EDITIONS,
    "refill": REFILL_EDITIONS,
    "pencil-lead": REFILL_EDITIONS[::2],
    "bottled-ink": INK_EDITIONS,
    "notebook": PAPER_EDITIONS,
    "sketchbook": PAPER_EDITIONS[1:],
    "planner": PAPER_EDITIONS[2:],
}
DEFAULT_EDITIONS = BOX_EDITIONS

# One sentence on what the kind of thing is for, used in every description of that type.
TYPE_SENTENCES: dict[str, str] = {
    "gel-pen": "Gel ink sits on top of the paper, so colours stay bright and lines stay crisp.",
    "ballpoint": "A ballpoint is the dependable everyday pen: it writes on almost anything.",
    "fountain-pen": "A fountain pen needs no pressure; the nib glides and the ink does the work.",
    "mechanical-pencil": "A mechanical pencil keeps a consistent line without any sharpening.",
    "brush-pen": "A brush tip changes width with pressure, for lettering with thick and thin.",
    "marker": "Good for highlighting, drawing and labelling, without bleeding through.",
    "pencil": "Wood-cased pencils, sharpened and ready to write and draw.",
    "refill": "Swap in a fresh refill and the pen you love keeps going.",
    "pencil-lead": "Spare leads in a tube with a dispenser that drops one at a time.",
    "bottled-ink": "Bottled ink fills a converter or a piston pen and costs less per page.",
    "notebook": "Paper chosen to take fountain-pen ink without feathering or bleeding.",
    "sketchbook": "Heavier paper that takes pencil, pen and light washes.",
    "planner": "Dated pages to plan the year, the month and the day in one book.",
    "eraser": "Erases cleanly and leaves crumbs that gather rather than smear.",
    "correction-tape": "Covers mistakes at once, with no drying time, ready to write over.",
    "paint-set": "Pans of colour that rewet with a damp brush, in a box that travels.",
    "pastels": "Soft, bright sticks that blend with a fingertip.",
}
