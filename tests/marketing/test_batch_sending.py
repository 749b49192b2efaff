"""Sending fast without weakening a check: the send-time checks read once per batch, the
message rendered once per campaign, each message still marked sent on its own."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bungu import privacy
from bungu.mail.kinds import Category
from bungu.mail.preferences import set_preferences
from bungu.marketing import sending, services
from bungu.marketing.content import PreparedMessage, render_message
from bungu.marketing.models import CampaignRecipient, RecipientQuerySet, RecipientState
from bungu.marketing.pacing import Pace
from bungu.marketing.suppressions import suppress_address, suppressed_among
from tests.accounts.factories import CustomerFactory

from .factories import CampaignFactory

pytestmark = pytest.mark.django_db


def _frozen_pace(campaign_id: int) -> Pace:
    """The campaign's schedule on a clock that stands still (no re-check for stale checks,
    whatever the machine's speed) and never sleeps."""
    return Pace(campaign_id, size=100, clock=lambda: 1_000_000.0, sleep=lambda _: None)


def _refused_three() -> None:
    """Three customers, each refused by another check (P21, P17, suppressed)."""
    stopped, signalled, bounced = CustomerFactory.create_batch(3)
    set_preferences(user=stopped, choices={Category.MARKETING: False}, method="form")
    privacy.record_gpc_signal(subject=signalled)
    suppress_address(address=bounced.email, reason="bounce", source="dsn")


def _queries_to_send(sendable: int) -> tuple[int, int]:
    """Queries to check and send one batch to every customer: ``sendable`` of them may be
    sent to, three are refused. Returns the queries and how many were sent."""
    campaign = CampaignFactory()
    services.start_campaign(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    ids = sending.claim_batch(campaign_id=campaign.pk, owner="w", now=timezone.now(), size=100)
    transport = sending.Transport()
    message = sending.prepare(campaign)
    try:
        with CaptureQueriesContext(connection) as queries:
            tally = sending.send_batch(
                campaign,
                ids=ids,
                owner="w",
                transport=transport,
                pace=_frozen_pace(campaign.pk),
                message=message,
            )
    finally:
        transport.close()
    assert (tally.sent, tally.skipped) == (sendable, 3)
    return len(queries), tally.sent


def test_queries_per_batch_do_not_grow_with_its_size_but_for_each_messages_update(
    smtp_server,
) -> None:
    # Under 20 messages, so the every-20-messages look at the campaign's state is not taken.
    _refused_three()
    CustomerFactory.create_batch(2)
    small, small_sent = _queries_to_send(2)
    CustomerFactory.create_batch(13)
    large, large_sent = _queries_to_send(15)

    assert large - small == large_sent - small_sent  # one UPDATE per message sent
    # The checks, the batch read, the P7 rule and the open records (3), the draw of sending
    # times (an UPDATE and a read, in a savepoint here: 4), one UPDATE per row.
    assert small <= 12 + small_sent + 3 + 4
    assert len(smtp_server.messages) == small_sent + large_sent


def test_each_message_is_marked_sent_on_its_own_after_the_server_accepted_it(
    smtp_server,
) -> None:
    CustomerFactory.create_batch(3)
    campaign = CampaignFactory()
    services.start_campaign(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    ids = sending.claim_batch(campaign_id=campaign.pk, owner="w", now=timezone.now(), size=100)

    transport = sending.Transport()
    try:
        with CaptureQueriesContext(connection) as queries:
            sending.send_batch(
                campaign, ids=ids, owner="w", transport=transport, pace=_frozen_pace(campaign.pk)
            )
    finally:
        transport.close()

    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    # The batch's sending times drawn from the campaign's schedule, then one per message.
    assert len(updates) == 1 + 3
    assert '"next_send_at"' in updates[0]
    assert all('"sent_at"' in sql for sql in updates[1:])
    assert set(CampaignRecipient.objects.values_list("state", flat=True)) == {RecipientState.SENT}


@pytest.mark.parametrize(
    "name",
    ["Hana", "", "   ", "<b>Tom & 'Jerry'</b>", 'Ké "Quoted"', "Two\nlines", "{{ name }}"],
)
def test_the_message_rendered_once_reads_as_the_one_rendered_per_customer(name: str) -> None:
    subject = "New inks for {{ name }} at {{ shop_name }}"
    body = "Dear {{ name }},\n\nThe inks are in at {{ shop_name }} & <elsewhere>.\nSee you"
    link = "https://shop.example/mail/unsubscribe/abc:def/?x=1&y=2"
    prepared = PreparedMessage.of(subject=subject, body=body, preferences_url="https://p/")

    once = prepared.for_customer(name=name, unsubscribe_url=link)
    each = render_message(
        subject=subject, body=body, name=name, unsubscribe_url=link, preferences_url="https://p/"
    )

    assert once == each
    assert prepared.name_marker not in once.html + once.text


def test_suppressed_among_reads_both_lists_once_for_the_whole_batch() -> None:
    suppress_address(address="Listed@Example.com", reason="list", source="match")
    addresses = [f"c{n}@example.com" for n in range(30)] + ["listed@example.com"]

    with CaptureQueriesContext(connection) as queries:
        found = suppressed_among(addresses)

    assert len(queries) == 2
    assert found == {"listed@example.com"}


def test_a_worker_that_lost_the_race_for_its_rows_claims_the_next_ones(monkeypatch) -> None:
    # SQLite: another worker claims the very rows this one chose between its SELECT and its
    # UPDATE. An empty claim would stop this worker while rows are still waiting.
    if connection.vendor != "sqlite":
        pytest.skip("the race of SELECT then UPDATE is SQLite's way to claim")
    CustomerFactory.create_batch(4)
    campaign = CampaignFactory()
    services.start_campaign(campaign_id=campaign.pk)
    update = RecipientQuerySet.update
    raced: list[list[int]] = []

    def racing_update(self: RecipientQuerySet, **fields: object) -> int:
        if fields.get("lease_owner") == "late" and not raced:
            raced.append(
                sending.claim_batch(
                    campaign_id=campaign.pk, owner="quick", now=timezone.now(), size=2
                )
            )
        return update(self, **fields)

    monkeypatch.setattr(RecipientQuerySet, "update", racing_update)
    late = sending.claim_batch(campaign_id=campaign.pk, owner="late", now=timezone.now(), size=2)

    assert len(raced[0]) == 2
    assert len(late) == 2
    assert not set(late) & set(raced[0])
