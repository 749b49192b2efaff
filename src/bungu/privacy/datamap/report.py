"""The data map as rows, for the ``privacy_datamap`` command and the staff page."""

from __future__ import annotations

from typing import TypedDict

from bungu.privacy.datamap.registry import DataMap, data_map


class DataMapRow(TypedDict):
    label: str
    model: str
    field: str
    category: str
    source: str
    purposes: list[str]
    retention: str
    retention_days: int | None
    erase: str
    note: str


def retention_words(days: int | None) -> str:
    return "while the account exists" if days is None else f"{days} days"


def datamap_rows(datamap: DataMap | None = None) -> list[DataMapRow]:
    """One row per declared personal field, sorted by label."""
    return [
        DataMapRow(
            label=item.label,
            model=item.model_label,
            field=item.field_name,
            category=item.category.value,
            source=item.source.value,
            purposes=sorted(purpose.value for purpose in item.purposes),
            retention=retention_words(item.retention_days),
            retention_days=item.retention_days,
            erase=item.erase.value,
            note=item.note,
        )
        for item in (datamap or data_map)
    ]
