from typing import Any

from django.core.management.base import BaseCommand, CommandError

from bungu.mail.delivery import smtp_configured
from bungu.mail.services import deliver_due_messages


class Command(BaseCommand):
    help = "Enqueue delivery of every queued outbox message that is due (after setting up SMTP)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not smtp_configured():
            raise CommandError("SMTP is not configured: set BUNGU_SMTP_HOST first.")
        count = deliver_due_messages()
        self.stdout.write(f"{count} message(s) enqueued for delivery; the worker sends them.")
