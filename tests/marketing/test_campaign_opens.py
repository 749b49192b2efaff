"""P7 on the campaigns' own SMTP path: the open image only where the recipient's choice
allows it, made by the mail app's rule and image (``bungu.mail.opens``), and an open of a
campaign message recorded and shown in My data like any other."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bungu import privacy
from bungu.mail import opens
from bungu.mail.kinds import Category
from bungu.mail.models import OpenTracking
from bungu.mail.preferences import set_preferences
from bungu.marketing import sending, services
from bungu.marketing.models import CampaignRecipient, RecipientState
from bungu.marketing.runner import send_due_campaigns
from tests.accounts.factories import CustomerFactory
from tests.mail.test_opens import PERSON, image_tokens

from .factories import CampaignFactory

pytestmark = pytest.mark.django_db


def _send_campaign() -> None:
    campaign = CampaignFactory()
    services.start_campaign(campaign_id=campaign.pk)
    send_due_campaigns()


def _html_to(smtp_server: object, address: str) -> str:
    (mail,) = [m for m in smtp_server.messages if address in m.rcpt_tos]  # type: ignore[attr-defined]
    return str(mail.html)


def test_p7_a_campaign_message_carries_the_image_when_the_choice_allows_it(smtp_server) -> None:
    customer = CustomerFactory(email="ann@example.com", name="Ann")

    _send_campaign()

    html = _html_to(smtp_server, "ann@example.com")
    (token,) = image_tokens(html)
    row = CampaignRecipient.objects.get(customer=customer)
    assert row.state == RecipientState.SENT
    message_id = row.message_id(domain="bungu.test", address="ann@example.com")
    assert str(smtp_server.last["Message-ID"]) == message_id
    # The address is an HMAC of the message's tracking key (its Message-ID without the
    # return tag), and names neither the customer nor the row.
    assert token == opens.tracking_token(row.tracking_key(domain="bungu.test"))
    url = re.search(r'src="([^"]*/mail/open/[^"]*)"', html)
    assert url is not None
    assert url.group(1) == f"http://127.0.0.1:8000/mail/open/{token}.gif"
    for clear in ("ann", f"/{customer.pk}/", f"recipient{row.pk}", f"campaign{row.campaign_id}"):
        assert clear not in url.group(1)
    assert image_tokens(smtp_server.last.text) == []  # plain text never carries one
    tracked = OpenTracking.objects.get()
    assert (tracked.token, tracked.recipient_id, tracked.kind, tracked.message_id) == (
        token,
        customer.pk,
        sending.OUTBOX_KIND,
        None,
    )


def test_p7_no_image_for_a_recipient_who_turned_open_confirmations_off(smtp_server) -> None:
    allowed = CustomerFactory(email="ann@example.com")
    refusing = CustomerFactory(email="ben@example.com")
    privacy.set_open_recording(subject=refusing, allowed=False, method="form")

    _send_campaign()

    assert len(image_tokens(_html_to(smtp_server, "ann@example.com"))) == 1
    # The mail goes (marketing e-mail is on), without the image.
    assert image_tokens(_html_to(smtp_server, "ben@example.com")) == []
    assert list(OpenTracking.objects.values_list("recipient_id", flat=True)) == [allowed.pk]


def test_p7_gpc_with_marketing_chosen_after_it_gets_the_mail_but_no_image(smtp_server) -> None:
    """A customer whose browser sent GPC and who then turned marketing e-mail back on gets the
    campaign (their later choice), but opens stay unrecorded: GPC turned open confirmations
    off and they never turned those back on."""
    customer = CustomerFactory(email="ann@example.com")
    privacy.record_gpc_signal(subject=customer, at=timezone.now() - timedelta(minutes=5))
    set_preferences(user=customer, choices={Category.MARKETING: False}, method="form")
    set_preferences(user=customer, choices={Category.MARKETING: True}, method="form")

    _send_campaign()

    assert image_tokens(_html_to(smtp_server, "ann@example.com")) == []
    assert OpenTracking.objects.count() == 0


def test_p7_planted_an_image_added_without_the_choice_is_caught(smtp_server, monkeypatch) -> None:
    """Positive control: with the rule ignored (the violation), the detector used above
    finds the image the tests before expect never to find."""
    refusing = CustomerFactory(email="ben@example.com")
    privacy.set_open_recording(subject=refusing, allowed=False, method="form")
    monkeypatch.setattr(
        opens, "open_tracking_refusals", lambda *, users, **_: {u.pk: None for u in users}
    )

    _send_campaign()

    assert len(image_tokens(_html_to(smtp_server, "ben@example.com"))) == 1


def test_p7_an_open_of_a_campaign_message_is_recorded_and_shown_in_my_data(
    smtp_server, client: Client
) -> None:
    customer = CustomerFactory(email="ann@example.com")
    _send_campaign()
    (token,) = image_tokens(_html_to(smtp_server, "ann@example.com"))
    # Out of the window in which a fetch is taken for a proxy's pre-fetch.
    OpenTracking.objects.update(added_at=timezone.now() - timedelta(hours=2))

    image = Client()
    assert image.get(f"/mail/open/{token}.gif", headers={"User-Agent": PERSON}).status_code == 200
    image.get(f"/mail/open/{token}.gif", headers={"User-Agent": "Mozilla/5.0"})  # Apple's proxy

    tracked = OpenTracking.objects.get()
    assert (tracked.opens, tracked.proxy_fetches) == (1, 1)
    assert tracked.first_opened_at is not None
    client.force_login(customer)
    page = client.get(reverse("privacy:my_data")).content.decode()
    section = page[page.index('id="data-mailopentracking"') :]
    assert "Times opened" in section


def test_p7_turning_recording_off_stops_recording_opens_of_campaign_mail(smtp_server) -> None:
    customer = CustomerFactory(email="ann@example.com")
    _send_campaign()
    (token,) = image_tokens(_html_to(smtp_server, "ann@example.com"))
    OpenTracking.objects.update(added_at=timezone.now() - timedelta(hours=2))
    privacy.set_open_recording(subject=customer, allowed=False, method="form")

    assert opens.record_open(token=token, user_agent=PERSON) is False
    assert OpenTracking.objects.get().opens == 0
