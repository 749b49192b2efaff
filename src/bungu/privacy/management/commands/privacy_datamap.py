"""``bungu privacy_datamap [--json]``: the data map, field by field."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bungu.privacy.datamap.logs import log_registry
from bungu.privacy.datamap.report import datamap_rows

_COLUMNS = ("label", "category", "source", "purposes", "retention", "erase")


class Command(BaseCommand):
    help = (
        "Print every declared personal field: model, field, category, source, purposes, "
        "retention and what deletion does to it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = datamap_rows()
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        table = [
            {
                "label": row["label"],
                "category": row["category"],
                "source": row["source"],
                "purposes": ", ".join(row["purposes"]),
                "retention": row["retention"],
                "erase": row["erase"],
            }
            for row in rows
        ]
        widths = {name: max([len(name), *(len(line[name]) for line in table)]) for name in _COLUMNS}
        self.stdout.write("  ".join(name.upper().ljust(widths[name]) for name in _COLUMNS))
        for line in table:
            self.stdout.write(
                "  ".join(line[name].ljust(widths[name]) for name in _COLUMNS).rstrip()
            )
        # P5: the log files are data the shop gathers automatically too.
        for log in log_registry:
            self.stdout.write(
                f"LOG {log.name} ({log.pattern}): {log.source.value}; "
                f"{', '.join(sorted(c.value for c in log.categories))}; for "
                f"{', '.join(sorted(p.value for p in log.purposes))}; "
                f"kept {log.retention_days} days"
            )
        self.stdout.write(f"{len(rows)} personal fields.")
