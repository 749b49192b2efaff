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
"""

from __future__ import annotations

import logging
import os
import secrets
import smtplib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from bungu import privacy
from bungu.mail import opens, services as mail_services
from bungu.mail.delivery import describe, is_permanent, open_connection, smtp_configured
from bungu.mail.tokens import unsubscribe_urls

from .content import PreparedMessage, RenderedMessage
from .eligibility import Refusal, address_of, refusals_for
from .kinds import RULES, KindRules, rules_of
from .models import (
    MAX_ATTEMPTS,
    Campaign,
    CampaignKind,
    CampaignRecipient,
    CampaignState,
    RecipientState,
)
from .offer_sending import codes_for, offer_refusals
from .wire import Wire

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
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


# ---------------------------------------------------------------- pacing
@dataclass
class Pacer:
    """At most ``per_minute`` messages a minute from this worker."""

    per_minute: int
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    started: float | None = None
    count: int = 0

    def wait(self) -> None:
        if self.started is None:
            self.started = self.clock()
        due = self.started + self.count * 60.0 / self.per_minute
        pause = due - self.clock()
        if pause > 0:
            self.sleep(pause)
        self.count += 1


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


class _Transport:
    """SMTP when it is configured; otherwise the outbox, where the message waits, readable
    in the admin, as all the shop's mail does without SMTP."""

    def __init__(self) -> None:
        self.smtp = open_connection() if smtp_configured() else None
        self.wire = Wire.for_sender(
            settings.DEFAULT_FROM_EMAIL, localtime=settings.EMAIL_USE_LOCALTIME
        )

    def send_bytes(self, *, to: str, data: bytes) -> None:
        """Hand the server a message written by ``Wire`` (SMTP only)."""
        if self.smtp is None:
            raise RuntimeError("written messages go to an SMTP server, not the outbox")
        self.smtp.open()
        if self.smtp.connection is None:
            raise smtplib.SMTPServerDisconnected("no connection to the SMTP server")
        self.smtp.connection.sendmail(self.wire.envelope_from, [to], data)

    def send(self, email: EmailMultiAlternatives, *, customer: AbstractBaseUser, kind: str) -> None:
        if self.smtp is None:
            html = next((str(c) for c, mime in email.alternatives if mime == "text/html"), "")
            mail_services.queue_message(
                to=email.to[0],
                kind=kind,
                subject=str(email.subject),
                text_body=str(email.body),
                html_body=html,
                user=customer,
                unsubscribe_link=email.extra_headers["List-Unsubscribe"].strip("<>"),
                headers={},
            )
            return
        # Opened once and kept: Django's backend would open and close a connection for every
        # message sent through a closed one.
        self.smtp.open()
        self.smtp.send_messages([email])

    def reset(self) -> None:
        if self.smtp is not None:
            self.smtp.close()

    def close(self) -> None:
        self.reset()


@dataclass(frozen=True)
class CampaignMessage:
    """A campaign's message rendered once for all its recipients: for a notice reminder, in
    both its versions (the one that asks the customer to answer goes to those whose older
    data the new notice treats less protectively, P25)."""

    rules: KindRules
    plain: PreparedMessage
    asking: PreparedMessage | None = None
    reminder: privacy.NoticeReminderText | None = None

    def for_customer(self, customer: AbstractBaseUser) -> PreparedMessage:
        if self.reminder is None or self.asking is None:
            return self.plain
        joined = getattr(customer, "date_joined", None)
        asks = self.reminder.asks_consent(collected_since=joined)
        return self.asking if asks else self.plain


def _rendered(
    recipient: CampaignRecipient,
    *,
    message: CampaignMessage,
    link: str,
    image_token: str | None,
    offer_code: str = "",
) -> RenderedMessage:
    customer = recipient.customer
    rendered = message.for_customer(customer).for_customer(
        name=str(getattr(customer, "name", "") or ""), unsubscribe_url=link, offer_code=offer_code
    )
    if image_token is None:
        return rendered
    # P7: the image only where the customer's choice allowed it (``_track_opens``).
    return replace(rendered, html=opens.with_tracking_image(rendered.html, token=image_token))


