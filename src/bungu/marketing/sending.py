"""Sending a campaign: batches of recipients claimed with a lease, each message marked sent
as soon as the SMTP server has accepted it.

Why it survives a crash, a ``kill -9`` or a restart:

* the recipients are rows fixed when the campaign started, so none is added or forgotten;
* a worker claims a batch by setting a lease (owner and expiry) on rows that are waiting or
  whose lease has run out, with ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL and one
  conditional UPDATE on SQLite (whose writers take turns), so two live workers never hold
  the same row, and the rows of a dead one are claimed again once its lease is over;
* a row is marked sent, by one UPDATE outside any long transaction, right after the SMTP
  server accepted its message; a worker killed between the server's "250" and that UPDATE
  leaves one row to be sent again, with the same deterministic Message-ID, by which mail
  systems recognise the retry. No row is ever skipped.

The campaign's rate is kept by all its workers together (``pacing.py``): before it claims a
batch, a worker takes the batch's sending times from the campaign's row.
"""

from __future__ import annotations

import logging
import os
import secrets
import smtplib
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from bungu.mail import opens
from bungu.mail.delivery import describe, is_permanent
from bungu.mail.tokens import unsubscribe_urls

from .eligibility import Refusal, address_of, refusals_for
from .kinds import RULES
from .models import (
    MAX_ATTEMPTS,
    Campaign,
    CampaignKind,
    CampaignRecipient,
    CampaignState,
    RecipientState,
)
from .offer_sending import codes_for, offer_refusals
from .pacing import Pace, batch_size as batch_size_at
from .transport import CampaignMessage, Transport, deliver, prepare

logger = logging.getLogger(__name__)

# A recipient the SMTP server refused for now (4xx, or no answer) waits this long per
# attempt before it is claimable again.
RETRY_PAUSE = timedelta(seconds=30)
# The mail app's kind of a marketing campaign's messages (``kinds.py``).
OUTBOX_KIND = RULES[CampaignKind.MARKETING].mail_kind
# What ``CampaignRecipient.objects.filter(pk=..., lease_owner=...).update(...)`` writes,
# without building the query again for every message.
_MARK_SENT = (
    f'UPDATE "{CampaignRecipient._meta.db_table}" '  # noqa: S608 - the model's own table
    """SET "state" = %s, "sent_at" = %s, "lease_owner" = '', "last_error" = '' """
    'WHERE "id" = %s AND "lease_owner" = %s'
)
# How often a worker on SQLite tries again when other workers claimed every row it chose.
_SQLITE_CLAIM_TRIES = 5
# P17, P21, P25: a message goes only on checks read at most this many seconds before it is
# handed over; older ones are read again first. So a choice (marketing off, unsubscribe,
# GPC, a suppression) committed this long before a message is written always stops it.
MAX_CHECK_AGE = 0.5


def lease_length() -> timedelta:
    return timedelta(seconds=settings.BUNGU_CAMPAIGN_LEASE_SECONDS)


def new_worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"


