"""``bungu mail read-returns PATH``: suppress the addresses that returned mail reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bungu.mail.returns import ReturnsError, read_returns


class Command(BaseCommand):
    help = (
        "Read a maildir or mbox of returned mail: delivery status notifications (RFC 3464) "
        "and complaints (RFC 5965). A permanent failure suppresses the address as a bounce, "
        "a complaint as a complaint, for addresses the outbox mailed only; delays are counted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="a maildir folder or an mbox file of returned mail")
        parser.add_argument(
            "--quiet", action="store_true", help="print only the counts, not a line per message"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = read_returns(Path(options["path"]))
        except ReturnsError as error:
            raise CommandError(str(error)) from None
        if not options["quiet"]:
            for line in report.lines:
                self.stdout.write(line)
        self.stdout.write(report.summary())
