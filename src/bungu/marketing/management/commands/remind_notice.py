"""``bungu remind_notice VERSION`` (also ``bungu privacy send-notice-reminders VERSION``):
remind customers of a notice version by e-mail (P24), as a campaign the worker sends."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bungu.marketing.exceptions import UnknownNotice
from bungu.marketing.services import start_notice_reminders


class Command(BaseCommand):
    help = (
        "Start the reminder campaign of a notice version: every customer who had an account "
        "before it took effect and has not answered it, once each. Customers who stopped "
        "e-mail about notice changes (P21), or whose address bounced, are skipped at send "
        "time. The worker sends it (or `bungu send_campaigns`)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", type=int, help="the notice version to announce")

    def handle(self, *args: Any, **options: Any) -> None:
        version = options["version"]
        try:
            campaign = start_notice_reminders(notice_version=version)
        except UnknownNotice as error:
            raise CommandError(str(error)) from None
        if campaign is None:
            self.stdout.write(f"Nobody is left to remind of version {version}.")
            return
        count = campaign.recipients.count()
        self.stdout.write(
            f"Started campaign #{campaign.pk}: {count} reminder(s) of version {version}."
        )