def message_id_domain() -> str:
    """The domain of the campaigns' Message-IDs: the sender's."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"


# ---------------------------------------------------------------- claiming
def claim_batch(*, campaign_id: int, owner: str, now: datetime, size: int) -> list[int]:
    """Lease up to ``size`` claimable recipients of the campaign to ``owner`` (unique per
    claim) and return their ids, oldest first."""
    expires = now + lease_length()
    claimable = CampaignRecipient.objects.filter(campaign_id=campaign_id).claimable(now)
    claim = {
        "state": RecipientState.CLAIMED,
        "lease_owner": owner,
        "lease_expires_at": expires,
        "attempts": F("attempts") + 1,
    }
    if connection.vendor == "postgresql":
        with transaction.atomic():
            ids = list(
                claimable.order_by("pk")
                .select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", flat=True)[:size]
            )
            CampaignRecipient.objects.filter(pk__in=ids).update(**claim)
        return ids
    # SQLite: writers take turns, and the UPDATE re-checks that each row is still claimable,
    # so a row another worker claimed since the SELECT is left out. When another worker took
    # them all, the next ones are tried: an empty claim must mean that none is left.
    for _ in range(_SQLITE_CLAIM_TRIES):
        candidates = list(claimable.order_by("pk").values_list("pk", flat=True)[:size])
        if not candidates:
            return []
        CampaignRecipient.objects.filter(pk__in=candidates).claimable(now).update(**claim)
        ids = list(
            CampaignRecipient.objects.filter(pk__in=candidates, lease_owner=owner)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if ids:
            return ids
    return []


def release(*, owner: str, ids: list[int]) -> None:
    """Give back claimed rows that were not tried (the campaign was paused or cancelled)."""
    CampaignRecipient.objects.filter(
        pk__in=ids, lease_owner=owner, state=RecipientState.CLAIMED
    ).update(
        state=RecipientState.PENDING,
        lease_owner="",
        lease_expires_at=None,
        attempts=F("attempts") - 1,
    )


# ---------------------------------------------------------------- sending
@dataclass
class Tally:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retried: int = 0

    def add(self, other: Tally) -> None:
        self.sent += other.sent
        self.skipped += other.skipped
        self.failed += other.failed
        self.retried += other.retried

    def __str__(self) -> str:
        return (
            f"{self.sent} sent, {self.skipped} skipped, {self.failed} failed, "
            f"{self.retried} to retry"
        )


def _mark_sent(recipient_id: int, *, owner: str, at: datetime) -> None:
    """One row marked sent, by one UPDATE written once: the server has its message."""
    with connection.cursor() as cursor:
        cursor.execute(
            _MARK_SENT,
            [
                RecipientState.SENT.value,
                connection.ops.adapt_datetimefield_value(at),
                recipient_id,
                owner,
            ],
        )


def _mark_skipped(refused: dict[int, Refusal], *, owner: str) -> None:
    """The refused rows of a batch, one UPDATE per reason: a row left claimed by a crash
    before this is checked again by the next worker, so nothing here needs to be at once."""
    by_reason: dict[tuple[str, str], list[int]] = {}
    for pk, refusal in refused.items():
        by_reason.setdefault((refusal.reason, refusal.detail[:500]), []).append(pk)
    for (reason, detail), ids in by_reason.items():
        CampaignRecipient.objects.filter(pk__in=ids, lease_owner=owner).update(
            state=RecipientState.SKIPPED,
            skip_reason=reason,
            last_error=detail,
            lease_owner="",
            lease_expires_at=None,
        )


def _campaign_state(campaign_id: int) -> str | None:
    return Campaign.objects.filter(pk=campaign_id).values_list("state", flat=True).first()


def _note_error(campaign: Campaign, error: str) -> bool:
    """Count an error in a row, for all the campaign's workers together; pause the campaign
    when there were too many. True when it no longer sends: paused here, or already paused
    or cancelled (by another worker's errors, or by staff), so this worker stops too."""
    counted = Campaign.objects.filter(pk=campaign.pk, state=CampaignState.SENDING).update(
        consecutive_errors=F("consecutive_errors") + 1
    )
    if not counted:
        return True
    paused = Campaign.objects.filter(
        pk=campaign.pk,
        state=CampaignState.SENDING,
        consecutive_errors__gte=campaign.max_consecutive_errors,
    ).update(
        state=CampaignState.PAUSED,
        pause_reason=(
            f"Paused by itself after {campaign.max_consecutive_errors} errors in a row; "
            f"the last: {error}"
        )[:500],
    )
    return bool(paused)


def _track_opens(
    recipients: list[CampaignRecipient], *, mail_kind: str, domain: str, now: datetime
) -> dict[int, str]:
    """P7: the image token of each recipient (by row id) whose choice allows open
    confirmations of this kind of mail now, the mail app's rule asked for all at once."""
    if not recipients:
        return {}
    customers = [r.customer for r in recipients]
    refusals = opens.open_tracking_refusals(users=customers, kind=mail_kind, now=now)
    # Kept by the message's tracking key, which needs no address (``CampaignRecipient``).
    allowed = {
        r.tracking_key(domain=domain): r for r in recipients if refusals[r.customer_id] is None
    }
    tokens = opens.track_opens(
        messages={mid: r.customer_id for mid, r in allowed.items()}, kind=mail_kind, now=now
    )
    return {r.pk: tokens[mid] for mid, r in allowed.items()}


def _note_failure(
    recipient: CampaignRecipient,
    error: smtplib.SMTPException | OSError,
    *,
    owner: str,
    tokens: dict[int, str],
    tally: Tally,
) -> str:
    """Fail the row (a permanent refusal, or the last attempt) or make it claimable again
    after a pause; returns what went wrong."""
    text = describe(error)
    mine = CampaignRecipient.objects.filter(pk=recipient.pk, lease_owner=owner)
    if is_permanent(error) or recipient.attempts >= MAX_ATTEMPTS:
        mine.update(state=RecipientState.FAILED, last_error=text[:500], lease_owner="")
        if recipient.pk in tokens:
            opens.forget_tracking(message_ids=[recipient.tracking_key(domain=message_id_domain())])
        tally.failed += 1
    else:
        # Claimable again once this "lease" of nobody's runs out.
        mine.update(
            last_error=text[:500],
            lease_owner="",
            lease_expires_at=timezone.now() + RETRY_PAUSE * recipient.attempts,
        )
        tally.retried += 1
    return text


def _skip_refused(
    campaign: Campaign,
    recipients: Sequence[CampaignRecipient],
    *,
    owner: str,
    tokens: dict[int, str],
    domain: str,
) -> dict[int, Refusal]:
    """Check the recipients now (each kind of check one query for them all), mark the refused
    ones skipped (and forget the open records of their messages, ``tokens``) and return them
    by row id."""
    customers = [r.customer for r in recipients]
    now = timezone.now()
    if campaign.kind == CampaignKind.PARTNER_OFFER:
        # P14: the marketing checks, then the offer's own.
        refusals = offer_refusals(campaign, customers, now=now)
    else:
        refusals = refusals_for(customers, now=now, kind=campaign.kind)
    refused = {r.pk: refusal for r in recipients if (refusal := refusals[r.customer_id])}
    _mark_skipped(refused, owner=owner)
    tracked = [r.tracking_key(domain=domain) for r in recipients if r.pk in refused.keys() & tokens]
    if tracked:
        opens.forget_tracking(message_ids=tracked)
    return refused


def send_batch(
    campaign: Campaign,
    *,
    ids: list[int],
    owner: str,
    transport: Transport,
    pace: Pace,
    message: CampaignMessage | None = None,
) -> Tally:
    """Send the claimed recipients one by one, each at its time on the campaign's shared
    schedule, all checked again first (each kind of check one query for the batch) and again
    before a message whose checks are older than ``MAX_CHECK_AGE``; stops early when the
    campaign is paused or cancelled meanwhile, giving back what was not tried."""
    tally = Tally()
    domain = message_id_domain()
    message = message or prepare(campaign)
    recipients = list(
        CampaignRecipient.objects.filter(pk__in=ids, lease_owner=owner)
        .select_related("customer")
        .order_by("pk")
    )
    mail_kind = message.rules.mail_kind
    checked_at = pace.clock()
    refused = _skip_refused(campaign, recipients, owner=owner, tokens={}, domain=domain)
    tally.skipped += len(refused)
    sendable = [r for r in recipients if r.pk not in refused]
    # Mail left in the outbox gets its image there, at delivery (``mail.delivery``).
    tokens = (
        _track_opens(sendable, mail_kind=mail_kind, domain=domain, now=timezone.now())
        if transport.smtp is not None
        else {}
    )
    # P14: one code for each recipient a partner offer goes to (the same one again after a
    # crash).
    codes = (
        codes_for(campaign, recipient_ids=[r.pk for r in sendable])
        if campaign.kind == CampaignKind.PARTNER_OFFER
        else {}
    )
    links = unsubscribe_urls(
        user_ids=[r.customer_id for r in sendable], category=message.rules.category
    )
    had_error = campaign.consecutive_errors > 0
    for done, recipient in enumerate(recipients):
        if recipient.pk in refused:
            continue
        if not pace.wait():  # paused or cancelled meanwhile
            release(owner=owner, ids=[r.pk for r in recipients[done:]])
            return tally
        if pace.clock() - checked_at > MAX_CHECK_AGE:
            # The checks went stale (a slow server, a long wait for the schedule): read
            # again for the rest, so a choice made since is honoured (P17, P21, P25).
            checked_at = pace.clock()
            rest = [r for r in recipients[done:] if r.pk not in refused]
            again = _skip_refused(campaign, rest, owner=owner, tokens=tokens, domain=domain)
            refused.update(again)
            tally.skipped += len(again)
            if recipient.pk in again:
                continue
        # P21: the Message-ID carries the return tag for this address, so a bounce or a
        # complaint of this message suppresses it (``bungu.mail.returns``).
        message_id = recipient.message_id(domain=domain, address=address_of(recipient.customer))
        try:
            deliver(
                recipient,
                message=message,
                transport=transport,
                link=links[recipient.customer_id],
                image_token=tokens.get(recipient.pk),
                message_id=message_id,
                tracking_key=recipient.tracking_key(domain=domain),
                offer_code=codes.get(recipient.pk, ""),
            )
        except (smtplib.SMTPException, OSError) as error:
            transport.reset()
            text = _note_failure(recipient, error, owner=owner, tokens=tokens, tally=tally)
            had_error = True
            if _note_error(campaign, text):
                release(owner=owner, ids=[r.pk for r in recipients[done + 1 :]])
                return tally
            continue
        # The server has the message: say so at once, before anything else can go wrong.
        # Not in batches: a worker killed before a batch's UPDATE would leave every message
        # of it to be sent a second time, where this leaves at most the one.
        _mark_sent(recipient.pk, owner=owner, at=timezone.now())
        tally.sent += 1
        if had_error:
            Campaign.objects.filter(pk=campaign.pk).update(consecutive_errors=0)
            had_error = False
        if done % 20 == 19 and _campaign_state(campaign.pk) != CampaignState.SENDING:
            release(owner=owner, ids=[r.pk for r in recipients[done + 1 :]])
            return tally
    return tally


def finish_if_complete(campaign_id: int, *, now: datetime) -> bool:
    """Mark a sending campaign done once no recipient waits or is being sent."""
    open_rows = CampaignRecipient.objects.filter(
        campaign_id=campaign_id, state__in=[RecipientState.PENDING, RecipientState.CLAIMED]
    )
    if open_rows.exists():
        return False
    return bool(
        Campaign.objects.filter(pk=campaign_id, state=CampaignState.SENDING).update(
            state=CampaignState.DONE, finished_at=now
        )
    )


def batch_size(campaign: Campaign) -> int:
    """A quarter of a second of the campaign's rate, at most 100 (``pacing.batch_size``):
    small batches keep the shared rate's slack small and the checks fresh, and a batch is
    sent long before its lease runs out."""
    return batch_size_at(campaign.rate_per_minute)


def send_campaign(
    campaign: Campaign, *, worker: str, deadline: float | None = None, pace: Pace | None = None
) -> Tally:
    """Send what this worker can claim of one campaign, until none is left, the campaign
    stops, or the monotonic ``deadline`` passes. Each batch's sending times are taken from
    the campaign's schedule, shared by all its workers, before its rows are claimed, so the
    wait for them does not eat into the lease nor age the checks."""
    tally = Tally()
    pace = pace or Pace(campaign.pk, size=batch_size(campaign))
    transport = Transport()
    message = prepare(campaign)
    claims = 0
    try:
        while deadline is None or time.monotonic() < deadline:
            if not pace.draw():  # the campaign no longer sends
                break
            pace.wait_until_due()
            claims += 1
            owner = f"{worker}/{claims}"
            ids = claim_batch(
                campaign_id=campaign.pk, owner=owner, now=timezone.now(), size=pace.size
            )
            if not ids:
                break
            tally.add(
                send_batch(
                    campaign,
                    ids=ids,
                    owner=owner,
                    transport=transport,
                    pace=pace,
                    message=message,
                )
            )
            campaign.refresh_from_db(fields=["consecutive_errors"])
    finally:
        pace.give_back()
        transport.close()
    finish_if_complete(campaign.pk, now=timezone.now())
    return tally
