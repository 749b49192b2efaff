"""P7: ``bungu open_report [--days N]``: e-mail opens, with privacy proxies' pre-fetches apart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from bungu.mail.opens import count_opens


class Command(BaseCommand):
    help = "Counts of e-mail opens (only where customers allow it), proxy pre-fetches apart."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, help="only messages sent in the last N days")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days is not None and days < 1:
            raise CommandError("--days must be 1 or more.")
        since = None if days is None else timezone.now() - timedelta(days=days)
        counts = count_opens(since=since)
        rate = "n/a" if counts.open_rate is None else f"{counts.open_rate:.1%}"
        for line in (
            f"messages sent with the image: {counts.tracked}",
            f"opened by a person: {counts.opened} ({rate})",
            f"fetched only by a mail privacy proxy (unknown whether read): {counts.proxy_only}",
            f"opens by people, later ones included: {counts.opens}",
            f"proxy pre-fetches (not counted as opens): {counts.proxy_fetches}",
        ):
            self.stdout.write(line)
