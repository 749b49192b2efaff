"""Issuing and checking agents' tokens.

A token reads ``bga_<prefix>_<secret>``: 12 hex digits to find its record, then 32 random
bytes. Only the SHA-256 digest of the whole token is stored; with 256 random bits a digest
cannot be reversed or guessed, so no slow hash is needed, and the comparison is made in
constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import Agent, AgentToken

_SHAPE = re.compile(r"bga_([0-9a-f]{12})_[A-Za-z0-9_-]{43}")
MAX_DAYS = 366


class TokenRefused(Exception):  # noqa: N818 - a domain noun
    """A token that cannot be used; the message says why, for the caller."""


@dataclass(frozen=True)
class IssuedToken:
    token: AgentToken
    # The whole token, shown once and never stored.
    secret: str


def digest_of(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def issue_token(*, agent: Agent, function: str, days: int, issued_by: str) -> IssuedToken:
    """A new token of the agent for one of its functions. Raises ValueError for a function
    the agent does not perform or a lifetime outside 1 to MAX_DAYS days."""
    if function not in agent.functions:
        performs = ", ".join(agent.functions) or "none"
        raise ValueError(f"{agent.company} does not perform {function!r} (it performs: {performs})")
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"A token lasts 1 to {MAX_DAYS} days.")
    prefix = secrets.token_hex(6)
    raw = f"bga_{prefix}_{secrets.token_urlsafe(32)}"
    token = AgentToken.objects.create(
        agent=agent,
        function=function,
        prefix=prefix,
        digest=digest_of(raw),
        issued_by=issued_by[:60],
        expires_at=timezone.now() + timedelta(days=days),
    )
    return IssuedToken(token, raw)


def revoke_token(*, token: AgentToken) -> AgentToken:
    """Revoke the token at once; revoking twice keeps the first time."""
    AgentToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token.refresh_from_db()
    return token


def check_token(raw: str) -> AgentToken:
    """The token record of a presented token. Raises TokenRefused, saying why."""
    shape = _SHAPE.fullmatch(raw.strip())
    if shape is None:
        raise TokenRefused("This is not an agent token.")
    found = AgentToken.objects.select_related("agent").filter(prefix=shape.group(1)).first()
    if found is None or not hmac.compare_digest(found.digest, digest_of(raw.strip())):
        raise TokenRefused("Unknown token.")
    now = timezone.now()
    why = found.refusal(now)
    if why is not None:
        raise TokenRefused(why)
    if found.last_used_at is None or now - found.last_used_at > timedelta(minutes=1):
        # At most one write a minute per token: enough to see which tokens are in use.
        AgentToken.objects.filter(pk=found.pk).update(last_used_at=now)
    return found
