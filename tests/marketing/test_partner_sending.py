"""P14: a partner offer is a campaign of the shop: every send-time check applies, and only
customers who did not say no to partner offers get it, each with their own random code."""

from __future__ import annotations

import datetime
import json
import re
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from bungu import privacy
from bungu.mail.kinds import Category
from bungu.mail.preferences import get_preferences, set_preferences
from bungu.marketing import offer_codes, services
from bungu.marketing.models import (
    CampaignKind,
    CampaignRecipient,
    OfferCode,
    RecipientState,
    SkipReason,
)
from bungu.marketing.partners import prune_offer_codes
from bungu.marketing.runner import send_due_campaigns
from bungu.privacy.rights.mydata import build_my_data
from tests.accounts.factories import CustomerFactory

from .factories import CampaignFactory, PartnerFactory, make_offer

pytestmark = pytest.mark.django_db

PARTNER_PRACTICE = f"{privacy.Purpose.PARTNER_OFFERS.value}@shop"
_CODE_IN_MAIL = re.compile(r"Your offer code: ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})")


def _send(offer: object) -> None:
    services.start_campaign(campaign_id=offer.campaign_id)
    send_due_campaigns()


def _state(offer: object, customer: object) -> tuple[str, str]:
    row = CampaignRecipient.objects.get(campaign_id=offer.campaign_id, customer=customer)
    return row.state, row.skip_reason


def test_each_recipient_gets_the_offer_with_their_own_code(smtp_server) -> None:
    hana = CustomerFactory(email="hana@example.com", name="Hana")
    ken = CustomerFactory(email="ken@example.com", name="Ken")
    offer = make_offer()
    assert offer.campaign.kind == CampaignKind.PARTNER_OFFER

    _send(offer)

    by_address = {mail.rcpt_tos[0]: mail for mail in smtp_server.messages}
    assert sorted(by_address) == ["hana@example.com", "ken@example.com"]
    shown = {}
    for customer in (hana, ken):
        mail = by_address[customer.email]
        code = _CODE_IN_MAIL.search(mail.text).group(1)
        assert f"<strong>{code}</strong>" in mail.html
        assert "does not receive your name, address or e-mail address" in mail.text
        stored = OfferCode.objects.get(
            recipient__campaign_id=offer.campaign_id, recipient__customer=customer
        )
        assert offer_codes.display(stored.code) == code
        assert stored.offer_id == offer.pk
        shown[customer.email] = code
    assert shown["hana@example.com"] != shown["ken@example.com"]


def test_a_customer_who_said_no_to_partner_offers_gets_none(smtp_server) -> None:
    CustomerFactory(email="yes@example.com")
    declined = CustomerFactory(email="no@example.com")
    privacy.withdraw_consent(subject=declined, method="form", practice=PARTNER_PRACTICE)
    offer = make_offer()

    _send(offer)

    assert [m.rcpt_tos[0] for m in smtp_server.messages] == ["yes@example.com"]
    assert _state(offer, declined) == (RecipientState.SKIPPED, SkipReason.PARTNER_OFFERS)
    assert not OfferCode.objects.filter(recipient__customer=declined).exists()


def test_the_no_holds_for_partner_offers_only_not_the_shops_own_campaigns(smtp_server) -> None:
    declined = CustomerFactory(email="no@example.com")
    privacy.withdraw_consent(subject=declined, method="form", practice=PARTNER_PRACTICE)
    campaign = CampaignFactory()
    services.start_campaign(campaign_id=campaign.pk)
    send_due_campaigns()
    assert [m.rcpt_tos[0] for m in smtp_server.messages] == ["no@example.com"]


def test_the_campaign_checks_apply_unchanged_marketing_off_and_gpc(smtp_server) -> None:
    off = CustomerFactory(email="off@example.com")
    set_preferences(user=off, choices={Category.MARKETING: False}, method="form")
    signalled = CustomerFactory(email="gpc@example.com")
    privacy.record_gpc_signal(subject=signalled)
    offer = make_offer()

    _send(offer)

    assert smtp_server.messages == []
    assert _state(offer, off) == (RecipientState.SKIPPED, SkipReason.PREFERENCES)
    assert _state(offer, signalled) == (RecipientState.SKIPPED, SkipReason.GPC)
    assert OfferCode.objects.count() == 0


def test_an_offer_of_a_stopped_partner_goes_to_no_one(smtp_server) -> None:
    customer = CustomerFactory()
    partner = PartnerFactory()
    offer = make_offer(partner)
    services.start_campaign(campaign_id=offer.campaign_id)
    partner.active = False
    partner.save()

    send_due_campaigns()

    assert smtp_server.messages == []
    assert _state(offer, customer) == (RecipientState.SKIPPED, SkipReason.OFFER_ENDED)


