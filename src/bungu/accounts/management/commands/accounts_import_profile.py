"""P9: ``bungu accounts import-profile FILE --source NAME --agreement REF``.

Adds information from another source (interests, a corrected postal address) to the accounts
whose e-mail address it names, as the notice allows, recording source, agreement, date and
the notice's rule for each value. Rows that match no customer are counted, never stored.
The file's format is in ``bungu/accounts/sourced_file.py``; a bad file imports nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bungu import privacy
from bungu.accounts.sourced import import_sourced_details
from bungu.accounts.sourced_file import BadSourceFile, read_source_file


class Command(BaseCommand):
    help = "Add information from another source to matching accounts (P9)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file (UTF-8): email, interests, address columns")
        parser.add_argument("--source", required=True, help="who sent it, as customers see it")
        parser.add_argument(
            "--agreement", required=True, help="the agreement it came under (a reference)"
        )
        parser.add_argument("--dry-run", action="store_true", help="check and count; store nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            with path.open("rb") as stream:
                rows = read_source_file(stream)
        except OSError as error:
            raise CommandError(f"{path}: cannot read it ({error.strerror or error}).") from None
        except BadSourceFile as error:
            raise CommandError(f"{path}: nothing imported.\n{error}") from None
        try:
            report = import_sourced_details(
                rows=rows,
                source=options["source"],
                agreement=options["agreement"],
                dry_run=options["dry_run"],
            )
        except (ValueError, privacy.NoNoticeInForce) as error:
            raise CommandError(str(error)) from None
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing stored.")
        for line in report.lines():
            self.stdout.write(line)
