"""Bar charts drawn on the server as SVG: the geometry here, the markup in
``backoffice/dashboard/_chart.html``.

No script and no inline style (the Content-Security-Policy forbids both): shapes carry only
coordinates and class names, and ``backoffice/dashboard.css`` colours them. Each chart has a
title and a description for screen readers, and its numbers as a table beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

# The drawing's own units (the SVG scales to the page's width).
WIDTH = 640
COLUMN_HEIGHT = 240
ROW_HEIGHT = 30
LABEL_WIDTH = 200
VALUE_WIDTH = 76
MARGIN = 8
AXIS_WIDTH = 64
AXIS_HEIGHT = 30
SHORT_LABEL = 28

Number = int | Decimal


@dataclass(frozen=True)
class Bar:
    label: str
    value: Number
    text: str  # the value as people read it: "$1,250.00", "12"
    x: float
    y: float
    width: float
    height: float
    # Horizontal bars: the (shortened) label left of the bar, and where its value is written.
    short: str = ""
    text_x: float = 0.0
    text_y: float = 0.0


@dataclass(frozen=True)
class Tick:
    """A gridline with its value (columns) or a label under the axis (the x axis)."""

    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    # One or two sentences a screen reader hears instead of the picture.
    description: str
    kind: str  # "columns" (a series over time) or "bars" (categories)
    height: int
    bars: list[Bar]
    # The table of the numbers: its column headings and rows.
    headings: list[str]
    rows: list[list[str]]
    gridlines: list[Tick] = field(default_factory=list)
    x_labels: list[Tick] = field(default_factory=list)
    # Shown instead of the picture when there is nothing to draw.
    empty: str = ""
    width: int = WIDTH

    @property
    def plot_left(self) -> int:
        return AXIS_WIDTH if self.kind == "columns" else LABEL_WIDTH

    @property
    def plot_right(self) -> int:
        return self.width - MARGIN

    @property
    def baseline(self) -> int:
        return self.height - AXIS_HEIGHT


def nice_ceiling(value: Number) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``value`` (so the
    axis reads in round numbers); 1 for nothing at all."""
    value = Decimal(value)
    if value <= 0:
        return Decimal(1)
    power = Decimal(1)
    while power * 10 <= value:
        power *= 10
    while power > value:
        power /= 10
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if power * step >= value:
            return power * step
    return power * 10  # pragma: no cover - 10 above always holds


def _short(text: str) -> str:
    return text if len(text) <= SHORT_LABEL else text[: SHORT_LABEL - 1].rstrip() + "…"


def columns(
    *,
    key: str,
    title: str,
    description: str,
    points: Sequence[tuple[str, str, Number]],
    fmt: Callable[[Number], str],
    axis_fmt: Callable[[Number], str],
    headings: list[str],
    rows: list[list[str]],
    empty: str,
    label_every: int = 7,
) -> Chart:
    """A column per point ``(label, axis label, value)``, left to right, with four gridlines
    (their values written with ``axis_fmt``); every ``label_every``-th point (counted from the
    last) is named under the axis."""
    top = MARGIN + 4
    baseline = COLUMN_HEIGHT - AXIS_HEIGHT
    plot_height = baseline - top
    # Four gridlines a round step apart.
    most = 4 * nice_ceiling(max((Decimal(v) for _, _, v in points), default=Decimal(0)) / 4)
    step = (WIDTH - MARGIN - AXIS_WIDTH) / max(len(points), 1)
    bars, x_labels = [], []
    for index, (label, axis_label, value) in enumerate(points):
        height = round(float(Decimal(value) / most) * plot_height, 1)
        x = round(AXIS_WIDTH + index * step + step * 0.15, 1)
        top_y, width = round(baseline - height, 1), round(step * 0.7, 1)
        bars.append(Bar(label, value, fmt(value), x, top_y, width, height))
        if (len(points) - 1 - index) % label_every == 0:
            x_labels.append(Tick(round(x + step * 0.35, 1), baseline + 18, axis_label))
    gridlines = [
        Tick(AXIS_WIDTH, round(baseline - plot_height * part / 4, 1), axis_fmt(most * part / 4))
        for part in range(5)
    ]
    nothing = not any(Decimal(v) for _, _, v in points)
    return Chart(
        key=key,
        title=title,
        description=description,
        kind="columns",
        height=COLUMN_HEIGHT,
        bars=bars,
        headings=headings,
        rows=rows,
        gridlines=gridlines,
        x_labels=x_labels,
        empty=empty if nothing else "",
    )


def bars(
    *,
    key: str,
    title: str,
    description: str,
    items: Sequence[tuple[str, Number]],
    fmt: Callable[[Number], str],
    headings: list[str],
    empty: str,
) -> Chart:
    """A horizontal bar per ``(label, value)``, top to bottom, scaled to the largest value."""
    largest = max((Decimal(v) for _, v in items), default=Decimal(0))
    span = WIDTH - MARGIN - VALUE_WIDTH - LABEL_WIDTH
    drawn = []
    for index, (label, value) in enumerate(items):
        length = round(float(Decimal(value) / largest) * span, 1) if largest else 0.0
        y = MARGIN + index * ROW_HEIGHT
        drawn.append(
            Bar(
                label,
                value,
                fmt(value),
                LABEL_WIDTH,
                y + 4,
                length,
                ROW_HEIGHT - 8,
                short=_short(label),
                text_x=LABEL_WIDTH + length + 6,
                text_y=y + ROW_HEIGHT / 2 + 4,
            )
        )
    return Chart(
        key=key,
        title=title,
        description=description,
        kind="bars",
        height=MARGIN * 2 + ROW_HEIGHT * max(len(items), 1),
        bars=drawn,
        headings=headings,
        rows=[[label, fmt(value)] for label, value in items],
        empty="" if largest else empty,
    )
