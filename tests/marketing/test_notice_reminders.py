"""P24 notice reminders as a campaign kind: started once per version (by the periodic job or
a command) for the customers who have not answered it, sent by the campaign machinery
(leases, progress, resumption, rate limits), and refused for other reasons than marketing:
a service message that marketing preferences, GPC and comparison lists do not stop, that the
customer's own switch for notice e-mail (P21) and bounces or complaints do."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from bungu import privacy
from bungu.mail import services as mail_services
from bungu.mail.kinds import Category
from bungu.mail.models import SuppressionKind
from bungu.mail.preferences import set_preferences
from bungu.marketing import services
from bungu.marketing.eligibility import refusals_for
from bungu.marketing.exceptions import UnknownNotice
from bungu.marketing.kinds import RULES
from bungu.marketing.models import (
    Campaign,
    CampaignKind,
    CampaignRecipient,
    CampaignState,
    RecipientState,
    SkipReason,
)
from bungu.marketing.runner import send_due_campaigns
from bungu.marketing.suppressions import suppress_address
from bungu.privacy.models import NoticeReminder
from tests.accounts.factories import CustomerFactory
from tests.backoffice.factories import staff_member
from tests.privacy.factories import AFFILIATE_RECOMMENDATIONS, V1_PRACTICES, at

pytestmark = pytest.mark.django_db

JOINED_UNDER_V1 = at(2026, 11, 10)


def _customer(email: str, **fields: object) -> Any:
    return CustomerFactory(email=email, date_joined=JOINED_UNDER_V1, **fields)


def _v2(practices: str = V1_PRACTICES + AFFILIATE_RECOMMENDATIONS) -> Any:
    return privacy.publish_notice(
        effective=timezone.localdate(),
        text="## Version two",
        practices=practices,
        confirmed_less_protective=True,
    )


def _received(smtp_server: Any) -> dict[str, Any]:
    return {address: mail for mail in smtp_server.messages for address in mail.rcpt_tos}


def test_p24_reminders_go_once_and_respect_the_legal_notice_choice(smtp_server) -> None:
    keen = _customer("keen@example.com")
    quiet = _customer("quiet@example.com")
    set_preferences(user=quiet, choices={Category.LEGAL: False}, method="form")
    v2 = _v2()
    CustomerFactory(email="new@example.com", date_joined=timezone.now() + datetime.timedelta(1))

    campaign = services.start_notice_reminders(notice_version=v2.version)
    assert campaign is not None
    assert services.start_notice_reminders(notice_version=v2.version) is None
    send_due_campaigns()
    send_due_campaigns()

    received = _received(smtp_server)
    assert set(received) == {"keen@example.com"}  # once, and not the newcomer
    assert len(smtp_server.messages) == 1
    mail = received["keen@example.com"]
    assert "our privacy notice is changing" in str(mail["Subject"])
    # v2 is less protective for data held under v1: this reminder asks for an answer.
    assert "/privacy/consent/" in mail.text
    assert "e-mail about changes to our privacy notice" in mail.text
    # P21: its one-click unsubscribe stops notice e-mail, not marketing.
    assert "/mail/unsubscribe/" in str(mail["List-Unsubscribe"])
    # P21: the customer who stopped legal-notice e-mail is not sent it; the notice applies.
    rows = {r.customer_id: r for r in CampaignRecipient.objects.filter(campaign=campaign)}
    assert rows[keen.pk].state == RecipientState.SENT
    assert (rows[quiet.pk].state, rows[quiet.pk].skip_reason) == (
        RecipientState.SKIPPED,
        SkipReason.PREFERENCES,
    )
    assert NoticeReminder.objects.filter(notice=v2).count() == 2
    assert {keen.pk, quiet.pk} == set(NoticeReminder.objects.values_list("subject_id", flat=True))
    campaign.refresh_from_db()
    assert (campaign.kind, campaign.state) == (CampaignKind.NOTICE_REMINDER, CampaignState.DONE)
    assert Campaign.objects.count() == 1


def test_p24_a_version_that_protects_no_less_announces_without_asking(smtp_server) -> None:
    _customer("keen@example.com")
    v2 = _v2(V1_PRACTICES)

    services.start_notice_reminders(notice_version=v2.version)
    send_due_campaigns()

    mail = _received(smtp_server)["keen@example.com"]
    assert "/privacy/" in mail.text
    assert "/privacy/consent/" not in mail.text


def test_p24_customers_who_answered_the_notice_are_not_reminded(smtp_server) -> None:
    answered = _customer("answered@example.com")
    _customer("open@example.com")
    v2 = _v2()
    privacy.answer_notice(subject=answered, notice_version=v2.version, accept=False)

    campaign = services.start_notice_reminders(notice_version=v2.version)
    send_due_campaigns()

    assert campaign is not None
    assert list(campaign.recipients.values_list("customer__email", flat=True)) == [
        "open@example.com"
    ]
    assert set(_received(smtp_server)) == {"open@example.com"}


def test_p24_nobody_to_remind_starts_no_campaign() -> None:
    v2 = _v2()  # everyone joined after it, or there is nobody

    assert services.start_notice_reminders(notice_version=v2.version) is None
    assert Campaign.objects.count() == 0


def test_a_reminder_of_an_unknown_version_is_refused_and_changes_nothing() -> None:
    _customer("keen@example.com")
    with pytest.raises(UnknownNotice, match="There is no notice version 9"):
        services.start_notice_reminders(notice_version=9)
    with pytest.raises(CommandError, match="There is no notice version 9"):
        call_command("remind_notice", "9", stdout=StringIO())
    assert Campaign.objects.count() == 0
    assert NoticeReminder.objects.count() == 0


def test_the_commands_start_the_reminder_campaign_once() -> None:
    _customer("keen@example.com")
    v2 = _v2()
    out = StringIO()

    call_command("privacy", "send-notice-reminders", str(v2.version), stdout=out)
    call_command("remind_notice", str(v2.version), stdout=out)

    campaign = Campaign.objects.get()
    assert out.getvalue().splitlines() == [
        f"Started campaign #{campaign.pk}: 1 reminder(s) of version {v2.version}.",
        f"Nobody is left to remind of version {v2.version}.",
    ]


# ---------------------------------------------------------------- what each kind honours
def _the_refused() -> dict[str, Any]:
    """One customer refused by each check (and one refused by none)."""
    people = {
        name: _customer(f"{name}@example.com")
        for name in ("plain", "no_marketing", "no_notices", "gpc", "listed", "bounced")
    }
    set_preferences(user=people["no_marketing"], choices={Category.MARKETING: False}, method="form")
    set_preferences(user=people["no_notices"], choices={Category.LEGAL: False}, method="form")
    privacy.record_gpc_signal(subject=people["gpc"])
    suppress_address(address="listed@example.com", reason="list match", source="agreement #1")
    mail_services.suppress_address(
        address="bounced@example.com", kind=SuppressionKind.BOUNCE, source="dsn"
    )
    return people


def _reasons(people: dict[str, Any], kind: str) -> dict[str, str]:
    refusals = refusals_for(list(people.values()), now=timezone.now(), kind=kind)
    return {
        name: (refusal.reason if (refusal := refusals[c.pk]) is not None else "")
        for name, c in people.items()
    }


def test_p24_a_reminder_is_a_service_message_marketing_choices_and_gpc_do_not_stop() -> None:
    people = _the_refused()

    assert _reasons(people, CampaignKind.NOTICE_REMINDER) == {
        "plain": "",
        "no_marketing": "",
        "no_notices": SkipReason.PREFERENCES,
        "gpc": "",
        "listed": "",
        "bounced": SkipReason.SUPPRESSED,
    }


def test_p17_p21_a_marketing_campaign_is_stopped_by_every_one_of_them() -> None:
    """The control of the test above: the same customers, refused as marketing."""
    people = _the_refused()

    assert _reasons(people, CampaignKind.MARKETING) == {
        "plain": "",
        "no_marketing": SkipReason.PREFERENCES,
        "no_notices": "",
        "gpc": SkipReason.GPC,
        "listed": SkipReason.SUPPRESSED,
        "bounced": SkipReason.SUPPRESSED,
    }


def test_the_kinds_differ_only_in_what_they_declare() -> None:
    reminder, marketing = RULES[CampaignKind.NOTICE_REMINDER], RULES[CampaignKind.MARKETING]
    assert (reminder.category, reminder.honours_gpc, reminder.honours_list_matches) == (
        Category.LEGAL,
        False,
        False,
    )
    assert (marketing.category, marketing.honours_gpc, marketing.honours_list_matches) == (
        Category.MARKETING,
        True,
        True,
    )


def test_p24_end_to_end_the_reminder_reaches_the_service_recipients_only(smtp_server) -> None:
    _the_refused()
    v2 = _v2()

    services.start_notice_reminders(notice_version=v2.version)
    send_due_campaigns()

    assert set(_received(smtp_server)) == {
        "plain@example.com",
        "no_marketing@example.com",
        "gpc@example.com",
        "listed@example.com",
    }


# ---------------------------------------------------------------- the back office
def test_staff_follow_a_reminder_campaign_s_progress(client: Any, smtp_server) -> None:
    _customer("keen@example.com")
    quiet = _customer("quiet@example.com")
    set_preferences(user=quiet, choices={Category.LEGAL: False}, method="form")
    campaign = services.start_notice_reminders(notice_version=_v2().version)
    assert campaign is not None
    send_due_campaigns()
    client.force_login(staff_member("Marketing"))

    response = client.get(reverse("marketing:campaign", args=[campaign.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Reminder of notice version 2" in page
    assert "turned off this kind of e-mail" in page
    assert "our privacy notice is changing" in page  # the preview
