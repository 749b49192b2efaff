"""P7 and P14: open confirmations of the offers the shop sends on behalf of other businesses.

Notice v1 declares open confirmations for the shop's own marketing e-mail only; v2 (shipped,
published by the owner) declares them for partner offers too. An offer then carries the image
exactly where the customer's one open-confirmation choice allows it under the notice that
binds their address (P25: an address given under v1 stays under v1 until they agree to v2),
and the partner's report counts the opens a person made, never a proxy's pre-fetch, each
count under the threshold suppressed."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from bungu import privacy
from bungu.mail import opens
from bungu.mail.kinds import Category
from bungu.mail.models import OpenTracking, OutboxMessage
from bungu.mail.preferences import set_preferences
from bungu.mail.services import deliver_due_messages
from bungu.marketing import services
from bungu.marketing.models import CampaignRecipient, PartnerOffer, RecipientState
from bungu.marketing.partner_access import make_link_token
from bungu.marketing.partner_report import offer_counts, partner_report, report_csv
from bungu.marketing.runner import send_due_campaigns
from bungu.privacy.models import Notice
from tests.accounts.factories import CustomerFactory
from tests.backoffice.factories import staff_member
from tests.mail.test_opens import PERSON, image_tokens
from tests.privacy.factories import V2_PRACTICES

from .factories import PartnerFactory, make_offer

pytestmark = pytest.mark.django_db

APPLE_PROXY = "Mozilla/5.0"


def publish_v2() -> Notice:
    """The shipped v2, in force from today, as the owner publishes it (confirmed: it is less
    protective than v1 in declaring open confirmations of partner offers)."""
    return privacy.publish_shipped_notice(
        version=2, effective=timezone.localdate(), confirmed_less_protective=True
    )


def customers() -> dict[str, Any]:
    """Five customers of one offer, by name:

    ann: address given under v2, no answer about open confirmations (the notice's default);
    ben: under v2, turned open confirmations off;
    cat: under v2, her browser sent Global Privacy Control, and she turned marketing e-mail
         back on after it (so she gets the offer), but never open confirmations;
    dan: address given under v1, never answered v2;
    eve: address given under v1, accepted v2 on the consent page.
    """
    earlier = timezone.now() - timedelta(days=3)
    made = {
        "ann": CustomerFactory(email="ann@example.com"),
        "ben": CustomerFactory(email="ben@example.com"),
        "cat": CustomerFactory(email="cat@example.com"),
        "dan": CustomerFactory(email="dan@example.com", date_joined=earlier),
        "eve": CustomerFactory(email="eve@example.com", date_joined=earlier),
    }
    privacy.set_open_recording(subject=made["ben"], allowed=False, method="form")
    privacy.record_gpc_signal(subject=made["cat"], at=timezone.now() - timedelta(minutes=5))
    set_preferences(user=made["cat"], choices={Category.MARKETING: False}, method="form")
    set_preferences(user=made["cat"], choices={Category.MARKETING: True}, method="form")
    privacy.answer_notice(subject=made["eve"], notice_version=2, accept=True)
    return made


def send_offer(partner: Any = None) -> PartnerOffer:
    offer = make_offer(partner)
    services.start_campaign(campaign_id=offer.campaign_id)
    send_due_campaigns()
    return offer


def images_by_customer(smtp_server: Any) -> dict[str, int]:
    """How many open images each message of the offer carried, by the customer's name (the
    detector every test below relies on; the controls show it finds a planted image)."""
    found = {}
    for message in smtp_server.messages:
        (address,) = message.rcpt_tos
        found[address.split("@")[0]] = len(image_tokens(str(message.html)))
    return found


def token_of(smtp_server: Any, name: str) -> str:
    (mail,) = [m for m in smtp_server.messages if f"{name}@example.com" in m.rcpt_tos]
    (token,) = image_tokens(str(mail.html))
    return token


ALLOWED = {"ann": 1, "ben": 0, "cat": 0, "dan": 0, "eve": 1}


def test_p7_p14_the_offer_carries_the_image_only_where_the_choice_and_notice_allow_it(
    smtp_server,
) -> None:
    publish_v2()
    made = customers()

    offer = send_offer()

    # Everyone gets the offer (partner offers are on for all five); only two get the image.
    assert images_by_customer(smtp_server) == ALLOWED
    states = CampaignRecipient.objects.filter(campaign_id=offer.campaign_id)
    assert set(states.values_list("state", flat=True)) == {RecipientState.SENT}
    tracked = OpenTracking.objects.order_by("recipient_id")
    assert list(tracked.values_list("recipient_id", "kind", "message_id")) == [
        (made["ann"].pk, "partner.offer", None),
        (made["eve"].pk, "partner.offer", None),
    ]


def test_p7_p14_the_report_counts_the_opens_a_person_made_and_the_partner_sees_them_suppressed(
    smtp_server, settings
) -> None:
    publish_v2()
    customers()
    partner = PartnerFactory()
    offer = send_offer(partner)
    # Out of the window in which any fetch is taken for a proxy's pre-fetch.
    OpenTracking.objects.update(added_at=timezone.now() - timedelta(hours=2))

    assert opens.record_open(token=token_of(smtp_server, "ann"), user_agent=PERSON) is True
    assert opens.record_open(token=token_of(smtp_server, "ann"), user_agent=PERSON) is True
    # Eve's mail program fetched the image through Apple's proxy: not an open.
    assert opens.record_open(token=token_of(smtp_server, "eve"), user_agent=APPLE_PROXY) is True

    (counts,) = offer_counts([offer])
    assert (counts.sent, counts.tracked, counts.opened, counts.proxy_only) == (5, 2, 1, 1)
    (row,) = partner_report(partner)
    assert (row.sent, row.opened) == ("fewer than 10", "fewer than 10")
    settings.BUNGU_PARTNER_REPORT_MIN_COUNT = 1
    (row,) = partner_report(partner)
    assert (row.sent, row.opened, row.redeemed) == ("5", "1", "fewer than 1")
    lines = list(csv.reader(io.StringIO(report_csv([row]))))
    assert lines[1][3:] == ["5", "1", "fewer than 1"]


@pytest.mark.parametrize(("opened", "shown"), [(9, "fewer than 10"), (10, "10")])
def test_p14_the_opened_count_is_suppressed_under_the_threshold(
    smtp_server, opened: int, shown: str
) -> None:
    publish_v2()
    people = [CustomerFactory(email=f"c{n}@example.com") for n in range(11)]
    partner = PartnerFactory()
    offer = send_offer(partner)
    OpenTracking.objects.update(added_at=timezone.now() - timedelta(hours=2))
    for person in people[:opened]:
        token = token_of(smtp_server, person.email.split("@")[0])
        assert opens.record_open(token=token, user_agent=PERSON)
    # A proxy's fetch of every other message never makes the count reach the threshold.
    for person in people[opened:]:
        token = token_of(smtp_server, person.email.split("@")[0])
        assert opens.record_open(token=token, user_agent=APPLE_PROXY)

    (counts,) = offer_counts([offer])
    assert (counts.sent, counts.tracked, counts.opened) == (11, 11, opened)
    (row,) = partner_report(partner)
    assert (row.sent, row.opened) == ("11", shown)


def test_p7_an_open_after_the_customer_turned_confirmations_off_is_not_counted(
    smtp_server, settings
) -> None:
    settings.BUNGU_PARTNER_REPORT_MIN_COUNT = 1
    publish_v2()
    made = customers()
    offer = send_offer()
    OpenTracking.objects.update(added_at=timezone.now() - timedelta(hours=2))
    privacy.set_open_recording(subject=made["ann"], allowed=False, method="form")

    assert opens.record_open(token=token_of(smtp_server, "ann"), user_agent=PERSON) is False

    assert offer_counts([offer])[0].opened == 0
    assert OpenTracking.objects.get(recipient=made["ann"]).opens == 0


def test_p7_turning_partner_offers_off_stops_the_offer_and_its_image(smtp_server) -> None:
    publish_v2()
    ann = CustomerFactory(email="ann@example.com")
    set_preferences(user=ann, choices={Category.PARTNER_OFFERS: False}, method="form")

    send_offer()

    assert smtp_server.messages == []
    assert OpenTracking.objects.count() == 0


def test_p7_under_v1_alone_no_offer_carries_the_image(smtp_server) -> None:
    """v1 does not declare open confirmations of partner offers: nobody's offer carries the
    image, whatever their choice, and the report's opened count stays 0."""
    made = customers_under_v1_only()

    offer = send_offer()

    assert images_by_customer(smtp_server) == dict.fromkeys(made, 0)
    assert OpenTracking.objects.count() == 0
    (counts,) = offer_counts([offer])
    assert (counts.sent, counts.tracked, counts.opened) == (2, 0, 0)


