"""``bungu backup [--to DIR]``: back up the database and the uploaded photos, with a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bungu.operations.backups import take_backup
from bungu.operations.dumps import BackupFailed


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite's online backup, or pg_dump) and the media into a new "
        "directory named by the UTC time, with a manifest of SHA-256 checksums. Safe while "
        "the shop runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to", type=Path, help="where to make the backup's directory (BUNGU_BACKUP_DIR)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            backup = take_backup(to=options["to"])
        except BackupFailed as error:
            raise CommandError(f"Backup failed: {error}") from error
        total = sum(item["size"] for item in backup.manifest["files"].values())
        self.stdout.write(f"{backup.path} ({total:,} bytes)")
