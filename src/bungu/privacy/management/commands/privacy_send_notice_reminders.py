"""``bungu privacy_send_notice_reminders VERSION``: e-mail customers about a notice (P24)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bungu.privacy.models import Notice
from bungu.privacy.notices.publishing import send_notice_reminders


class Command(BaseCommand):
    help = (
        "E-mail every customer who had an account before a notice version took effect about "
        "it, once each. Customers who stopped legal-notice e-mail (P21) are skipped by the "
        "outbox."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", type=int, help="the notice version to announce")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            written = send_notice_reminders(notice_version=options["version"])
        except Notice.DoesNotExist:
            raise CommandError(f"There is no notice version {options['version']}.") from None
        self.stdout.write(f"Wrote {written} reminder(s) of version {options['version']}.")
