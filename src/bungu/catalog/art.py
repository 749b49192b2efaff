"""Product artwork drawn as SVG from a SKU's attributes, so the shop needs no stock photos.

Every piece of text that reaches the SVG goes through ``escape``; colours come only from
the table below or from a hash, never from the raw attribute.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import escape

from .models import SKU, Product, ProductImage

WIDTH = HEIGHT = 400
PLACEHOLDER_STATIC = "catalog/no-image.svg"

# Ink, body and cover colour names used by the makers we stock, lower-cased.
COLOURS: dict[str, str] = {
    "black": "#1d1d1f",
    "blue": "#1f4fb4",
    "red": "#c8232c",
    "blue black": "#1f2a44",
    "green": "#1e7d3a",
    "violet": "#6a3fa0",
    "purple": "#6b2f8f",
    "pink": "#e5609a",
    "orange": "#f07c1b",
    "light blue": "#5fb4e6",
    "sepia": "#704214",
    "turquoise": "#1aa6a6",
    "brown": "#6d4426",
    "white": "#f7f7f2",
    "gold": "#c9a23a",
    "silver": "#b8bcc2",
    "copper": "#b26a3c",
    "grey": "#8a8d91",
    "gray": "#8a8d91",
    "yellow": "#f2cd2e",
    "navy": "#1c2a4f",
    "clear": "#dfe9ee",
    "smoke": "#6f7378",
    "clear blue": "#a9cbe6",
    "burgundy": "#6e1f2e",
    "bourgogne": "#6e1f2e",
    "chartres blue": "#1f3c8a",
    "steel": "#9aa1a8",
    "cream": "#f3ead2",
    "camel": "#c19a6b",
    "plain": "#e9e4da",
    "classic": "#2a5db0",
    "lavender": "#a897d1",
    "coral": "#f27e6b",
    "mint": "#8fd8b8",
    "light pink": "#f6b7cf",
    "mono colours": "#2a5db0",
    "pastel pink": "#f6bfd3",
    "pastel blue": "#b5d3f0",
    "pastel green": "#bfe3c4",
    "pastel yellow": "#f7e7a1",
    "pastel violet": "#d2c2ec",
    "milk white": "#fbf8f0",
    "metallic blue": "#3d6fb6",
    "metallic red": "#b53a48",
    "brown grey": "#8b7d72",
    "camel yellow": "#c9a552",
    "rose grey": "#b4969a",
    "green black": "#2f3d33",
    "blue grey": "#6b7f92",
    "mild pink": "#f3b3c6",
    "mild blue": "#9cc3e6",
    "mild gold": "#e9cf7d",
    "mild green": "#a8d8a0",
    "mild grey": "#b9bcbf",
    "mild vermilion": "#f2a07b",
    "mild violet": "#c3b1e1",
    "mild cyan": "#9fdbe0",
    "kon-peki": "#2a6fb8",
    "tsuki-yo": "#1f5a6b",
    "asa-gao": "#3b5fc9",
    "yama-guri": "#5a3f2b",
    "momiji": "#c42a3a",
    "shin-kai": "#263a5e",
    "ku-jaku": "#0f7f8c",
    "syo-ro": "#2f6b57",
    "fuyu-syogun": "#8c9499",
    "kiri-same": "#8a8580",
    "tsutsuji": "#d6336f",
    "ina-ho": "#b38b3a",
    "yonaga": "#3a2e6b",
    "yozakura": "#b9a3c7",
    "shigure": "#5c4a6e",
    "okuyama": "#8a2a4a",
    "miruai": "#1f5f66",
    "yama-dori": "#1e5a62",
    "sakura-mori": "#e39ab4",
    "cherry blossom": "#f4b6c8",
    "summer sea": "#2b8cc4",
    "autumn leaf": "#c8562a",
    "winter snow": "#e8eef3",
    "plum blossom": "#c04f84",
    "carbon black": "#111111",
    "cassis black": "#3b1f33",
    "forest black": "#23352a",
    "sepia black": "#3b2a1f",
    "lavender black": "#3a3450",
    "citrus black": "#5a5a2a",
}

PAPER_SIZES_MM: dict[str, tuple[int, int]] = {
    "a4": (210, 297),
    "b5": (182, 257),
    "a5": (148, 210),
    "b6": (128, 182),
    "a6": (105, 148),
    "a5 slim": (110, 210),
    "b6 slim": (112, 182),
    "regular": (110, 210),
    "passport": (89, 124),
    "weeks": (95, 187),
    "pocket": (95, 140),
}

_PEN_WORDS = ("pen", "pencil", "marker", "refill", "liner", "highlighter")
_BOOK_WORDS = ("notebook", "planner", "sketchbook", "diary", "paper", "pad", "journal")


def colour_hex(name: str, *, default: str = "#8a8d91") -> str:
    """The hex colour for a colour name: from the table, a word of it, or a stable hash."""
    key = " ".join(name.lower().split())
    if not key:
        return default
    if key in COLOURS:
        return COLOURS[key]
    for word in key.split():
        if word in COLOURS:
            return COLOURS[word]
    # Colours nobody put in the table still get their own stable, mid-tone shade.
    hue = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=2).digest(), "big") % 360
    return _hsl_hex(hue, 0.45, 0.5)


def _hsl_hex(hue: int, saturation: float, lightness: float) -> str:
    chroma = (1 - abs(2 * lightness - 1)) * saturation
    x = chroma * (1 - abs((hue / 60) % 2 - 1))
    m = lightness - chroma / 2
    sector = hue // 60
    r, g, b = [
        (chroma, x, 0.0),
        (x, chroma, 0.0),
        (0.0, chroma, x),
        (0.0, x, chroma),
        (x, 0.0, chroma),
        (chroma, 0.0, x),
    ][sector % 6]
    return "#" + "".join(f"{round((c + m) * 255):02x}" for c in (r, g, b))


def drawing_kind(product_type_slug: str) -> str:
    """Which picture suits a product type: pen, bottle, notebook or box."""
    slug = product_type_slug.lower()
    if "ink" in slug.split("-") and "pen" not in slug:
        return "bottle"
    if any(word in slug for word in _BOOK_WORDS):
        return "notebook"
    if any(word in slug for word in _PEN_WORDS):
        return "pen"
    return "box"


@dataclass(frozen=True)
class ArtSubject:
    """The few facts a drawing needs, already separated from the database."""

    title: str
    kind: str
    tip_size: str = ""
    ink_colour: str = ""
    body_colour: str = ""
    paper_size: str = ""
    pack_size: int = 1

    @classmethod
    def of_sku(cls, sku: SKU) -> ArtSubject:
        product = sku.product
        label = sku.variant_label
        return cls(
            title=f"{product.name}, {label}" if label else product.name,
            kind=drawing_kind(product.product_type.slug),
            tip_size=sku.tip_size,
            ink_colour=sku.ink_colour,
            body_colour=sku.body_colour,
            paper_size=sku.paper_size,
            pack_size=sku.pack_size,
        )


def render_svg(subject: ArtSubject) -> str:
    """The SVG document for a subject; every text value in it is escaped."""
    draw = {"pen": _pen, "bottle": _bottle, "notebook": _notebook}.get(subject.kind, _box)
    body = draw(subject)
    if subject.pack_size > 1:
        body.append(_badge(f"x{subject.pack_size}"))
    title = escape(subject.title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="art-title">'
        f'<title id="art-title">{title}</title>'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#f6f3ee"/>' + "".join(body) + "</svg>"
    )


def _label(text: str, *, y: int, size: int = 22, fill: str = "#333333") -> str:
    return (
        f'<text x="{WIDTH // 2}" y="{y}" text-anchor="middle" font-family="sans-serif" '
        f'font-size="{size}" fill="{fill}">{escape(text)}</text>'
    )


def _badge(text: str) -> str:
    return (
        '<circle cx="350" cy="50" r="32" fill="#c8232c"/>'
        f'<text x="350" y="58" text-anchor="middle" font-family="sans-serif" font-size="22" '
        f'font-weight="bold" fill="#ffffff">{escape(text)}</text>'
    )


def _pen(subject: ArtSubject) -> list[str]:
    ink = colour_hex(subject.ink_colour or subject.body_colour or "black")
    body = colour_hex(subject.body_colour or subject.ink_colour or "black")
    parts = [
        # Barrel, drawn at a slant with the tip to the lower left.
        '<g transform="rotate(-35 200 200)">',
        (
            f'<rect x="95" y="182" width="220" height="36" rx="10" fill="{body}" '
            'stroke="#333333" stroke-width="2"/>'
        ),
        (
            f'<rect x="270" y="176" width="60" height="48" rx="8" fill="{ink}" '
            'stroke="#333333" stroke-width="2"/>'
        ),
        '<rect x="280" y="168" width="46" height="8" rx="3" fill="#9aa1a8"/>',
        '<polygon points="95,186 60,200 95,214" fill="#c9ccd0" stroke="#333333" stroke-width="2"/>',
        f'<circle cx="58" cy="200" r="5" fill="{ink}"/>',
        "</g>",
    ]
    if subject.tip_size:
        parts.append(_label(subject.tip_size, y=350, size=30))
    if subject.ink_colour:
        parts.append(_label(subject.ink_colour, y=382, size=18, fill="#555555"))
    return parts


def _bottle(subject: ArtSubject) -> list[str]:
    ink = colour_hex(subject.ink_colour or subject.body_colour or "blue black")
    return [
        '<rect x="150" y="70" width="100" height="50" rx="8" fill="#2b2b2b"/>',
        (
            '<rect x="110" y="120" width="180" height="200" rx="30" fill="#ffffff" '
            'fill-opacity="0.6" stroke="#555555" stroke-width="3"/>'
        ),
        f'<rect x="118" y="170" width="164" height="142" rx="24" fill="{ink}"/>',
        _label(subject.ink_colour, y=365, size=24),
    ]


def _notebook(subject: ArtSubject) -> list[str]:
    width_mm, height_mm = PAPER_SIZES_MM.get(
        " ".join(subject.paper_size.lower().split()), (148, 210)
    )
    # Scaled so A4 fills the frame and smaller sizes look smaller beside it.
    scale = 280 / 297
    width, height = round(width_mm * scale), round(height_mm * scale)
    x, y = (WIDTH - width) // 2, (HEIGHT - 40 - height) // 2 + 10
    cover = colour_hex(subject.body_colour or "cream")
    lines = "".join(
        f'<line x1="{x + 18}" y1="{ly}" x2="{x + width - 12}" y2="{ly}" stroke="#ffffff" '
        'stroke-opacity="0.35" stroke-width="2"/>'
        for ly in range(y + 30, y + height - 10, 18)
    )
    parts = [
        (
            f'<rect x="{x + 6}" y="{y + 6}" width="{width}" height="{height}" rx="6" '
            'fill="#00000022"/>'
        ),
        (
            f'<rect x="{x}" y="{y}" width="{width}" height="{height}" rx="6" fill="{cover}" '
            'stroke="#333333" stroke-width="2"/>'
        ),
        f'<rect x="{x}" y="{y}" width="10" height="{height}" fill="#00000033"/>',
        lines,
    ]
    if subject.paper_size:
        parts.append(_label(subject.paper_size, y=385, size=26))
    return parts


def _box(subject: ArtSubject) -> list[str]:
    fill = colour_hex(subject.body_colour or subject.ink_colour or "classic")
    caption = next(
        (v for v in (subject.tip_size, subject.body_colour, subject.ink_colour) if v), ""
    )
    return [
        (
            f'<rect x="90" y="110" width="220" height="160" rx="14" fill="{fill}" '
            'stroke="#333333" stroke-width="2"/>'
        ),
        '<rect x="90" y="170" width="220" height="40" fill="#ffffff" fill-opacity="0.75"/>',
        _label(caption, y=198, size=22),
    ]


# ---------------------------------------------------------------- image URLs for pages


def sku_art_url(code: str) -> str:
    return reverse("catalog:sku_art", kwargs={"code": code})


def product_art_url(product: Product) -> str:
    """The drawn picture of a product's lead SKU, for listing cards (no query)."""
    if product.lead_sku_code:
        return sku_art_url(product.lead_sku_code)
    return static(PLACEHOLDER_STATIC)


@dataclass(frozen=True)
class DisplayImage:
    url: str
    alt: str


def display_image(product: Product) -> DisplayImage:
    """The picture to show for a product: its first photo if it has one, else its artwork.

    Query-free when ``images`` was prefetched (``prefetch_related("images")``).
    """
    photo = _first_photo(product)
    if photo is not None:
        return DisplayImage(url=photo.image.url, alt=photo.alt_text)
    return DisplayImage(url=product_art_url(product), alt=product.name)


def display_image_url(product: Product) -> str:
    return display_image(product).url


def _first_photo(product: Product) -> ProductImage | None:
    prefetched: dict[str, Sequence[ProductImage]] = getattr(
        product, "_prefetched_objects_cache", {}
    )
    if "images" in prefetched:
        images = sorted(prefetched["images"], key=lambda image: (image.position, image.id))
        return images[0] if images else None
    return product.images.order_by("position", "id").first()


def render_sku_art(*, code: str) -> str:
    """The SVG picture of the SKU with this code. Raises SKU.DoesNotExist."""
    sku = SKU.objects.select_related("product__product_type").get(code=code)
    return render_svg(ArtSubject.of_sku(sku))
