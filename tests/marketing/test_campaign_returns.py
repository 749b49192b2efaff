"""P21, issue 13: bounces and complaints of campaign mail (sent on marketing's own SMTP path,
not through the outbox) suppress the address, by the return tag in the Message-ID; a report
whose tag does not fit the address it names is refused. Real campaigns to the loopback SMTP
server, reports built from the messages it received, read by ``bungu mail read-returns``."""

from __future__ import annotations

import mailbox
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from bungu.mail import jobs, services as mail_services
from bungu.mail.models import MailSuppression, State, SuppressionKind
from bungu.mail.returns import Outcome, read_returns
from bungu.marketing import services
from bungu.marketing.models import CampaignRecipient, RecipientState, SkipReason
from bungu.marketing.runner import send_due_campaigns
from tests.accounts.factories import CustomerFactory
from tests.api.factories import bearer, token_for
from tests.mail import returned
from tests.mail.factories import OutboxMessageFactory

from .factories import CampaignFactory

pytestmark = pytest.mark.django_db


def _send_campaign() -> int:
    campaign = CampaignFactory()
    services.start_campaign(campaign_id=campaign.pk)
    send_due_campaigns()
    return int(campaign.pk)


def _message_id(smtp_server: Any, address: str) -> str:
    """The Message-ID of the one message the server received for the address."""
    (mail,) = [m for m in smtp_server.messages if address in m.rcpt_tos]
    return str(mail["Message-ID"])


def _mbox(tmp_path: Path, *messages: str) -> Path:
    path = tmp_path / "returns.mbox"
    box = mailbox.mbox(path)
    for text in messages:
        box.add(text)
    box.close()
    return path


def _tampered(message_id: str) -> str:
    head, _, rest = message_id.partition(".rt-")
    return f"{head}.rt-{'b' if rest[0] == 'a' else 'a'}{rest[1:]}"


def _states(campaign_id: int) -> dict[str, tuple[str, str]]:
    rows = CampaignRecipient.objects.filter(campaign_id=campaign_id).select_related("customer")
    return {row.customer.email: (row.state, row.skip_reason) for row in rows}


@pytest.mark.parametrize("shape", [returned.postfix_bounce, returned.gmail_bounce])
def test_p21_a_bounce_of_a_campaign_message_suppresses_it_and_the_next_campaign_skips_it(
    smtp_server, tmp_path, shape
) -> None:
    hana = CustomerFactory(email="hana@example.com")
    CustomerFactory(email="ken@example.com")
    _send_campaign()
    message_id = _message_id(smtp_server, "hana@example.com")
    out = StringIO()

    call_command(
        "mail",
        "read-returns",
        str(_mbox(tmp_path, shape(to="hana@example.com", message_id=message_id))),
        "--quiet",
        stdout=out,
    )

    assert out.getvalue().strip() == (
        "bounces: 1, complaints: 0, transient: 0, not ours: 0, refused: 0, ignored: 0,"
        " unreadable: 0; new suppressions: 1"
    )
    suppression = MailSuppression.objects.get()
    assert (suppression.address, suppression.kind) == ("hana@example.com", SuppressionKind.BOUNCE)
    assert suppression.recipient_id == hana.pk
    assert message_id in suppression.detail
    assert "5.1.1" in suppression.detail
    assert "private letter" not in suppression.detail
    # The next campaign skips the address, and still goes to the others.
    smtp_server.messages.clear()
    second = _send_campaign()
    assert _states(second) == {
        "hana@example.com": (RecipientState.SKIPPED, SkipReason.SUPPRESSED),
        "ken@example.com": (RecipientState.SENT, ""),
    }
    assert [m.rcpt_tos for m in smtp_server.messages] == [["ken@example.com"]]


def test_p21_the_returns_job_suppresses_a_bounced_campaign_address(
    smtp_server, tmp_path, settings
) -> None:
    CustomerFactory(email="hana@example.com")
    _send_campaign()
    box = mailbox.Maildir(tmp_path / "Returns")
    box.add(
        returned.postfix_bounce(
            to="hana@example.com", message_id=_message_id(smtp_server, "hana@example.com")
        )
    )
    settings.BUNGU_RETURNS_MAILBOX = str(tmp_path / "Returns")

    summary = jobs.read_returned_mail(now=timezone.now())

    assert "bounces: 1" in summary
    assert mail_services.is_suppressed("hana@example.com")


