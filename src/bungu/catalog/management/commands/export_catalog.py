"""`bungu export_catalog [FILE|-]`: the whole catalogue as CSV, one row per SKU."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bungu.catalog.csv_io import export_catalog_csv


class Command(BaseCommand):
    help = "Write the catalogue as CSV (one row per SKU) to FILE, or to standard output."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default="-", help="Where to write; - for stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        target: str = options["file"]
        if target == "-":
            export_catalog_csv(self.stdout)
            return
        try:
            with Path(target).open("w", encoding="utf-8", newline="") as handle:
                rows = export_catalog_csv(handle)
        except OSError as exc:
            raise CommandError(f"Cannot write {target}: {exc.strerror}") from exc
        self.stderr.write(f"Wrote {rows:,} rows to {target}.")
