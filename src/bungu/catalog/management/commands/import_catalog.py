"""`bungu import_catalog FILE`: create or update products and SKUs from a CSV file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bungu.catalog.csv_import import MAX_BYTES, import_catalog_csv


class Command(BaseCommand):
    help = (
        "Import a catalogue CSV (the format export_catalog writes). Every row is checked "
        "first; if any is wrong, nothing is imported and the problems are listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The CSV file to import.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            with path.open("rb") as handle:
                report = import_catalog_csv(file=handle, max_bytes=MAX_BYTES)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        if not report.ok:
            for error in report.errors:
                self.stderr.write(str(error))
            if report.more_errors:
                self.stderr.write(f"... and {report.more_errors} more.")
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))
