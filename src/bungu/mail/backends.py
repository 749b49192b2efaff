"""Django's EMAIL_BACKEND for the shop: every message goes to the outbox, never straight out.

Whatever sends mail through Django's API (allauth's verification and password reset, the
admin's error mails) lands here; the outbox delivers it after commit when SMTP is set up.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from .exceptions import MailError
from .services import queue_email

logger = logging.getLogger(__name__)


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        """Returns how many messages were put in the outbox (suppressed ones included: they
        were handled as the customer asked)."""
        stored = 0
        for email in email_messages:
            try:
                queue_email(email)
            except MailError:
                if not self.fail_silently:
                    raise
                logger.exception("A message could not be put in the outbox")
                continue
            stored += 1
        return stored
