"""P7, P14, P25: the shipped notice v2 declares open confirmations of partner offers, and
nothing else new; the owner publishes it through the engine's checks (the comparison with v1
confirmed), and addresses given under v1 stay under v1 until their owner agrees to v2."""

from __future__ import annotations

import datetime
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from bungu import privacy
from bungu.mail.kinds import Category
from bungu.mail.preferences import set_preferences
from bungu.privacy.models import Notice
from bungu.privacy.notices.practices import ChangeKind
from bungu.privacy.notices.publishing import shipped_notice
from tests.accounts.factories import CustomerFactory
from tests.privacy.factories import V1_PRACTICES, V2_PRACTICES

pytestmark = pytest.mark.django_db

PARTNER_OFFERS = "marketing.advertising.partner_offers"
PARTNER_PRACTICE = f"{PARTNER_OFFERS}@shop"


def publish_v2() -> Notice:
    return privacy.publish_shipped_notice(
        version=2, effective=timezone.localdate(), confirmed_less_protective=True
    )


def test_p25_v2_differs_from_v1_only_in_noting_opens_of_partner_offers() -> None:
    comparison = privacy.compare_notices(
        Notice(version=1, practices=V1_PRACTICES), Notice(version=2, practices=V2_PRACTICES)
    )

    assert [(c.kind, c.practice, c.detail) for c in comparison.changes] == [
        (ChangeKind.FLAG_ADDED, PARTNER_PRACTICE, "now records whether e-mails are opened")
    ]
    assert comparison.less_protective
    practice = privacy.parse_practices(V2_PRACTICES).get(PARTNER_PRACTICE)
    assert practice is not None
    assert (practice.open_tracking, practice.choice) == (True, privacy.Choice.OPT_OUT)
    # The mail delivery agent carries the offers; it notes nothing.
    agent = privacy.parse_practices(V2_PRACTICES).get(f"{PARTNER_OFFERS}@agent:mail_delivery")
    assert agent is not None
    assert agent.open_tracking is False


def test_p7_p14_v2s_words_say_it() -> None:
    text, practices = shipped_notice(2)
    assert practices == V2_PRACTICES
    assert "the offers we send on behalf of other" in text
    assert "how many were opened" in text
    with pytest.raises(FileNotFoundError):
        shipped_notice(99)


def test_p25_v2_is_refused_without_the_confirmation_and_nothing_is_published() -> None:
    with pytest.raises(privacy.LessProtectiveUnconfirmed):
        privacy.publish_shipped_notice(version=2, effective=timezone.localdate())
    assert list(Notice.objects.values_list("version", flat=True)) == [1]


def test_the_command_shows_the_change_and_asks_for_the_confirmation(capsys) -> None:
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    with pytest.raises(CommandError, match="--confirm-less-protective"):
        call_command("privacy", "publish-notice", "2", "--effective", tomorrow)
    out = capsys.readouterr().out
    assert f"[LESS PROTECTIVE] {PARTNER_PRACTICE}: now records whether e-mails are opened" in out
    assert not Notice.objects.filter(version=2).exists()

    call_command(
        "privacy", "publish-notice", "2", "--effective", tomorrow, "--confirm-less-protective"
    )
    assert f"Published notice v2, in force from {tomorrow}." in capsys.readouterr().out
    notice = Notice.objects.get(version=2)
    assert (notice.practices, notice.effective.isoformat()) == (V2_PRACTICES, tomorrow)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["2", "--effective", "soon"], "is not a date"),
        (["7", "--effective", "2030-01-01"], "ships no notice version 7"),
        (["2", "--effective", "2020-01-01", "--confirm-less-protective"], "in the past"),
        (["1", "--effective", "2030-01-01"], "Not published"),
    ],
)
def test_the_command_refuses_bad_input_with_the_reason(arguments, message) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("privacy", "publish-notice", *arguments)
    assert list(Notice.objects.values_list("version", flat=True)) == [1]


def _ask(customer) -> privacy.Decision:  # type: ignore[no-untyped-def]
    return privacy.may_record_opens(
        subject=customer, purpose=PARTNER_OFFERS, collected_at=customer.date_joined
    )


def test_p7_under_v1_opens_of_partner_offers_are_never_recorded() -> None:
    customer = CustomerFactory()
    privacy.set_open_recording(subject=customer, allowed=True, method="form")

    decision = _ask(customer)

    assert (decision.allowed, decision.reason) == (
        False,
        "The notice that binds your address does not record opens.",
    )


def test_p7_p25_under_v2_the_same_choice_decides_for_an_address_given_under_v2() -> None:
    publish_v2()
    customer = CustomerFactory(date_joined=timezone.now())

    assert _ask(customer).allowed is True
    privacy.set_open_recording(subject=customer, allowed=False, method="form")
    assert _ask(customer).allowed is False
    # The one switch: marketing e-mail's opens stop too.
    assert not privacy.may_record_opens(
        subject=customer, purpose="marketing.communications.email", collected_at=timezone.now()
    )


def test_p7_p25_an_address_given_under_v1_needs_its_owners_yes_to_v2() -> None:
    publish_v2()
    customer = CustomerFactory(date_joined=timezone.now() - datetime.timedelta(days=3))

    refused = _ask(customer)
    assert (refused.allowed, refused.reason) == (
        False,
        "The notice that binds your address does not record opens.",
    )
    # P24, P25: v2 is less protective for them, so they are asked.
    assert privacy.notice_awaiting_answer(subject=customer) == Notice.objects.get(version=2)

    privacy.answer_notice(subject=customer, notice_version=2, accept=False)
    assert _ask(customer).allowed is False
    privacy.answer_notice(subject=customer, notice_version=2, accept=True)
    assert _ask(customer).allowed is True


def test_p7_gpc_turns_opens_of_partner_offers_off_too() -> None:
    publish_v2()
    customer = CustomerFactory(date_joined=timezone.now())
    privacy.record_gpc_signal(subject=customer)

    assert _ask(customer).allowed is False
    privacy.set_open_recording(subject=customer, allowed=True, method="form")
    assert _ask(customer).allowed is True


def test_p7_my_data_says_whether_opens_of_partner_offers_are_noted(client) -> None:
    old = CustomerFactory(date_joined=timezone.now() - datetime.timedelta(days=3))
    client.force_login(old)
    page = client.get("/privacy/my-data/").content.decode()
    assert (
        "We do not note when you open the offers we send on behalf of other businesses: "
        "The notice that binds your address does not record opens." in page
    )

    publish_v2()
    new = CustomerFactory(date_joined=timezone.now())
    client.force_login(new)
    page = client.get("/privacy/my-data/").content.decode()
    assert "We note it too for the offers we send on behalf of other businesses" in page


def test_p25_turning_partner_offers_on_under_v2_is_a_consent_to_v2s_practice() -> None:
    """The engine's rule for a practice consent, pinned: a customer of v1 who turns partner
    offers off and on again while v2 is in force has agreed to v2's practice, open
    confirmations included (the e-mail choices page points to that switch beside it)."""
    publish_v2()
    customer = CustomerFactory(date_joined=timezone.now() - datetime.timedelta(days=3))
    assert _ask(customer).allowed is False

    set_preferences(user=customer, choices={Category.PARTNER_OFFERS: False}, method="form")
    assert _ask(customer).allowed is False
    set_preferences(user=customer, choices={Category.PARTNER_OFFERS: True}, method="form")

    decision = _ask(customer)
    assert (decision.allowed, decision.basis_version) == (True, 2)