def customers_under_v1_only() -> dict[str, Any]:
    ann = CustomerFactory(email="ann@example.com")
    ben = CustomerFactory(email="ben@example.com")
    privacy.set_open_recording(subject=ben, allowed=True, method="form")
    return {"ann": ann, "ben": ben}


# ---------------------------------------------------------------- positive controls
def test_control_an_image_added_without_the_choice_is_caught(smtp_server, monkeypatch) -> None:
    """With the rule ignored (the violation), the detector finds images for ben (who said
    no), cat (GPC) and dan (v1): the first test's expectation would fail."""
    publish_v2()
    customers()
    monkeypatch.setattr(
        opens, "open_tracking_refusals", lambda *, users, **_: {u.pk: None for u in users}
    )

    send_offer()

    assert images_by_customer(smtp_server) == dict.fromkeys(ALLOWED, 1)
    assert images_by_customer(smtp_server) != ALLOWED


def test_control_judging_by_the_notice_in_force_alone_is_caught(smtp_server, monkeypatch) -> None:
    """A rule that takes every address as given under the notice in force (forgetting P25)
    adds the image to dan's offer although he never agreed to v2: caught."""
    publish_v2()
    customers()
    monkeypatch.setattr(opens, "_collected_at", lambda user, now: now)

    send_offer()

    assert images_by_customer(smtp_server)["dan"] == 1
    assert images_by_customer(smtp_server) != ALLOWED


