"""P17, P21: a choice made while a campaign is being sent stops the messages not yet written.

The checks are read for each batch just before it is sent (a batch is at most a quarter of
a second of the campaign's rate), and read again before a message once they are older than
``sending.MAX_CHECK_AGE``. So a change committed that long before a message is handed to the
server always stops it; one committed in the last ``MAX_CHECK_AGE`` may not. A hook in the
delivery of the first message makes the change, between the claim and the send of the next.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.base_user import AbstractBaseUser

from bungu.mail import services as mail_services
from bungu.mail.kinds import Category
from bungu.mail.models import SuppressionKind
from bungu.mail.preferences import set_preferences
from bungu.mail.tokens import make_unsubscribe_token
from bungu.marketing import sending, services
from bungu.marketing.models import (
    Campaign,
    CampaignRecipient,
    CampaignState,
    RecipientState,
    SkipReason,
)
from bungu.marketing.pacing import Pace
from tests.accounts.factories import CustomerFactory

from .factories import CampaignFactory

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _turn_marketing_off(customer: AbstractBaseUser) -> None:
    set_preferences(user=customer, choices={Category.MARKETING: False}, method="form")


def _unsubscribe(customer: AbstractBaseUser) -> None:
    token = make_unsubscribe_token(user_id=int(customer.pk), category=Category.MARKETING)
    mail_services.unsubscribe(token=token)


def _suppress(customer: AbstractBaseUser) -> None:
    mail_services.suppress_address(
        address=str(customer.email), kind=SuppressionKind.COMPLAINT, source="agent:mail_delivery"
    )


CHANGES = {
    "marketing switched off": (_turn_marketing_off, SkipReason.PREFERENCES),
    "one-click unsubscribe": (_unsubscribe, SkipReason.PREFERENCES),
    "complaint suppressed": (_suppress, SkipReason.SUPPRESSED),
}


def _send_changing_on_first_delivery(
    monkeypatch: pytest.MonkeyPatch,
    *,
    rate: int,
    change: Callable[[AbstractBaseUser], None],
    clock: Clock | None = None,
    after: Callable[[], None] = lambda: None,
) -> tuple[Campaign, list[str]]:
    """Three customers; as the first message is handed over, the second one's change is made
    (and ``after`` runs). Returns the campaign and who was written to."""
    first, second, third = (
        CustomerFactory(email=f"{name}@example.com") for name in ("a", "b", "c")
    )
    campaign = CampaignFactory(rate_per_minute=rate)
    services.start_campaign(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    written: list[str] = []
    deliver = sending.deliver

    def deliver_and_change(recipient: CampaignRecipient, **kwargs: object) -> None:
        written.append(recipient.customer.email)
        if recipient.customer_id == first.pk:
            change(second)
            after()
        deliver(recipient, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sending, "deliver", deliver_and_change)
    clock = clock or Clock()
    pace = Pace(campaign.pk, size=sending.batch_size(campaign), clock=clock, sleep=clock.sleep)
    tally = sending.send_campaign(campaign, worker="w", pace=pace)
    assert tally.sent + tally.skipped == 3
    assert third.pk
    return campaign, written


@pytest.mark.parametrize("name", list(CHANGES))
def test_a_change_made_while_an_earlier_batch_goes_out_stops_a_later_batchs_message(
    monkeypatch: pytest.MonkeyPatch, smtp_server, name: str
) -> None:
    change, reason = CHANGES[name]
    # 240 a minute: a batch of one (a quarter of a second), each checked when it is sent.
    campaign, written = _send_changing_on_first_delivery(monkeypatch, rate=240, change=change)

    assert written == ["a@example.com", "c@example.com"]
    assert sorted(a for m in smtp_server.messages for a in m.rcpt_tos) == written
    row = CampaignRecipient.objects.get(campaign=campaign, customer__email="b@example.com")
    assert (row.state, row.skip_reason) == (RecipientState.SKIPPED, reason)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DONE


@pytest.mark.parametrize("name", list(CHANGES))
def test_a_change_older_than_max_check_age_stops_a_message_of_the_same_batch(
    monkeypatch: pytest.MonkeyPatch, smtp_server, name: str
) -> None:
    change, reason = CHANGES[name]
    clock = Clock()
    # 600,000 a minute: all three in one batch, checked once before its first message; the
    # first message takes longer than MAX_CHECK_AGE (a slow server).
    campaign, written = _send_changing_on_first_delivery(
        monkeypatch,
        rate=600_000,
        change=change,
        clock=clock,
        after=lambda: clock.sleep(sending.MAX_CHECK_AGE + 0.01),
    )

    assert written == ["a@example.com", "c@example.com"]
    row = CampaignRecipient.objects.get(campaign=campaign, customer__email="b@example.com")
    assert (row.state, row.skip_reason) == (RecipientState.SKIPPED, reason)


def test_within_max_check_age_the_checks_of_the_batch_stand(
    monkeypatch: pytest.MonkeyPatch, smtp_server
) -> None:
    # The window, stated: a change in the last MAX_CHECK_AGE before a message of the same
    # batch is written may not stop it (reading every check again per message would cost
    # several queries a message).
    _, written = _send_changing_on_first_delivery(
        monkeypatch, rate=600_000, change=_turn_marketing_off
    )

    assert written == ["a@example.com", "b@example.com", "c@example.com"]


def test_a_worker_whose_campaign_another_worker_paused_stops_at_its_next_error(
    smtp_server,
) -> None:
    CustomerFactory.create_batch(5)
    campaign = CampaignFactory(max_consecutive_errors=3)
    services.start_campaign(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    ids = sending.claim_batch(
        campaign_id=campaign.pk, owner="late", now=campaign.created_at, size=5
    )
    pace = Pace(campaign.pk, size=5, sleep=lambda _: None)
    assert pace.draw()
    # Meanwhile the other workers' errors paused it.
    Campaign.objects.filter(pk=campaign.pk).update(
        state=CampaignState.PAUSED, consecutive_errors=3, pause_reason="Paused by itself"
    )
    smtp_server.refuse("451 4.3.0 Try again later")

    transport = sending.Transport()
    try:
        tally = sending.send_batch(campaign, ids=ids, owner="late", transport=transport, pace=pace)
    finally:
        transport.close()

    assert (tally.sent, tally.retried) == (0, 1)
    states = list(CampaignRecipient.objects.values_list("state", flat=True))
    assert sorted(states) == [RecipientState.CLAIMED] + [RecipientState.PENDING] * 4
    campaign.refresh_from_db()
    assert (campaign.state, campaign.consecutive_errors) == (CampaignState.PAUSED, 3)
