"""Tasks as the shop writes them (``@task`` functions through the Tasks API), counting what
they do in the shared database."""

from __future__ import annotations

import time

from django.db import transaction
from django_tasks import task

from .effects import counts, record


@task()
def record_effect(key: str, pause: float = 0.0) -> str:
    """An attempt is recorded at once, the effect only at the end, in one transaction: a
    worker killed in between leaves an attempt and no effect."""
    record("attempt", key)
    time.sleep(pause)
    with transaction.atomic():
        record("effect", key)
    return key


@task()
def fail_at_first(key: str, failures: int) -> str:
    """Raises on its first ``failures`` attempts, then succeeds."""
    record("attempt", key)
    if counts("attempt")[key] <= failures:
        raise RuntimeError(f"{key}: failing on purpose")
    record("effect", key)
    return key
