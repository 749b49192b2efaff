"""``bungu restore DIR [--yes]``: put a backup back, then replay the erasure journal (P22)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bungu.operations.backups import describe, restore_backup
from bungu.operations.dumps import BackupFailed


class Command(BaseCommand):
    help = (
        "Check a backup against its manifest, replace the database and the media with it "
        "(stop the shop and its workers first), then erase again every customer erased since "
        "the backup was taken, from the erasure journal's copy."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path, help="the backup's directory")
        parser.add_argument(
            "--yes", action="store_true", help="replace a database that is not empty"
        )
        parser.add_argument(
            "--without-journal",
            action="store_true",
            help="restore even though the erasure journal's copy is missing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = restore_backup(
                source=options["backup"],
                confirmed=options["yes"],
                without_journal=options["without_journal"],
            )
        except BackupFailed as error:
            raise CommandError(f"Restore stopped: {error}") from error
        self.stdout.write(describe(report))
