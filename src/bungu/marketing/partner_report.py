"""P14: the partner's report: per offer, how many messages went, how many were opened and how
many codes were redeemed. Counts only, and each count under ``BUNGU_PARTNER_REPORT_MIN_COUNT``
is shown as "fewer than N", on the page and in the CSV alike: a small count could single
someone out. Nothing in it names, addresses or numbers a customer, and no code is ever shown.

"Opened" (P7) counts the messages a person opened: only messages whose image the customer's
open-confirmation choice allowed were ever recorded (the notice in force, and the one their
address was given under, must declare open confirmations of partner offers), and a fetch taken
for a mail privacy proxy's pre-fetch is not an open. The partner sees that count alone; staff
also see how many messages carried the image and how many only a proxy fetched, apart."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count

from bungu.mail.open_counts import BatchOpens, count_batch_opens

from .models import CampaignRecipient, RecipientState
from .partner_models import OfferCode, Partner, PartnerOffer
from .sending import message_id_domain

CSV_HEADER = ("offer", "valid from", "valid until", "sent", "opened", "redeemed")


def minimum_count() -> int:
    return max(1, int(settings.BUNGU_PARTNER_REPORT_MIN_COUNT))


def shown(count: int, *, minimum: int) -> str:
    """A count as the partner sees it: the number, or "fewer than N" under the threshold."""
    return str(count) if count >= minimum else f"fewer than {minimum}"


@dataclass(frozen=True)
class OfferCounts:
    """The exact counts of one offer: for staff, and the source of the partner's row."""

    offer: PartnerOffer
    sent: int
    opened: int  # by a person (P7)
    redeemed: int
    tracked: int = 0  # sent with the open image: the customers' choice allowed it (P7)
    proxy_only: int = 0  # fetched only by mail privacy proxies: never counted as opened


@dataclass(frozen=True)
class ReportRow:
    """One offer as the partner sees it: its title and dates, counts already suppressed."""

    offer_id: int
    title: str
    valid_from: datetime.date
    valid_until: datetime.date
    sent: str
    opened: str
    redeemed: str


def _opens(campaign_id: int, *, domain: str) -> BatchOpens:
    sent = CampaignRecipient.objects.filter(campaign_id=campaign_id, state=RecipientState.SENT)
    recipients = sent.values_list("pk", "campaign_id").iterator()
    return count_batch_opens(
        message_ids=(
            CampaignRecipient(pk=pk, campaign_id=campaign).tracking_key(domain=domain)
            for pk, campaign in recipients
        )
    )


def offer_counts(offers: Sequence[PartnerOffer]) -> list[OfferCounts]:
    """Exact counts of each offer: two queries, and per offer one for its sent messages and
    one per 500 of them for their opens."""
    domain = message_id_domain()
    campaign_ids = [offer.campaign_id for offer in offers]
    sent = dict(
        CampaignRecipient.objects.filter(campaign_id__in=campaign_ids, state=RecipientState.SENT)
        .values_list("campaign_id")
        .annotate(n=Count("pk"))
        .values_list("campaign_id", "n")
    )
    redeemed = dict(
        OfferCode.objects.filter(offer__in=offers, redeemed_at__isnull=False)
        .values_list("offer_id")
        .annotate(n=Count("pk"))
        .values_list("offer_id", "n")
    )
    counts = []
    for offer in offers:
        opens = _opens(offer.campaign_id, domain=domain)
        counts.append(
            OfferCounts(
                offer=offer,
                sent=sent.get(offer.campaign_id, 0),
                opened=opens.opened,
                redeemed=redeemed.get(offer.pk, 0),
                tracked=opens.tracked,
                proxy_only=opens.proxy_only,
            )
        )
    return counts


def partner_report(partner: Partner) -> list[ReportRow]:
    """The partner's report, every count under the threshold suppressed."""
    minimum = minimum_count()
    offers = list(PartnerOffer.objects.filter(partner=partner))
    return [
        ReportRow(
            offer_id=counts.offer.pk,
            title=counts.offer.title,
            valid_from=counts.offer.valid_from,
            valid_until=counts.offer.valid_until,
            sent=shown(counts.sent, minimum=minimum),
            opened=shown(counts.opened, minimum=minimum),
            redeemed=shown(counts.redeemed, minimum=minimum),
        )
        for counts in offer_counts(offers)
    ]


def _cell(value: str) -> str:
    # A spreadsheet runs a cell that starts so as a formula.
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def report_csv(rows: Sequence[ReportRow]) -> str:
    """The report as CSV, the same suppressed counts as the page."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow(
            [
                _cell(row.title),
                row.valid_from.isoformat(),
                row.valid_until.isoformat(),
                row.sent,
                row.opened,
                row.redeemed,
            ]
        )
    return out.getvalue()
