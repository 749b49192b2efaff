"""The figures the cluster's checks observed (bounds, counts), printed as one table at the
end of the session (``pytest_terminal_summary`` in this folder's conftest)."""

from __future__ import annotations

ROWS: list[tuple[str, str, str]] = []


def record(check: str, figure: str, value: object) -> None:
    ROWS.append((check, figure, str(value)))


def table() -> list[str]:
    if not ROWS:
        return []
    widths = [max(len(row[i]) for row in [("check", "figure", "value"), *ROWS]) for i in range(3)]

    def line(row: tuple[str, str, str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))

    return [
        line(("check", "figure", "value")),
        line(("-" * widths[0], "-" * widths[1], "-" * widths[2])),
    ] + [line(row) for row in ROWS]