def test_p21_a_complaint_about_a_campaign_message_suppresses_it_as_a_complaint(
    smtp_server, tmp_path
) -> None:
    CustomerFactory(email="hana@example.com")
    CustomerFactory(email="ken@example.com")
    _send_campaign()
    message_id = _message_id(smtp_server, "hana@example.com")

    report = read_returns(
        _mbox(tmp_path, returned.arf_complaint(to="Hana@Example.com", message_id=message_id))
    )

    assert (report.counts[Outcome.COMPLAINT], report.new_suppressions) == (1, 1)
    suppression = MailSuppression.objects.get()
    assert (suppression.address, suppression.kind) == (
        "hana@example.com",
        SuppressionKind.COMPLAINT,
    )
    smtp_server.messages.clear()
    second = _send_campaign()
    assert _states(second)["hana@example.com"] == (RecipientState.SKIPPED, SkipReason.SUPPRESSED)


def test_p21_a_soft_bounce_of_a_campaign_message_is_only_counted(smtp_server, tmp_path) -> None:
    CustomerFactory(email="hana@example.com")
    _send_campaign()
    message_id = _message_id(smtp_server, "hana@example.com")
    failed_4xx = (
        returned.postfix_bounce(to="hana@example.com", message_id=message_id)
        .replace("Status: 5.1.1", "Status: 4.2.2")
        .replace("550 5.1.1", "452 4.2.2")
    )

    report = read_returns(
        _mbox(tmp_path, returned.delay(to="hana@example.com", message_id=message_id), failed_4xx)
    )

    assert report.counts[Outcome.TRANSIENT] == 2
    assert not MailSuppression.objects.exists()


def test_p21_a_tampered_tag_or_another_recipient_is_refused_and_suppresses_nothing(
    smtp_server, tmp_path
) -> None:
    CustomerFactory(email="hana@example.com")
    CustomerFactory(email="ken@example.com")
    _send_campaign()
    hanas = _message_id(smtp_server, "hana@example.com")
    # Ken read the Message-ID of his own copy and points it at Hana; or changes Hana's tag.
    kens = _message_id(smtp_server, "ken@example.com")

    report = read_returns(
        _mbox(
            tmp_path,
            returned.postfix_bounce(to="hana@example.com", message_id=kens),
            returned.postfix_bounce(to="hana@example.com", message_id=_tampered(hanas)),
            returned.arf_complaint(to="hana@example.com", message_id=kens),
        )
    )

    assert report.counts[Outcome.REFUSED] == 3
    assert report.counts[Outcome.BOUNCE] == report.counts[Outcome.COMPLAINT] == 0
    assert not MailSuppression.objects.exists()
    assert all("the quoted Message-ID was not sent to" in line for line in report.lines)
    smtp_server.messages.clear()
    second = _send_campaign()
    assert {state for state, _ in _states(second).values()} == {RecipientState.SENT}
    # Positive control: Hana's own untouched Message-ID is believed.
    believed = read_returns(
        _mbox(tmp_path, returned.postfix_bounce(to="hana@example.com", message_id=hanas))
    )
    assert believed.counts[Outcome.BOUNCE] == 1


def test_p21_an_outbox_bounce_still_suppresses_beside_a_campaign_one(smtp_server, tmp_path) -> None:
    CustomerFactory(email="hana@example.com")
    _send_campaign()
    outbox = OutboxMessageFactory(
        to_address="ken@example.com", kind="marketing", state=State.SENT, sent_at=timezone.now()
    )

    report = read_returns(
        _mbox(
            tmp_path,
            returned.postfix_bounce(
                to="hana@example.com", message_id=_message_id(smtp_server, "hana@example.com")
            ),
            returned.postfix_bounce(to="ken@example.com", message_id=outbox.message_id),
        )
    )

    assert (report.counts[Outcome.BOUNCE], report.new_suppressions) == (2, 2)
    assert set(MailSuppression.objects.values_list("address", flat=True)) == {
        "hana@example.com",
        "ken@example.com",
    }
    assert f"#{outbox.pk}" in MailSuppression.objects.get(address="ken@example.com").detail


def test_p21_a_bounce_the_delivery_service_reports_by_api_stops_the_next_campaign(
    smtp_server, client: Client
) -> None:
    # The agents' API takes the address itself, not a Message-ID: campaign mail or not.
    CustomerFactory(email="hana@example.com")
    CustomerFactory(email="ken@example.com")
    _send_campaign()

    response = client.post(
        "/api/v1/mail/bounces",
        {"address": "hana@example.com", "detail": "550 5.1.1 no such user"},
        content_type="application/json",
        headers=bearer(token_for("mail_delivery")),
    )

    assert response.status_code == 201
    second = _send_campaign()
    assert _states(second) == {
        "hana@example.com": (RecipientState.SKIPPED, SkipReason.SUPPRESSED),
        "ken@example.com": (RecipientState.SENT, ""),
    }