def _email(
    recipient: CampaignRecipient, *, rendered: RenderedMessage, link: str, message_id: str
) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address_of(recipient.customer)],
        headers={
            "Message-ID": message_id,
            # RFC 8058: mail clients offer a one-click unsubscribe that POSTs here (P21).
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    email.attach_alternative(rendered.html, "text/html")
    return email


def _deliver(
    recipient: CampaignRecipient,
    *,
    message: CampaignMessage,
    transport: _Transport,
    link: str,
    image_token: str | None,
    message_id: str,
    offer_code: str = "",
) -> None:
    """Hand one message to the server (written directly when ``Wire`` can) or the outbox."""
    rendered = _rendered(
        recipient, message=message, link=link, image_token=image_token, offer_code=offer_code
    )
    if transport.smtp is not None:
        data = transport.wire.message(
            to=address_of(recipient.customer),
            subject=rendered.subject,
            message_id=message_id,
            list_unsubscribe=f"<{link}>",
            text=rendered.text,
            html=rendered.html,
        )
        if data is not None:
            transport.send_bytes(to=address_of(recipient.customer), data=data)
            return
    email = _email(recipient, rendered=rendered, link=link, message_id=message_id)
    transport.send(email, customer=recipient.customer, kind=message.rules.mail_kind)


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


def prepare(campaign: Campaign) -> CampaignMessage:
    """The campaign's message, rendered once for all its recipients. Raises
    Notice.DoesNotExist for a reminder of a version that is gone."""
    rules = rules_of(campaign.kind)
    preferences_url = settings.BUNGU_SITE_URL + reverse("mail:preferences")
    if campaign.notice_version is None:
        plain = PreparedMessage.of(
            subject=campaign.subject,
            body=campaign.body,
            preferences_url=preferences_url,
            template=rules.template,
            with_code=campaign.kind == CampaignKind.PARTNER_OFFER,
        )
        return CampaignMessage(rules, plain)
    reminder = privacy.notice_reminder(notice_version=campaign.notice_version)
    plain, asking = (
        PreparedMessage.of(
            subject=reminder.subject,
            body=text,
            preferences_url=preferences_url,
            template=rules.template,
        )
        for text in (reminder.text, reminder.asking_text)
    )
    return CampaignMessage(rules, plain, asking, reminder)


def _campaign_state(campaign_id: int) -> str | None:
    return Campaign.objects.filter(pk=campaign_id).values_list("state", flat=True).first()


def _note_error(campaign: Campaign, error: str) -> bool:
    """Count an error in a row; pause the campaign when there were too many. True if it was
    paused."""
    Campaign.objects.filter(pk=campaign.pk).update(consecutive_errors=F("consecutive_errors") + 1)
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


def send_batch(
    campaign: Campaign,
    *,
    ids: list[int],
    owner: str,
    transport: _Transport,
    pacer: Pacer,
    message: CampaignMessage | None = None,
) -> Tally:
    """Send the claimed recipients one by one, all checked again first (each kind of check
    one query for the batch); stops early when the campaign is paused or cancelled
    meanwhile, giving back what was not tried."""
    tally = Tally()
    domain = message_id_domain()
    message = message or prepare(campaign)
    recipients = list(
        CampaignRecipient.objects.filter(pk__in=ids, lease_owner=owner)
        .select_related("customer")
        .order_by("pk")
    )
    now = timezone.now()
    mail_kind = message.rules.mail_kind
    customers = [r.customer for r in recipients]
    if campaign.kind == CampaignKind.PARTNER_OFFER:
        # P14: the marketing checks, then the offer's own.
        refusals = offer_refusals(campaign, customers, now=now)
    else:
        refusals = refusals_for(customers, now=now, kind=campaign.kind)
    # Mail left in the outbox gets its image there, at delivery (``mail.delivery``).
    tokens = (
        _track_opens(
            [r for r in recipients if refusals[r.customer_id] is None],
            mail_kind=mail_kind,
            domain=domain,
            now=now,
        )
        if transport.smtp is not None
        else {}
    )
    refused = {r.pk: refusal for r in recipients if (refusal := refusals[r.customer_id])}
    _mark_skipped(refused, owner=owner)
    tally.skipped += len(refused)
    # P14: one code for each recipient a partner offer goes to (the same one again after a
    # crash).
    codes = (
        codes_for(campaign, recipient_ids=[r.pk for r in recipients if r.pk not in refused])
        if campaign.kind == CampaignKind.PARTNER_OFFER
        else {}
    )
    links = unsubscribe_urls(
        user_ids=[r.customer_id for r in recipients if r.pk not in refused],
        category=message.rules.category,
    )
    mine = CampaignRecipient.objects.filter(lease_owner=owner)
    had_error = campaign.consecutive_errors > 0
    for done, recipient in enumerate(recipients):
        if recipient.pk in refused:
            continue
        # P21: the Message-ID carries the return tag for this address, so a bounce or a
        # complaint of this message suppresses it (``bungu.mail.returns``).
        message_id = recipient.message_id(domain=domain, address=address_of(recipient.customer))
        pacer.wait()
        try:
            _deliver(
                recipient,
                message=message,
                transport=transport,
                link=links[recipient.customer_id],
                image_token=tokens.get(recipient.pk),
                message_id=message_id,
                offer_code=codes.get(recipient.pk, ""),
            )
        except (smtplib.SMTPException, OSError) as error:
            transport.reset()
            text = describe(error)
            if is_permanent(error) or recipient.attempts >= MAX_ATTEMPTS:
                mine.filter(pk=recipient.pk).update(
                    state=RecipientState.FAILED, last_error=text[:500], lease_owner=""
                )
                if recipient.pk in tokens:
                    opens.forget_tracking(message_ids=[recipient.tracking_key(domain=domain)])
                tally.failed += 1
            else:
                # Claimable again once this "lease" of nobody's runs out.
                mine.filter(pk=recipient.pk).update(
                    last_error=text[:500],
                    lease_owner="",
                    lease_expires_at=timezone.now() + RETRY_PAUSE * recipient.attempts,
                )
                tally.retried += 1
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
    """Small enough that a batch is sent well within its lease at the campaign's rate."""
    in_half_a_lease = campaign.rate_per_minute * lease_length().total_seconds() / 120
    return max(1, min(BATCH_SIZE, int(in_half_a_lease)))


def send_campaign(
    campaign: Campaign, *, worker: str, deadline: float | None = None, pacer: Pacer | None = None
) -> Tally:
    """Send what this worker can claim of one campaign, until none is left, the campaign
    stops, or the monotonic ``deadline`` passes."""
    tally = Tally()
    pacer = pacer or Pacer(campaign.rate_per_minute)
    transport = _Transport()
    message = prepare(campaign)
    claims = 0
    try:
        while deadline is None or time.monotonic() < deadline:
            if _campaign_state(campaign.pk) != CampaignState.SENDING:
                break
            claims += 1
            owner = f"{worker}/{claims}"
            ids = claim_batch(
                campaign_id=campaign.pk, owner=owner, now=timezone.now(), size=batch_size(campaign)
            )
            if not ids:
                break
            tally.add(
                send_batch(
                    campaign,
                    ids=ids,
                    owner=owner,
                    transport=transport,
                    pacer=pacer,
                    message=message,
                )
            )
            campaign.refresh_from_db(fields=["consecutive_errors"])
    finally:
        transport.close()
    finish_if_complete(campaign.pk, now=timezone.now())
    return tally
