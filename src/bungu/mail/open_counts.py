"""P7: what became of a batch of messages' open images, for aggregate reports (a partner
offer's report, P14). Only opens that were recorded count: a message carries the image only
where the customer's choice allowed it, and ``opens.record_open`` asks again at each open.
A fetch the proxy rule took for a mail privacy proxy's pre-fetch is never an open: it is
counted apart, as for the shop's own mail (``opens.count_opens``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

from django.db.models import Count, Q

from .models import OpenTracking
from .opens import tracking_token

# Message-IDs asked about per query, to keep each IN list small.
CHUNK = 500


@dataclass(frozen=True)
class BatchOpens:
    """The open records of some messages: never who, only how many."""

    tracked: int = 0  # went with the image (the customer's choice allowed it)
    opened: int = 0  # of them, opened by a person at least once
    proxy_only: int = 0  # fetched only by mail privacy proxies: nobody can say if read

    def __add__(self, other: BatchOpens) -> BatchOpens:
        return BatchOpens(
            self.tracked + other.tracked,
            self.opened + other.opened,
            self.proxy_only + other.proxy_only,
        )


def count_batch_opens(*, message_ids: Iterable[str]) -> BatchOpens:
    """The open records of these messages, one query per 500. Mail that went through the
    outbox is found by its Message-ID; a campaign's message sent on its own SMTP path by the
    token of its image, which is all its open record keeps of it."""
    ids = iter(message_ids)
    total = BatchOpens()
    while chunk := list(islice(ids, CHUNK)):
        found = OpenTracking.objects.filter(
            Q(message__message_id__in=chunk) | Q(token__in=[tracking_token(m) for m in chunk])
        ).aggregate(
            tracked=Count("pk"),
            opened=Count("pk", filter=Q(first_opened_at__isnull=False)),
            proxy_only=Count("pk", filter=Q(first_opened_at__isnull=True, proxy_fetches__gt=0)),
        )
        total += BatchOpens(found["tracked"], found["opened"], found["proxy_only"])
    return total


def count_opened(*, message_ids: Iterable[str]) -> int:
    """How many of these messages a person opened at least once, as recorded."""
    return count_batch_opens(message_ids=message_ids).opened
