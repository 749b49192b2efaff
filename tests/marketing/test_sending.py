"""Sending a campaign: every recipient checked again at send time (P17, P21, P25), marked
sent one by one, claimed with leases that a dead worker's successor takes over."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from bungu import privacy
from bungu.mail import services as mail_services
from bungu.mail.kinds import Category
from bungu.mail.models import OutboxMessage, SuppressionKind
from bungu.mail.preferences import set_preferences
from bungu.marketing import sending, services
from bungu.marketing.models import (
    CampaignRecipient,
    CampaignState,
    RecipientState,
    SkipReason,
    Suppression,
)
from bungu.marketing.runner import send_due_campaigns
from bungu.marketing.suppressions import is_suppressed, suppress_address
from bungu.privacy.models import Notice
from tests.accounts.factories import CustomerFactory
from tests.mail.test_p25_marketing import WITHOUT_MARKETING, publish

from .factories import CampaignFactory

pytestmark = pytest.mark.django_db


def _start(**fields: object) -> object:
    campaign = CampaignFactory(**fields)
    services.start_campaign(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    return campaign


def _rows(campaign: object) -> dict[str, tuple[str, str]]:
    return {
        row.customer.email: (row.state, row.skip_reason)
        for row in CampaignRecipient.objects.filter(campaign=campaign).select_related("customer")
    }


def _received(smtp_server: object) -> list[str]:
    return sorted(address for mail in smtp_server.messages for address in mail.rcpt_tos)


def test_each_recipient_gets_one_message_with_its_own_message_id_and_unsubscribe(
    smtp_server,
) -> None:
    hana = CustomerFactory(email="hana@example.com", name="Hana")
    ken = CustomerFactory(email="ken@example.com", name="Ken")
    campaign = _start()

    tally = send_due_campaigns()

    assert (tally.sent, tally.skipped, tally.failed) == (2, 0, 0)
    assert _received(smtp_server) == ["hana@example.com", "ken@example.com"]
    by_address = {mail.rcpt_tos[0]: mail for mail in smtp_server.messages}
    hana_mail = by_address["hana@example.com"]
    assert hana_mail["Subject"] == "New inks for Hana"
    assert "Dear Hana," in hana_mail.text
    assert "<p>Dear Hana,</p>" in hana_mail.html
    row = CampaignRecipient.objects.get(campaign=campaign, customer=hana)
    assert hana_mail["Message-ID"] == row.message_id(
        domain="bungu.test", address="hana@example.com"
    )
    assert hana_mail["Message-ID"] != by_address["ken@example.com"]["Message-ID"]
    assert hana_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/mail/unsubscribe/" in hana_mail["List-Unsubscribe"]
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DONE
    assert _rows(campaign) == {
        "hana@example.com": (RecipientState.SENT, ""),
        "ken@example.com": (RecipientState.SENT, ""),
    }
    assert ken.pk  # both were in the segment


def test_the_recipients_are_fixed_when_the_campaign_starts(smtp_server) -> None:
    CustomerFactory(email="early@example.com")
    campaign = _start()
    CustomerFactory(email="late@example.com")  # joins the segment after the start

    send_due_campaigns()

    assert _received(smtp_server) == ["early@example.com"]
    assert list(_rows(campaign)) == ["early@example.com"]


def test_p21_a_customer_who_turned_marketing_off_after_the_start_is_skipped(
    smtp_server,
) -> None:
    stays = CustomerFactory(email="stays@example.com")
    leaves = CustomerFactory(email="leaves@example.com")
    campaign = _start()
    set_preferences(user=leaves, choices={Category.MARKETING: False}, method="form")

    send_due_campaigns()

    assert _received(smtp_server) == ["stays@example.com"]
    assert _rows(campaign)["leaves@example.com"] == (
        RecipientState.SKIPPED,
        SkipReason.PREFERENCES,
    )
    assert stays.pk


def test_p17_a_customer_whose_browser_sent_gpc_is_skipped_until_they_choose_again(
    smtp_server,
) -> None:
    CustomerFactory(email="plain@example.com")
    signalled = CustomerFactory(email="gpc@example.com")
    privacy.record_gpc_signal(subject=signalled)
    campaign = _start()

    send_due_campaigns()

    assert _received(smtp_server) == ["plain@example.com"]
    assert _rows(campaign)["gpc@example.com"] == (RecipientState.SKIPPED, SkipReason.GPC)

    # Turning marketing e-mail back on after the signal is a choice made since: it counts.
    set_preferences(user=signalled, choices={Category.MARKETING: False}, method="form")
    set_preferences(user=signalled, choices={Category.MARKETING: True}, method="form")
    _start()
    send_due_campaigns()
    assert _received(smtp_server).count("gpc@example.com") == 1


def test_a_suppressed_address_is_skipped(smtp_server) -> None:
    CustomerFactory(email="fine@example.com")
    CustomerFactory(email="Bounced@Example.com")
    campaign = _start()
    suppress_address(address=" bounced@example.COM ", reason="bounce", source="dsn")

    send_due_campaigns()

    assert _received(smtp_server) == ["fine@example.com"]
    assert _rows(campaign)["Bounced@Example.com"] == (
        RecipientState.SKIPPED,
        SkipReason.SUPPRESSED,
    )


def test_a_bounce_reported_to_the_mail_app_is_skipped_too(smtp_server) -> None:
    # The e-mail delivery service reports through the agents' API into bungu.mail's list.
    CustomerFactory(email="fine@example.com")
    CustomerFactory(email="Hard@Example.com")
    campaign = _start()
    mail_services.suppress_address(
        address="hard@example.com", kind=SuppressionKind.BOUNCE, source="agent:mail_delivery"
    )

    send_due_campaigns()

    assert _received(smtp_server) == ["fine@example.com"]
    assert _rows(campaign)["Hard@Example.com"] == (
        RecipientState.SKIPPED,
        SkipReason.SUPPRESSED,
    )


def test_a_suppression_expires_and_never_stores_the_address() -> None:
    suppress_address(address="gone@example.com", reason="complaint", source="api", days=1)
    assert is_suppressed("gone@example.com")
    assert not is_suppressed("gone@example.com", now=timezone.now() + datetime.timedelta(days=2))
    assert "gone" not in str(list(Suppression.objects.values_list()))


def test_p25_a_customer_who_joined_under_a_notice_without_marketing_is_skipped(
    smtp_server,
) -> None:
    # v2 (three weeks ago) drops marketing e-mail; v3 (today) brings it back.
    publish(2, WITHOUT_MARKETING, days_ago=21)
    publish(3, Notice.objects.get(version=1).practices)
    CustomerFactory(
        email="old@example.com", date_joined=timezone.now() - datetime.timedelta(days=30)
    )
    CustomerFactory(
        email="v2@example.com", date_joined=timezone.now() - datetime.timedelta(days=10)
    )
    campaign = _start()

    send_due_campaigns()

    assert _received(smtp_server) == ["old@example.com"]
    assert _rows(campaign)["v2@example.com"] == (RecipientState.SKIPPED, SkipReason.NOTICE)
    row = CampaignRecipient.objects.get(campaign=campaign, customer__email="v2@example.com")
    assert "collected under v2" in row.last_error


def test_a_dead_workers_claim_is_taken_over_once_its_lease_runs_out(smtp_server) -> None:
    for n in range(5):
        CustomerFactory(email=f"c{n}@example.com")
    campaign = _start()
    now = timezone.now()
    # A worker claimed three and died before sending any.
    dead = sending.claim_batch(campaign_id=campaign.pk, owner="dead/1", now=now, size=3)
    assert len(dead) == 3

    # While its lease holds, another worker sends only the other two.
    live = sending.claim_batch(campaign_id=campaign.pk, owner="live/1", now=now, size=10)
    assert len(live) == 2
    assert not set(live) & set(dead)
    sending.release(owner="live/1", ids=live)
    send_due_campaigns()
    assert len(smtp_server.messages) == 2
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.SENDING

    # Its lease over, the rows are claimed again and sent, each once.
    CampaignRecipient.objects.filter(pk__in=dead).update(
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    send_due_campaigns()
    assert _received(smtp_server) == [f"c{n}@example.com" for n in range(5)]
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DONE


def test_a_claimed_row_is_not_claimed_twice() -> None:
    CustomerFactory()
    campaign = _start()
    now = timezone.now()
    assert len(sending.claim_batch(campaign_id=campaign.pk, owner="a/1", now=now, size=5)) == 1
    assert sending.claim_batch(campaign_id=campaign.pk, owner="b/1", now=now, size=5) == []


def test_repeated_errors_pause_the_campaign_by_itself(smtp_server) -> None:
    for n in range(6):
        CustomerFactory(email=f"c{n}@example.com")
    campaign = _start(max_consecutive_errors=3)
    smtp_server.refuse("451 4.3.0 Try again later")

    tally = send_due_campaigns()

    campaign.refresh_from_db()
    assert campaign.state == CampaignState.PAUSED
    assert "3 errors in a row" in campaign.pause_reason
    assert (tally.sent, tally.retried) == (0, 3)
    progress = services.campaign_progress(campaign)
    assert (progress.sent, progress.remaining) == (0, 6)

    # Resumed once the server is well again: everyone gets it (the retried ones when their
    # pause is over).
    smtp_server.refuse(None)
    CampaignRecipient.objects.update(lease_expires_at=timezone.now())
    services.resume_campaign(campaign_id=campaign.pk)
    send_due_campaigns()
    assert _received(smtp_server) == [f"c{n}@example.com" for n in range(6)]


def test_a_permanent_refusal_fails_that_recipient_only(smtp_server) -> None:
    CustomerFactory(email="a@example.com")
    campaign = _start()
    smtp_server.refuse("550 5.1.1 No such mailbox")

    send_due_campaigns()

    assert _rows(campaign) == {"a@example.com": (RecipientState.FAILED, "")}
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DONE


def test_a_paused_campaign_sends_nothing_until_resumed(smtp_server) -> None:
    CustomerFactory()
    campaign = _start()
    services.pause_campaign(campaign_id=campaign.pk)

    send_due_campaigns()
    assert smtp_server.messages == []

    services.resume_campaign(campaign_id=campaign.pk)
    send_due_campaigns()
    assert len(smtp_server.messages) == 1


def test_a_cancelled_campaign_sends_nothing(smtp_server) -> None:
    CustomerFactory()
    campaign = _start()
    services.cancel_campaign(campaign_id=campaign.pk)

    send_due_campaigns()

    assert smtp_server.messages == []
    assert services.campaign_progress(campaign).remaining == 1


def test_a_scheduled_campaign_starts_when_its_time_comes(smtp_server) -> None:
    CustomerFactory()
    campaign = CampaignFactory()
    at = timezone.now() + datetime.timedelta(hours=1)
    services.schedule_campaign(campaign_id=campaign.pk, send_at=at)

    send_due_campaigns()
    assert smtp_server.messages == []

    send_due_campaigns(now=at + datetime.timedelta(seconds=1))
    assert len(smtp_server.messages) == 1


def test_without_smtp_the_messages_wait_in_the_outbox() -> None:
    CustomerFactory(email="a@example.com")
    campaign = _start()

    send_due_campaigns()

    message = OutboxMessage.objects.get()
    assert (message.to_address, message.kind) == ("a@example.com", "marketing.campaign")
    assert _rows(campaign) == {"a@example.com": (RecipientState.SENT, "")}
