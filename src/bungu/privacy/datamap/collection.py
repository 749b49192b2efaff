"""When a personal record was collected, and so which notice binds it (P25).

A row is dated by its own creation time where its model keeps one; otherwise by the day the
customer's account was opened, which is the earliest the shop could have collected it and so
binds it to the oldest notice that may apply.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone

from bungu.privacy.models import Notice

# Field names that say when a row was created, most specific first.
CREATED_FIELDS = (
    "created_at",
    "created",
    "received_at",
    "requested_at",
    "added_at",
    "changed_at",
    "at",
    "date_joined",
)


def created_field(model: type[models.Model]) -> str | None:
    """The name of the model's creation timestamp, or None if it keeps none."""
    names = {f.name for f in model._meta.concrete_fields if isinstance(f, models.DateTimeField)}
    return next((name for name in CREATED_FIELDS if name in names), None)


def notice_in_force(notices: list[Notice], moment: datetime) -> Notice | None:
    """The notice in force at a moment, as ``Notice.objects.in_force`` finds it, from a list
    of the notices, newest version first."""
    day = timezone.localdate(moment)
    return next((n for n in notices if n.effective <= day), None)


def notice_at(notices: list[Notice], moment: datetime | None) -> int | None:
    """The version in force at a moment; ``notices`` newest version first."""
    found = notice_in_force(notices, moment) if moment is not None else None
    return found.version if found else None
