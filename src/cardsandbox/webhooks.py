"""Signed webhooks and the loop that delivers them, with retries and the test knobs.

Each request carries ``Cardsandbox-Event-Id``, ``Cardsandbox-Timestamp`` (Unix seconds, the
time of this attempt) and ``Cardsandbox-Signature``: ``v1=<hex>`` once per active secret,
comma-separated, each HMAC-SHA256 over ``<event id>.<timestamp>.<body>``. Two secrets can be
active at once, so the receiver can rotate without missing an event.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from datetime import datetime, timedelta

import httpx
from django.db import close_old_connections, transaction
from django.utils import timezone

from . import settings as conf
from .models import Delivery, Event, TestKnobs, WebhookMode
from .services import expire_due_payments, prune_idempotency_keys

log = logging.getLogger("cardsandbox.webhooks")
BATCH = 50


def signature(secret: str, *, event_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{event_id}.{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def headers_for(event: Event, *, timestamp: int) -> dict[str, str]:
    body = event.body.encode()
    signatures = ",".join(
        f"v1={signature(secret, event_id=event.public_id, timestamp=timestamp, body=body)}"
        for secret in conf.WEBHOOK_SECRETS
    )
    return {
        "Content-Type": "application/json",
        "Cardsandbox-Event-Id": event.public_id,
        "Cardsandbox-Timestamp": str(timestamp),
        "Cardsandbox-Signature": signatures,
        "User-Agent": "cardsandbox-webhooks/1",
    }


def due_events(now: datetime) -> list[Event]:
    """What to send now. Under "reorder" a bunch of new events waits until all of it is due,
    then goes newest first (events being retried do not hold it back)."""
    pending = Event.objects.filter(delivery=Delivery.PENDING)
    if TestKnobs.current().webhook_mode == WebhookMode.REORDER:
        if pending.filter(next_attempt_at__gt=now, attempts=0).exists():
            return []
        pending = pending.filter(next_attempt_at__lte=now)
        return list(pending.order_by("-pk")[:BATCH])
    return list(pending.filter(next_attempt_at__lte=now).order_by("pk")[:BATCH])


def attempt(client: httpx.Client, event: Event) -> None:
    """One delivery attempt; a 2xx answer counts as delivered, anything else is retried."""
    now = timezone.now()
    try:
        response = client.post(
            event.url,
            content=event.body.encode(),
            headers=headers_for(event, timestamp=int(time.time())),
        )
        ok, problem = response.is_success, f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        ok, problem = False, f"{type(exc).__name__}: {exc}"[:300]
    with transaction.atomic():
        if ok:
            event.copies -= 1
            if event.copies <= 0:
                event.delivery, event.delivered_at, event.next_attempt_at = (
                    Delivery.DELIVERED,
                    now,
                    None,
                )
            event.last_error = ""
        else:
            event.attempts += 1
            event.last_error = problem
            if event.attempts >= conf.WEBHOOK_MAX_ATTEMPTS:
                event.delivery, event.next_attempt_at = Delivery.FAILED, None
                log.warning(
                    "webhook %s given up after %d attempts", event.public_id, event.attempts
                )
            else:
                wait = conf.WEBHOOK_BACKOFF * 2 ** (event.attempts - 1)
                event.next_attempt_at = now + timedelta(seconds=wait)
        event.save()


def run_once(client: httpx.Client) -> int:
    """Expire what ran out, then send what is due. Returns how many attempts were made."""
    expire_due_payments()
    events = due_events(timezone.now())
    for event in events:
        attempt(client, event)
    return len(events)


def deliver_forever(stop: threading.Event, *, interval: float = 0.1) -> None:
    """The delivery loop of the ``python -m cardsandbox`` process, until ``stop`` is set."""
    last_prune = 0.0
    with httpx.Client(timeout=conf.WEBHOOK_TIMEOUT) as client:
        while not stop.is_set():
            try:
                if time.monotonic() - last_prune > 3600:
                    with transaction.atomic():
                        prune_idempotency_keys(now=timezone.now())
                    last_prune = time.monotonic()
                sent = run_once(client)
            except Exception:  # the loop outlives one bad round (a locked database, say)
                log.exception("webhook delivery round failed")
                sent = 0
            finally:
                close_old_connections()
            if not sent:
                stop.wait(interval)