def test_a_recipient_sent_again_after_a_crash_gets_the_same_code(smtp_server) -> None:
    customer = CustomerFactory()
    offer = make_offer()
    services.start_campaign(campaign_id=offer.campaign_id)
    row = CampaignRecipient.objects.get(campaign_id=offer.campaign_id)
    first = offer_codes.issue_codes(offer_id=offer.pk, recipient_ids=[row.pk])

    send_due_campaigns()

    (mail,) = smtp_server.messages
    assert offer_codes.display(first[row.pk]) in mail.text
    assert OfferCode.objects.filter(recipient=row).count() == 1
    assert customer.pk


def test_codes_are_unique_random_and_not_derived_from_the_customer() -> None:
    codes = {offer_codes.new_code() for _ in range(5000)}
    assert len(codes) == 5000
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{12}", code) for code in codes)
    # Issued twice for the same customer and offer (rows made anew): different codes, and
    # nothing of the address or the customer's number in them.
    customer = CustomerFactory(email="abcdefgh@example.com")
    offer = make_offer()
    services.start_campaign(campaign_id=offer.campaign_id)
    row = CampaignRecipient.objects.get(campaign_id=offer.campaign_id)
    first = offer_codes.issue_codes(offer_id=offer.pk, recipient_ids=[row.pk])[row.pk]
    OfferCode.objects.all().delete()
    second = offer_codes.issue_codes(offer_id=offer.pk, recipient_ids=[row.pk])[row.pk]
    assert first != second
    for code in (first, second):
        assert "ABCDEFGH" not in code
        assert str(customer.pk) not in code or len(str(customer.pk)) < 3


def test_a_code_is_read_back_as_people_type_it() -> None:
    assert offer_codes.normalise(" 7kq4-m2xd-90tb ") == "7KQ4M2XD90TB"
    assert offer_codes.normalise("7KQ4 M2XD 9OTB") == "7KQ4M2XD90TB"
    assert offer_codes.normalise("7KQ4-M2XD") is None
    assert offer_codes.normalise("7KQ4-M2XD-90TU") is None


def test_erasure_removes_the_customers_offer_codes(smtp_server) -> None:
    customer = CustomerFactory()
    other = CustomerFactory()
    offer = make_offer()
    _send(offer)
    assert OfferCode.objects.count() == 2

    privacy.erase_subject(subject=customer, actor="test")

    assert list(OfferCode.objects.values_list("recipient__customer", flat=True)) == [other.pk]


def test_codes_are_forgotten_after_their_retention(smtp_server) -> None:
    CustomerFactory()
    offer = make_offer()
    _send(offer)
    now = timezone.now()
    assert prune_offer_codes(now=now) == 0
    assert prune_offer_codes(now=now + datetime.timedelta(days=731)) == 1
    assert OfferCode.objects.count() == 0


def test_the_switch_on_the_e_mail_choices_page_stops_partner_offers_only(
    smtp_server, client
) -> None:
    customer = CustomerFactory(email="choosy@example.com")
    client.force_login(customer)
    response = client.post("/mail/preferences/", {"marketing": "on", "other_mail": "on"})
    assert response.status_code == 302
    # The switch writes the practice's opt-out to the ledger too (P25 sees it).
    decision = privacy.may_use(
        subject=customer,
        data_category=privacy.DataCategory.EMAIL,
        purpose=privacy.Purpose.PARTNER_OFFERS,
        recipient="shop",
        collected_at=customer.date_joined,
    )
    assert not decision
    offer = make_offer()
    _send(offer)
    campaign = CampaignFactory()
    services.start_campaign(campaign_id=campaign.pk)
    send_due_campaigns()

    assert _state(offer, customer) == (RecipientState.SKIPPED, SkipReason.PARTNER_OFFERS)
    assert [m["Subject"] for m in smtp_server.messages] == [f"New inks for {customer.name}"]


def test_one_click_unsubscribe_from_an_offer_stops_partner_offers_not_all_marketing(
    smtp_server, client
) -> None:
    customer = CustomerFactory()
    offer = make_offer()
    _send(offer)
    (mail,) = smtp_server.messages
    path = urlsplit(mail["List-Unsubscribe"].strip().strip("<>")).path

    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200

    chosen = get_preferences(user=customer)
    assert (chosen.partner_offers, chosen.marketing) == (False, True)


def test_the_customer_finds_their_offer_code_in_my_data(smtp_server) -> None:
    customer = CustomerFactory()
    offer = make_offer()
    _send(offer)
    code = OfferCode.objects.get(recipient__customer=customer).code

    shown = json.dumps(build_my_data(subject=customer), default=str)

    assert code in shown
