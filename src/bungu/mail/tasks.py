"""Delivery as a background job (Django Tasks API; `bungu db_worker` runs it)."""

from __future__ import annotations

from datetime import datetime

from django_tasks import task

from .delivery import attempt_delivery, smtp_configured
from .models import State


@task()
def deliver_message(message_id: int) -> str:
    """Send one outbox message; on a passing failure, schedule the next try (backoff)."""
    message = attempt_delivery(message_id=message_id)
    if message is None:
        return "skipped"
    if message.state == State.QUEUED and message.next_attempt_at is not None:
        schedule_delivery(message.pk, run_after=message.next_attempt_at)
    return str(message.state)


def schedule_delivery(message_id: int, *, run_after: datetime | None = None) -> bool:
    """Enqueue delivery of a message. Without SMTP the message stays in the outbox; with a
    task backend that cannot defer, a retry waits for `bungu deliver_outbox`."""
    if not smtp_configured():
        return False
    job = deliver_message
    if run_after is not None:
        if not job.get_backend().supports_defer:
            return False
        job = job.using(run_after=run_after)
    job.enqueue(message_id=message_id)
    return True
