"""P21: Message-IDs that returned mail can be traced back by, without a row per message.

The outbox knows every message it sent by its row. Mail sent on another path (a campaign, on
marketing's own SMTP connection) writes no row per message, so its Message-ID carries a
*return tag* instead: a keyed hash (an HMAC keyed from ``SECRET_KEY``, salted for this use
alone) of the sender's stem and of the address the message went to.

``bungu.mail.returns`` believes a bounce or complaint quoting such a Message-ID only when the
tag is right for an address the report names (its Final-Recipient or Original-Recipient, the
complaint's original recipient). Anyone can read a Message-ID in a message they received,
but making one for another address needs the key: a forged or mismatched report is refused.

The id stays the same on every attempt at the same message (a resend after a crash), as long
as the stem and the address are. Letters and the digits 2-7 only (base32) in the tag: no long
run of digits for a card-number scan (P2).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "bungu.mail.return-tag"
# 10 bytes of the HMAC, 16 base32 letters: 80 bits, far beyond guessing by mail.
TAG_BYTES = 10
_MARK = "rt-"
_STEM = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,150}[A-Za-z0-9])?")
_TAGGED = re.compile(
    rf"<(?P<stem>{_STEM.pattern})\.{_MARK}(?P<tag>[a-z2-7]{{16}})@[^<>@\s]{{1,100}}>"
)


def _normal(address: str) -> str:
    return address.strip().lower()


def _tag(stem: str, address: str, *, secret: str | bytes | None = None) -> str:
    digest = salted_hmac(
        SALT, f"{stem}\n{_normal(address)}", secret=secret, algorithm="sha256"
    ).digest()
    return base64.b32encode(digest[:TAG_BYTES]).decode("ascii").lower()


def tagged_message_id(*, stem: str, address: str, domain: str) -> str:
    """The Message-ID of a message to ``address``: ``<stem.rt-TAG@domain>``. ``stem`` names
    the message for its sender (letters, digits, dots, hyphens), ``domain`` is the sender's.
    Raises ValueError for a stem or domain a Message-ID cannot carry."""
    if not _STEM.fullmatch(stem) or ".." in stem:
        raise ValueError(f"{stem!r} cannot be the stem of a Message-ID")
    message_id = f"<{stem}.{_MARK}{_tag(stem, address)}@{domain}>"
    if not _TAGGED.fullmatch(message_id):
        raise ValueError(f"{domain!r} cannot be the domain of a Message-ID")
    return message_id


def is_tagged(message_id: str) -> bool:
    """Whether the Message-ID has the form of a tagged one (not whether its tag is right)."""
    return _TAGGED.fullmatch(message_id.strip()) is not None


def tagged_recipient(message_id: str, *, addresses: Iterable[str]) -> str | None:
    """The one of ``addresses`` (in lower case) the tagged Message-ID was made for, or None
    when it was made for none of them, its tag was tampered with, or it is not tagged. Keys
    retired to ``SECRET_KEY_FALLBACKS`` still count, so a key rotation does not lose the
    bounces of mail already sent."""
    found = _TAGGED.fullmatch(message_id.strip())
    if found is None:
        return None
    stem, tag = found.group("stem"), found.group("tag")
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    for address in addresses:
        for secret in secrets:
            if constant_time_compare(_tag(stem, address, secret=secret), tag):
                return _normal(address)
    return None
