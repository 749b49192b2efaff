"""One attempt to hand an outbox message to the SMTP server."""

from __future__ import annotations

import smtplib
from datetime import datetime

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bungu import privacy

from .models import OutboxMessage, State
from .opens import html_to_send
from .preferences import send_refusal

MAX_ERROR_LENGTH = 2000
ERASURE_ACTOR = "job:mail_delivery"


def smtp_configured() -> bool:
    return bool(settings.BUNGU_SMTP_HOST)


def open_connection() -> SMTPBackend:
    return SMTPBackend(
        host=settings.BUNGU_SMTP_HOST,
        port=settings.BUNGU_SMTP_PORT,
        username=settings.BUNGU_SMTP_USER or None,
        password=settings.BUNGU_SMTP_PASSWORD or None,
        use_tls=settings.BUNGU_SMTP_STARTTLS,
        use_ssl=settings.BUNGU_SMTP_SSL,
        timeout=settings.BUNGU_SMTP_TIMEOUT,
        fail_silently=False,
    )


def is_permanent(error: Exception) -> bool:
    """A 5xx answer means trying again will not help (unknown mailbox, refused sender)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    return False


def describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]


def attempt_delivery(*, message_id: int, now: datetime | None = None) -> OutboxMessage | None:
    """Try to send one queued message. None if it is not queued (sent meanwhile, or claimed by
    another worker); otherwise the message, now sent, queued for a later try, or failed."""
    now = now or timezone.now()
    # Claimed with one UPDATE, so two workers never send the same message, and no transaction
    # stays open (holding SQLite's write lock) while the SMTP server takes its time.
    claimed = OutboxMessage.objects.filter(pk=message_id, state=State.QUEUED).update(
        state=State.SENDING, attempts=F("attempts") + 1, next_attempt_at=None
    )
    if not claimed:
        return None
    message = OutboxMessage.objects.select_related("recipient").get(pk=message_id)
    # P21, P25: a customer who turned this mail off after it was queued does not get it.
    refused = send_refusal(user=message.recipient, kind=message.kind)
    if refused is not None:
        message.state = State.SUPPRESSED
        message.suppressed_reason = refused[:500]
    else:
        # P7: the tracking image only where the customer's choice allows it now.
        email = message.as_email(html_body=html_to_send(message, now=now))
        try:
            with open_connection() as connection:
                connection.send_messages([email])
        except (smtplib.SMTPException, OSError) as error:
            message.record_failure(describe(error), at=now, permanent=is_permanent(error))
        else:
            message.record_sent(at=timezone.now())
    fields = ["state", "sent_at", "last_error", "next_attempt_at", "suppressed_reason"]
    if not (message.erase_after_delivery and message.is_done):
        message.save(update_fields=fields)
        return message
    # P22: the last e-mail to a deleted account forgets whom it went to and what it said as
    # soon as nothing more will be tried, and the erasure journal says so, so that a backup
    # restored from before this moment is erased again.
    message.forget_content()
    with transaction.atomic():
        message.save(update_fields=sorted({*fields, *OutboxMessage.CONTENT_FIELDS}))
        if message.recipient_id is not None:
            privacy.journal_erasure(
                subject=message.recipient_id,
                model=OutboxMessage,
                fields=OutboxMessage.CONTENT_FIELDS,
                row_ids=[message.pk],
                actor=ERASURE_ACTOR,
            )
    return message
