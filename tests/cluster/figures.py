"""The figures the cluster's checks observed (bounds, counts), printed as one table at the
end of the session (``pytest_terminal_summary`` in this folder's conftest)."""

from __future__ import annotations

ROWS: list[tuple[str, str, str]] = []


def record(check: str, figure: str, value: object) -> None:
    ROWS.append((check, figure, str(value)))


def _order(row: tuple[str, str, str]) -> int:
    """The check's number in the issue, "(11) ..." -> 11; rows keep their order within it."""
    number = row[0][1:].split(")", 1)[0]
    return int(number) if number.isdigit() else 99


def table() -> list[str]:
    if not ROWS:
        return []
    rows = sorted(ROWS, key=_order)
    widths = [max(len(row[i]) for row in [("check", "figure", "value"), *ROWS]) for i in range(3)]

    def line(row: tuple[str, str, str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))

    return [
        line(("check", "figure", "value")),
        line(("-" * widths[0], "-" * widths[1], "-" * widths[2])),
    ] + [line(row) for row in rows]
