from typing import Any

from django.core.management.base import BaseCommand

from bungu.mail.models import OUTBOX_RETENTION_DAYS
from bungu.mail.services import prune_outbox


class Command(BaseCommand):
    help = f"Delete outbox messages done with more than {OUTBOX_RETENTION_DAYS} days ago (P5)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = prune_outbox()
        self.stdout.write(f"{count} message(s) older than {OUTBOX_RETENTION_DAYS} days deleted.")
