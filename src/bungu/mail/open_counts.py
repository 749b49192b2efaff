"""P7: how many messages of a batch were opened, for aggregate reports (a partner offer's
report, P14). Only opens that were recorded count: a message carries the image only where
the customer's choice allowed it, and ``opens.record_open`` asks again at each open."""

from __future__ import annotations

from .models import OpenTracking


def count_opened(*, message_id_prefix: str) -> int:
    """How many messages whose Message-ID starts with this prefix (a campaign's, e.g.
    ``<campaign12.``) were opened at least once, as recorded. Raises ValueError for a prefix
    too short to name a batch."""
    if len(message_id_prefix) < 4:
        raise ValueError("A Message-ID prefix names a batch of messages.")
    return OpenTracking.objects.filter(
        message__message_id__startswith=message_id_prefix, first_opened_at__isnull=False
    ).count()
