"""P3: the sessions signed in to an account, which the customer sees and can end.

django-allauth's usersessions app records each session (IP, browser, last seen); this module
lists them in a fixed number of queries and ends them. A session whose server-side record
has expired, was ended or no longer authenticates the customer (after a password change) is
not shown, and its row is deleted on the way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from .models import User
from .summary import forget_summary

DB_SESSION_ENGINES = {
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
}


@dataclass(frozen=True)
class SignedInSession:
    id: int
    device: str
    ip: str
    signed_in_at: datetime
    last_seen_at: datetime
    is_current: bool


_BROWSERS = [
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/")),
    ("Firefox", re.compile(r"\b(?:Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(?:HeadlessChrome|Chrome|Chromium|CriOS)/")),
    ("Safari", re.compile(r"\bVersion/[\d.]+.*Safari/")),
]
_SYSTEMS = [
    ("iPhone", re.compile(r"\biPhone\b")),
    ("iPad", re.compile(r"\biPad\b")),
    ("Android", re.compile(r"\bAndroid\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Linux", re.compile(r"\bLinux\b")),
]


def describe_device(user_agent: str) -> str:
    """A short, human name for a browser from its User-Agent: "Firefox on Windows"."""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), None)
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"


def _authenticates(session: Session, user: User) -> bool:
    data = session.get_decoded()
    if str(data.get(SESSION_KEY)) != str(user.pk) or BACKEND_SESSION_KEY not in data:
        return False
    return constant_time_compare(str(data.get(HASH_SESSION_KEY, "")), user.get_session_auth_hash())


def _live_rows(user: User) -> list[UserSession]:
    rows = list(UserSession.objects.filter(user_id=user.pk).order_by("-last_seen_at", "-id"))
    if settings.SESSION_ENGINE not in DB_SESSION_ENGINES:
        # Other engines cannot be read in bulk: allauth asks the store one session at a time.
        live_ids = {row.pk for row in UserSession.objects.purge_and_list(user)}
        return [row for row in rows if row.pk in live_ids]
    stored = {
        session.session_key: session
        for session in Session.objects.filter(
            session_key__in=[row.session_key for row in rows], expire_date__gt=timezone.now()
        )
    }
    live, dead = [], []
    for row in rows:
        session = stored.get(row.session_key)
        if session is not None and _authenticates(session, user):
            live.append(row)
        elif session is not None and not row.purge():
            # Signed with a key in SECRET_KEY_FALLBACKS: still valid, as Django decides.
            live.append(row)
        else:
            dead.append(row.pk)
    if dead:
        UserSession.objects.filter(pk__in=dead).delete()
        forget_summary(user_id=int(user.pk))
    return live


def list_sessions(*, user: User, current_key: str | None) -> list[SignedInSession]:
    """The sessions signed in to the account, most recently used first."""
    return [
        SignedInSession(
            id=row.pk,
            device=describe_device(row.user_agent),
            ip=row.ip,
            signed_in_at=row.created_at,
            last_seen_at=row.last_seen_at,
            is_current=bool(current_key) and row.session_key == current_key,
        )
        for row in _live_rows(user)
    ]


@transaction.atomic
def end_session(*, user: User, session_id: int) -> str:
    """End one of the customer's sessions on the server; returns its session key (the caller
    signs the visitor out if it was their own). Raises UserSession.DoesNotExist for a session
    of another account."""
    row = UserSession.objects.get(pk=session_id, user_id=user.pk)
    key = str(row.session_key)
    row.end()
    forget_summary(user_id=int(user.pk))
    return key


@transaction.atomic
def end_other_sessions(*, user: User, current_key: str | None) -> int:
    """End every session of the account but the current one; returns how many ended."""
    rows = UserSession.objects.filter(user_id=user.pk)
    if current_key:
        rows = rows.exclude(session_key=current_key)
    ended = 0
    for row in rows:
        row.end()
        ended += 1
    # The summary a signed-in page's holes show leaves the cache with the sessions.
    forget_summary(user_id=int(user.pk))
    return ended


@transaction.atomic
def end_all_sessions(*, user: User) -> int:
    """End every session of the account (a guardian closing a supervised account)."""
    return end_other_sessions(user=user, current_key=None)


@transaction.atomic
def end_sessions(*, row_ids: Sequence[int]) -> int:
    """P22, P3: end these sessions for an account's erasure: their records and what the session
    store holds for them go (privacy calls this through ``ERASURE`` in personal_data.py, on the
    erasure and on every replay of its journal). Returns how many were ended."""
    ended = 0
    for row in UserSession.objects.filter(pk__in=row_ids).order_by("pk"):
        row.end()
        # P22: an erased account's summary (name, wish lists) leaves the cache at once.
        forget_summary(user_id=int(row.user_id))
        ended += 1
    return ended


def purge_ended_sessions() -> int:
    """Delete the rows of sessions that expired or were ended elsewhere (their retention in
    the data map is bounded by this); meant for a periodic job. Returns how many went."""
    stale = UserSession.objects.exclude(
        session_key__in=Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    )
    if settings.SESSION_ENGINE not in DB_SESSION_ENGINES:
        purged = [row for row in UserSession.objects.iterator() if row.purge()]
        for row in purged:
            forget_summary(user_id=int(row.user_id))
        return len(purged)
    for user_id in set(stale.values_list("user_id", flat=True)):
        forget_summary(user_id=int(user_id))
    count, _ = stale.delete()
    return int(count)
