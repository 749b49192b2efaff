"""The demo catalogue's brands, category tree and product types: real makers, real facts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BrandFacts:
    name: str
    slug: str
    code: str  # prefix of the brand's SKU codes
    founded: int
    description: str
    country: str = "Japan"


@dataclass(frozen=True)
class CategoryFacts:
    slug: str
    name: str
    description: str
    parent: str = ""  # slug of the parent; "" for a top-level category


@dataclass(frozen=True)
class TypeFacts:
    slug: str
    name: str


BRANDS: tuple[BrandFacts, ...] = (
    BrandFacts(
        "Pilot",
        "pilot",
        "PI",
        1918,
        "Founded in Tokyo as a maker of gold fountain-pen nibs, Pilot now makes everything from "
        "the humble G-2 to hand-lacquered maki-e pens, and invented the erasable FriXion ink.",
    ),
    BrandFacts(
        "Uni",
        "uni",
        "UN",
        1887,
        "Uni is the brand of Mitsubishi Pencil, Japan's first pencil maker (no relation to the "
        "car company). Its Jetstream ink and rotating Kuru Toga lead are modern classics.",
    ),
    BrandFacts(
        "Zebra",
        "zebra",
        "ZE",
        1897,
        "Zebra began by making steel dip-pen nibs in Tokyo and is today one of the largest pen "
        "makers in the world, best known for Sarasa gel pens and Mildliner highlighters.",
    ),
    BrandFacts(
        "Pentel",
        "pentel",
        "PE",
        1946,
        "Pentel gave the world the felt-tip sign pen and the fine-lead mechanical pencil. Its "
        "quick-drying EnerGel ink and Orenz pencils are favourites of left-handed writers.",
    ),
    BrandFacts(
        "Sailor",
        "sailor",
        "SA",
        1911,
        "Sailor is a fountain-pen house from Hiroshima whose nibs are ground in-house. Its "
        "Pro Gear pens and seasonal inks are collected the world over.",
    ),
    BrandFacts(
        "Platinum",
        "platinum",
        "PL",
        1919,
        "Platinum makes fountain pens for every budget, from the see-through Preppy to the "
        "3776 Century, named after the height of Mount Fuji in metres.",
    ),
    BrandFacts(
        "Tombow",
        "tombow",
        "TO",
        1913,
        "Tombow, whose name means dragonfly, started as a pencil maker in Tokyo. Its MONO "
        "erasers and dual brush pens are staples of desks and sketchbooks.",
    ),
    BrandFacts(
        "Kokuyo",
        "kokuyo",
        "KO",
        1905,
        "Kokuyo began in Osaka binding ledger covers and now sells Campus, the notebook that "
        "generations of Japanese students have taken to class.",
    ),
    BrandFacts(
        "Midori",
        "midori",
        "MI",
        1950,
        "Midori designs paper goods with a quiet, practical look. Its MD Paper is made for "
        "writing, and the refillable Traveler's Notebook has a devoted following.",
    ),
    BrandFacts(
        "Sakura",
        "sakura",
        "SK",
        1921,
        "Sakura Color Products created the oil pastel, sold as Cray-Pas, and the archival Pigma "
        "ink inside the Micron fineliner that artists and archivists trust.",
    ),
    BrandFacts(
        "Kuretake",
        "kuretake",
        "KU",
        1902,
        "Kuretake started in Nara making sumi ink sticks for calligraphy, and still makes "
        "brush pens and Gansai Tambi watercolours alongside its ZIG markers.",
    ),
    BrandFacts(
        "Ohto",
        "ohto",
        "OH",
        1919,
        "Ohto is a small Tokyo maker that claims the first ballpoint pen made in Japan. It is "
        "known for slim, minimal pens with needle-point tips.",
    ),
    BrandFacts(
        "Maruman",
        "maruman",
        "MA",
        1920,
        "Maruman makes the spiral-bound Croquis sketchbook that art students carry everywhere "
        "and the Mnemosyne line of notebooks for note-taking professionals.",
    ),
    BrandFacts(
        "Life",
        "life",
        "LI",
        1949,
        "Life is a family-run Tokyo paper company whose Noble Note, sewn and bound by hand, "
        "is prized by fountain-pen users for its smooth, ink-friendly paper.",
    ),
    BrandFacts(
        "Hobonichi",
        "hobonichi",
        "HO",
        1979,
        "Hobonichi publishes the Hobonichi Techo, a one-page-a-day planner printed on thin, "
        "tough Tomoe River paper and sold with covers designed by artists each year.",
    ),
)


CATEGORIES: tuple[CategoryFacts, ...] = (
    CategoryFacts("pens", "Pens", "Every kind of pen and pencil we stock, by how it writes."),
    CategoryFacts(
        "gel-pens", "Gel pens", "Bright, smooth, water-based gel inks in fine tips.", "pens"
    ),
    CategoryFacts(
        "fountain-pens", "Fountain pens", "Nib pens from first-pen budget to heirloom.", "pens"
    ),
    CategoryFacts("ballpoints", "Ballpoints", "Oil-based and hybrid inks that just work.", "pens"),
    CategoryFacts(
        "mechanical-pencils", "Mechanical pencils", "Fine leads that never need sharpening.", "pens"
    ),
    CategoryFacts(
        "brush-pens", "Brush pens", "Flexible tips for lettering and calligraphy.", "pens"
    ),
    CategoryFacts(
        "markers", "Markers and fineliners", "Highlighters, fineliners and paint markers.", "pens"
    ),
    CategoryFacts("refills", "Refills", "Refills, cartridges and leads to keep pens going."),
    CategoryFacts("ink", "Ink", "Bottled fountain-pen inks in colours from classic to seasonal."),
    CategoryFacts(
        "notebooks-paper", "Notebooks and paper", "Notebooks, pads and paper that love ink."
    ),
    CategoryFacts(
        "erasers-correction",
        "Erasers and correction",
        "Erasers and correction tape that stay tidy.",
    ),
    CategoryFacts("planners", "Planners", "Daily, weekly and undated planners for the year."),
    CategoryFacts(
        "art-supplies", "Art supplies", "Watercolours, pastels and sketchbooks for making pictures."
    ),
)


PRODUCT_TYPES: tuple[TypeFacts, ...] = (
    TypeFacts("gel-pen", "Gel pen"),
    TypeFacts("fountain-pen", "Fountain pen"),
    TypeFacts("ballpoint", "Ballpoint"),
    TypeFacts("mechanical-pencil", "Mechanical pencil"),
    TypeFacts("brush-pen", "Brush pen"),
    TypeFacts("marker", "Marker"),
    TypeFacts("pencil", "Pencil"),
    TypeFacts("refill", "Refill"),
    TypeFacts("pencil-lead", "Pencil lead"),
    TypeFacts("bottled-ink", "Bottled ink"),
    TypeFacts("notebook", "Notebook"),
    TypeFacts("sketchbook", "Sketchbook"),
    TypeFacts("planner", "Planner"),
    TypeFacts("eraser", "Eraser"),
    TypeFacts("correction-tape", "Correction tape"),
    TypeFacts("paint-set", "Paint set"),
    TypeFacts("pastels", "Pastels"),
)
