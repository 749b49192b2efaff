"""P14: the partner's report holds counts only, each under BUNGU_PARTNER_REPORT_MIN_COUNT
shown as "fewer than N", on the page and in the CSV alike."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone

from bungu.mail.models import OpenTracking
from bungu.mail.opens import tracking_token
from bungu.marketing import offer_codes, services
from bungu.marketing.models import CampaignRecipient, OfferCode, RecipientState
from bungu.marketing.partner_report import offer_counts, partner_report, report_csv, shown
from bungu.marketing.runner import send_due_campaigns
from tests.accounts.factories import CustomerFactory
from tests.mail.test_opens import image_tokens

from .factories import PartnerFactory, make_offer

pytestmark = pytest.mark.django_db


def offer_with(*, sent: int, redeemed: int, partner: object = None) -> object:
    """An offer started to ``sent`` customers, all sent, ``redeemed`` of their codes redeemed."""
    for _ in range(sent):
        CustomerFactory()
    offer = make_offer(partner)
    services.start_campaign(campaign_id=offer.campaign_id)
    rows = CampaignRecipient.objects.filter(campaign_id=offer.campaign_id)
    rows.update(state=RecipientState.SENT, sent_at=timezone.now())
    ids = list(rows.order_by("pk").values_list("pk", flat=True))
    offer_codes.issue_codes(offer_id=offer.pk, recipient_ids=ids)
    chosen = ids[:redeemed]
    OfferCode.objects.filter(recipient_id__in=chosen).update(redeemed_at=timezone.now())
    return offer


def test_shown_suppresses_every_count_under_the_threshold_boundary_included() -> None:
    assert shown(0, minimum=10) == "fewer than 10"
    assert shown(9, minimum=10) == "fewer than 10"
    assert shown(10, minimum=10) == "10"
    assert shown(11, minimum=10) == "11"


def test_counts_at_and_under_the_threshold_on_the_page_and_in_the_csv() -> None:
    partner = PartnerFactory()
    offer = offer_with(sent=10, redeemed=9, partner=partner)

    (exact,) = offer_counts([offer])
    assert (exact.sent, exact.opened, exact.redeemed) == (10, 0, 9)
    (row,) = partner_report(partner)
    assert (row.sent, row.opened, row.redeemed) == ("10", "fewer than 10", "fewer than 10")
    lines = list(csv.reader(io.StringIO(report_csv([row]))))
    assert lines[0] == ["offer", "valid from", "valid until", "sent", "opened", "redeemed"]
    assert lines[1][3:] == ["10", "fewer than 10", "fewer than 10"]


def test_the_threshold_is_a_setting(settings) -> None:
    settings.BUNGU_PARTNER_REPORT_MIN_COUNT = 3
    partner = PartnerFactory()
    offer_with(sent=3, redeemed=2, partner=partner)
    (row,) = partner_report(partner)
    assert (row.sent, row.redeemed) == ("3", "fewer than 3")


def test_the_report_of_a_partner_holds_its_own_offers_only() -> None:
    mine, theirs = PartnerFactory(), PartnerFactory()
    offer_with(sent=0, redeemed=0, partner=mine)
    make_offer(theirs, title="Their secret offer")
    assert [row.title for row in partner_report(mine)] == ["10% off washi tape"]


def test_a_title_a_spreadsheet_would_run_is_written_as_text() -> None:
    partner = PartnerFactory()
    make_offer(partner, title="=HYPERLINK(1)")
    lines = list(csv.reader(io.StringIO(report_csv(partner_report(partner)))))
    assert lines[1][0] == "'=HYPERLINK(1)"


def test_p14_p7_an_offer_sent_on_the_campaigns_own_smtp_path_counts_its_recorded_opens(
    smtp_server,
) -> None:
    """The offer goes out through the campaign sender. Notice v1 records opens of the shop's
    own marketing only, not of offers sent for partners, so no image goes out (P7; v2 adds
    them: ``test_partner_opens.py``), and an open recorded for one of the offer's messages (as
    the sender records them: the image's token, no outbox row) is what the count finds."""
    CustomerFactory(email="ann@example.com")
    CustomerFactory(email="ben@example.com")
    offer = make_offer()
    services.start_campaign(campaign_id=offer.campaign_id)
    send_due_campaigns()
    (mail,) = [m for m in smtp_server.messages if "ann@example.com" in m.rcpt_tos]
    assert image_tokens(str(mail.html)) == []
    assert offer_counts([offer])[0].opened == 0

    ann = CampaignRecipient.objects.get(
        campaign_id=offer.campaign_id, customer__email="ann@example.com"
    )
    OpenTracking.objects.create(
        recipient_id=ann.customer_id,
        token=tracking_token(ann.tracking_key(domain="bungu.test")),
        kind="partner.offer",
        first_opened_at=timezone.now(),
        opens=1,
    )
    (counts,) = offer_counts([offer])
    assert (counts.sent, counts.opened) == (2, 1)
