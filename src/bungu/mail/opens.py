"""P7: e-mail open confirmations, only where the customer's choice allows them.

* The image. At each delivery attempt the outbox asks ``open_tracking_refusal``; only when
  the customer's choice (the consent ledger, ``privacy.may_record_opens``: the notice that
  binds their address, their own answer, GPC) allows it does the HTML part go out with a 1x1
  image at ``/mail/open/<token>.gif``, the token being an HMAC of the Message-ID (no address,
  no customer number). Plain-text mail and mail to guests never carry one. Campaign mail,
  sent on marketing's own SMTP connection rather than through the outbox, asks the same rule
  for its whole batch (``open_tracking_refusals``), records the message (``track_opens``: a
  row naming its kind, with no outbox message) and gets the same image
  (``with_tracking_image``); its token is an HMAC of the message's tracking key, which is
  its Message-ID without the return tag (``CampaignRecipient.tracking_key``).
* The open. ``record_open`` asks the rule again at that moment, so turning confirmations off
  stops the recording at once, even for mail already delivered; a request that carries
  Global Privacy Control records nothing either. Recording an open writes no consent and no
  preference: an open is never taken as a yes to anything.
* Privacy proxies. Apple Mail Privacy Protection fetches every image of a message as it
  reaches the device, whether or not anyone reads it; Gmail and Yahoo fetch through their own
  image proxies. A fetch is taken for such a pre-fetch, counted apart and never as an open,
  when (the rule, in order): its browser string names a known image proxy
  (``PROXY_AGENTS``), or is Apple's bare ``Mozilla/5.0``; or it comes from a network those
  proxies are published to fetch from (``PROXY_NETWORKS``); or it comes within
  ``PREFETCH_WINDOW`` of the delivery, sooner than a person opens a message. The verdict is
  kept, never the address or the browser string.
* No click tracking: links in the shop's mail go where they say; nothing rewrites them. A
  link-rewriting step added one day would need this same choice.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.html import escape

from bungu import privacy

from .exceptions import MailError
from .kinds import category_of
from .models import OpenTracking, OutboxMessage

SALT = "bungu.mail.open-tracking"
_TOKEN = re.compile(r"[0-9a-f]{64}")
# Sooner than this after delivery, a fetch is a proxy loading images, not a person reading.
PREFETCH_WINDOW = timedelta(seconds=60)
PROXY_AGENTS = ("googleimageproxy", "ggpht.com", "yahoomailproxy")
# Apple's Mail Privacy Protection fetches with this browser string and nothing more.
APPLE_BARE_AGENT = "Mozilla/5.0"
PROXY_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "17.0.0.0/8",  # Apple (Mail Privacy Protection)
        "66.102.0.0/20",  # Google's image proxy
        "66.249.80.0/20",
        "64.233.160.0/19",
        "72.14.192.0/18",
        "74.125.0.0/16",
    )
)
# The image itself: a transparent 1x1 GIF.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


class UnknownTrackingImage(MailError):  # noqa: N818  # domain nouns (style.md)
    """An open-confirmation address that no message of the shop carries."""


def tracking_token(message_id: str) -> str:
    return salted_hmac(SALT, message_id, algorithm="sha256").hexdigest()


def open_tracking_refusal(
    *, user: AbstractBaseUser | None, kind: str, now: datetime | None = None
) -> str | None:
    """Why opens of this mail to this customer may not be recorded, or None if they may.
    Raises UnknownMailKind."""
    purpose = category_of(kind).purpose
    if user is None:
        return "No account: nobody has made a choice about open confirmations."
    if purpose is None:
        return "The notice records opens of no mail of this kind."
    now = now or timezone.now()
    decision = privacy.may_record_opens(
        subject=user, purpose=purpose, collected_at=_collected_at(user, now), now=now
    )
    return None if decision else decision.reason


def _collected_at(user: AbstractBaseUser, now: datetime) -> datetime:
    joined = getattr(user, "date_joined", None)
    if not isinstance(joined, datetime):
        raise TypeError(f"{type(user).__name__} has no date_joined to date the address by")
    return min(joined, now)


def open_tracking_refusals(
    *, users: Sequence[AbstractBaseUser], kind: str, now: datetime
) -> dict[int, str | None]:
    """``open_tracking_refusal`` for many customers (a campaign's batch), by customer id,
    with two queries in all. Raises UnknownMailKind."""
    purpose = category_of(kind).purpose
    if purpose is None:
        return {int(user.pk): "The notice records opens of no mail of this kind." for user in users}
    decisions = privacy.may_record_opens_many(
        subjects=users,
        collected_at={int(user.pk): _collected_at(user, now) for user in users},
        purpose=purpose,
        now=now,
    )
    return {pk: None if decision else decision.reason for pk, decision in decisions.items()}


# The image's address around its token, by site address and URL configuration: resolved
# once, not for each message of a campaign.
_IMAGE_URLS: dict[tuple[str, str], tuple[str, str]] = {}
_ANY_TOKEN = "0" * 64


def _image(token: str) -> str:
    key = (settings.BUNGU_SITE_URL, str(settings.ROOT_URLCONF))
    if key not in _IMAGE_URLS:
        url = settings.BUNGU_SITE_URL + reverse("mail:open", kwargs={"token": _ANY_TOKEN})
        before, _, after = url.rpartition(_ANY_TOKEN)
        _IMAGE_URLS[key] = (before, after)
    before, after = _IMAGE_URLS[key]
    url = before + token + after
    return f'<img src="{escape(url)}" width="1" height="1" alt="" style="display:block">'


def with_tracking_image(html: str, *, token: str) -> str:
    """The HTML part with the image of ``token`` at the end of its body."""
    closing = html.lower().rfind("</body>")
    if closing < 0:
        return html + _image(token)
    return html[:closing] + _image(token) + html[closing:]


def html_to_send(message: OutboxMessage, *, now: datetime | None = None) -> str:
    """The HTML part as it goes out now: with the tracking image if, and only if, the
    customer's choice allows it at this moment (P7); as queued otherwise."""
    # P22: the last e-mail to a deleted account is about to be forgotten; nothing to follow.
    if not message.html_body or message.recipient is None or message.erase_after_delivery:
        return message.html_body
    if open_tracking_refusal(user=message.recipient, kind=message.kind, now=now) is not None:
        return message.html_body
    token = tracking_token(message.message_id)
    OpenTracking.objects.get_or_create(
        message=message,
        defaults={
            "recipient": message.recipient,
            "token": token,
            "kind": message.kind,
            "added_at": now or timezone.now(),
        },
    )
    return with_tracking_image(message.html_body, token=token)


def track_opens(*, messages: Mapping[str, int], kind: str, now: datetime) -> dict[str, str]:
    """Start recording opens of mail sent outside the outbox (a campaign's own SMTP path):
    ``messages`` maps each Message-ID to its recipient's customer id, all of them allowed by
    ``open_tracking_refusals`` just before. One query; a Message-ID tracked before (the same
    message sent again after a crash) keeps its row. Returns the image token of each
    Message-ID, for ``with_tracking_image``."""
    tokens = {message_id: tracking_token(message_id) for message_id in messages}
    OpenTracking.objects.bulk_create(
        [
            OpenTracking(recipient_id=user_id, token=tokens[message_id], kind=kind, added_at=now)
            for message_id, user_id in messages.items()
        ],
        ignore_conflicts=True,
    )
    return tokens


def forget_tracking(*, message_ids: Iterable[str]) -> None:
    """Drop the open records of messages that were not sent after all (refused by the SMTP
    server), so the counts of tracked mail hold only mail that went."""
    OpenTracking.objects.filter(
        message__isnull=True, token__in=[tracking_token(m) for m in message_ids]
    ).delete()


def proxy_reason(*, user_agent: str, ip: str, sent_at: datetime | None, now: datetime) -> str:
    """Why a fetch of the image looks like a mail privacy proxy, "" if it looks like a
    person opening the message (the rule is in the module's docstring)."""
    agent = user_agent.strip()
    if any(marker in agent.lower() for marker in PROXY_AGENTS):
        return "browser string of a mail image proxy"
    if agent == APPLE_BARE_AGENT:
        return "browser string of Apple Mail Privacy Protection"
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        address = None
    if address is not None and any(address in network for network in PROXY_NETWORKS):
        return "network of a mail privacy proxy"
    if sent_at is not None and now - sent_at < PREFETCH_WINDOW:
        return f"fetched within {int(PREFETCH_WINDOW.total_seconds())} s of delivery"
    return ""


def record_open(
    *,
    token: str,
    user_agent: str = "",
    ip: str = "",
    gpc: bool = False,
    now: datetime | None = None,
) -> bool:
    """Count one fetch of a tracking image, if the customer's choice still allows it: as an
    open, or apart as a privacy proxy's pre-fetch. Returns whether anything was recorded.
    Never writes a consent or a preference (P7). Raises UnknownTrackingImage."""
    if not _TOKEN.fullmatch(token):
        raise UnknownTrackingImage("No such image.")
    found = OpenTracking.objects.select_related("message", "recipient").filter(token=token).first()
    if found is None:
        raise UnknownTrackingImage("No such image.")
    now = now or timezone.now()
    if gpc:
        return False
    # Mail sent outside the outbox went within a moment of its image being added.
    kind, sent_at = (
        (found.message.kind, found.message.sent_at)
        if found.message is not None
        else (found.kind, found.added_at)
    )
    if open_tracking_refusal(user=found.recipient, kind=kind, now=now) is not None:
        return False
    reason = proxy_reason(user_agent=user_agent, ip=ip, sent_at=sent_at, now=now)
    rows = OpenTracking.objects.filter(pk=found.pk)
    with transaction.atomic():
        if reason:
            rows.update(proxy_fetches=F("proxy_fetches") + 1, last_proxy_reason=reason[:100])
        else:
            rows.update(opens=F("opens") + 1, last_opened_at=now)
            rows.filter(first_opened_at__isnull=True).update(first_opened_at=now)
    return True


@dataclass(frozen=True)
class OpenCounts:
    """P7: opens reported with the proxies' pre-fetches apart, never mixed in."""

    tracked: int  # messages that went with the image
    opened: int  # of them, opened by a person at least once
    proxy_only: int  # fetched only by privacy proxies: nobody can say whether they were read
    opens: int  # every open by a person, later ones included
    proxy_fetches: int

    @property
    def open_rate(self) -> float | None:
        """Opened by a person, of those tracked; None when nothing was tracked."""
        return self.opened / self.tracked if self.tracked else None


def count_opens(*, since: datetime | None = None) -> OpenCounts:
    """The open counts of the messages tracked since a moment (all by default)."""
    rows = OpenTracking.objects.all()
    if since is not None:
        rows = rows.filter(added_at__gte=since)
    totals = rows.aggregate(opens=Sum("opens"), proxy=Sum("proxy_fetches"))
    return OpenCounts(
        tracked=rows.count(),
        opened=rows.filter(opens__gt=0).count(),
        proxy_only=rows.filter(Q(opens=0) & Q(proxy_fetches__gt=0)).count(),
        opens=totals["opens"] or 0,
        proxy_fetches=totals["proxy"] or 0,
    )
