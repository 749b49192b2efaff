"""P7: how many messages of a batch were opened, for aggregate reports (a partner offer's
report, P14). Only opens that were recorded count: a message carries the image only where
the customer's choice allowed it, and ``opens.record_open`` asks again at each open."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

from django.db.models import Q

from .models import OpenTracking
from .opens import tracking_token

# Message-IDs asked about per query, to keep each IN list small.
CHUNK = 500


def count_opened(*, message_ids: Iterable[str]) -> int:
    """How many of these messages were opened at least once, as recorded. Mail that went
    through the outbox is found by its Message-ID; a campaign's message sent on its own SMTP
    path by the token of its image, which is all its open record keeps of it."""
    ids = iter(message_ids)
    opened = 0
    while chunk := list(islice(ids, CHUNK)):
        opened += OpenTracking.objects.filter(
            Q(message__message_id__in=chunk) | Q(token__in=[tracking_token(m) for m in chunk]),
            first_opened_at__isnull=False,
        ).count()
    return opened
