"""Device cookies: a stranger's wrong passwords never lock the owner out of their account.

allauth counts wrong passwords per address (IP) and per account, and refuses sign-in once
either allowance is spent; anyone who knows a customer's e-mail address could spend the
account's allowance and keep the customer out. As OWASP's device-cookie scheme describes, a
browser that signed in to an account before gets a signed cookie naming that account (by a
keyed digest of its e-mail address, never the address) and a random device number; its
sign-ins to that account count against that device's own allowance
(``login_failed_device``), so the stranger's failures do not touch it. Browsers without the
cookie share the account's and the address's allowances, as before.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponseBase
from django.utils.crypto import salted_hmac

_SALT = "bungu.accounts.devices"
# A browser keeps its own allowance this long after it last signed in.
DEVICE_COOKIE_AGE = timedelta(days=180)


def _account_digest(login: str) -> str:
    return salted_hmac(_SALT, login.strip().lower()).hexdigest()[:32]


def trusted_device(request: HttpRequest, *, login: str) -> str | None:
    """The device number of this browser if it has signed in to the account ``login`` names
    (the cookie is genuine and young enough), else None."""
    raw = request.COOKIES.get(settings.BUNGU_DEVICE_COOKIE_NAME)
    if not raw or not login:
        return None
    try:
        value = signing.loads(raw, salt=_SALT, max_age=DEVICE_COOKIE_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or value.get("a") != _account_digest(login):
        return None
    device = value.get("d")
    return device if isinstance(device, str) else None


def remember_device(request: HttpRequest, response: HttpResponseBase, *, login: str) -> None:
    """Give the browser that just signed in its own allowance for this account (a fresh
    device number each sign-in)."""
    value = signing.dumps({"a": _account_digest(login), "d": secrets.token_urlsafe(16)}, salt=_SALT)
    response.set_cookie(
        settings.BUNGU_DEVICE_COOKIE_NAME,
        value,
        max_age=int(DEVICE_COOKIE_AGE.total_seconds()),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