def test_control_v1_widened_in_place_is_caught(smtp_server) -> None:
    """v1 edited behind the engine's back to declare open confirmations of partner offers
    (what a published version may never do): dan's offer would carry the image, and the
    first test's expectation catches it."""
    publish_v2()
    customers()
    Notice.objects.filter(version=1).update(practices=V2_PRACTICES)

    send_offer()

    assert images_by_customer(smtp_server)["dan"] == 1
    assert images_by_customer(smtp_server) != ALLOWED


def test_p14_the_partners_page_shows_counts_and_staff_see_the_proxies_apart(
    smtp_server, settings, client: Client
) -> None:
    settings.BUNGU_PARTNER_REPORT_MIN_COUNT = 1
    publish_v2()
    customers()
    partner = PartnerFactory()
    send_offer(partner)
    OpenTracking.objects.update(added_at=timezone.now() - timedelta(hours=2))
    opens.record_open(token=token_of(smtp_server, "ann"), user_agent=PERSON)
    opens.record_open(token=token_of(smtp_server, "eve"), user_agent=APPLE_PROXY)

    page = Client().get(f"/partners/{make_link_token(partner, days=7)}/").content.decode()

    assert "<td>5</td><td>1</td><td>fewer than 1</td>" in page
    assert "privacy proxy" in page
    client.force_login(staff_member("Marketing"))
    detail = client.get(f"/backoffice/campaigns/partners/{partner.pk}/").content.decode()
    assert "<td>5</td><td>2</td><td>1</td><td>1</td><td>0</td>" in detail


def test_p7_p14_an_offer_left_in_the_outbox_gets_the_image_at_delivery_and_is_counted(
    smtp_server, settings
) -> None:
    """Without SMTP when the offer was sent, its messages wait in the outbox under the
    campaign's own Message-IDs; delivered once SMTP is set up, they get the image there (the
    choice asked again at that moment), and the report finds their opens."""
    settings.BUNGU_PARTNER_REPORT_MIN_COUNT = 1
    publish_v2()
    made = customers()
    host, settings.BUNGU_SMTP_HOST = settings.BUNGU_SMTP_HOST, ""
    offer = send_offer()
    assert smtp_server.messages == []
    rows = CampaignRecipient.objects.filter(campaign_id=offer.campaign_id)
    assert set(OutboxMessage.objects.values_list("message_id", flat=True)) == {
        row.tracking_key(domain="bungu.test") for row in rows
    }

    settings.BUNGU_SMTP_HOST = host
    assert deliver_due_messages() == 5
    assert images_by_customer(smtp_server) == ALLOWED
    OpenTracking.objects.update(added_at=timezone.now() - timedelta(hours=2))
    OutboxMessage.objects.update(sent_at=timezone.now() - timedelta(hours=2))
    assert opens.record_open(token=token_of(smtp_server, "eve"), user_agent=PERSON) is True

    (counts,) = offer_counts([offer])
    assert (counts.sent, counts.tracked, counts.opened) == (5, 2, 1)
    assert OpenTracking.objects.get(first_opened_at__isnull=False).recipient == made["eve"]
