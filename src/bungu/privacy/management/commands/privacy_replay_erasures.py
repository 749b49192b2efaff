"""``bungu privacy_replay_erasures``: erase again what the journal says was erased (P22)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from bungu.privacy.rights.erasure import replay_erasures


class Command(BaseCommand):
    help = (
        "After restoring a backup, apply the erasure journal again so that accounts deleted "
        "since the backup are erased again. Safe to run more than once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--since",
            help="only entries from this moment on (ISO 8601, e.g. 2027-01-31T00:00:00+00:00)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        since = None
        if options["since"]:
            since = parse_datetime(options["since"])
            if since is None or since.tzinfo is None:
                raise CommandError("--since must be an ISO 8601 date and time with a UTC offset.")
        redone = replay_erasures(since=since)
        self.stdout.write(f"Erased again: {redone} row(s) still held erased data.")
