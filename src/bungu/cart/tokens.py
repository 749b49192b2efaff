"""The cart cookie (P10): an opaque random token that says nothing about the visitor.

The database keeps only the token's SHA-256, so a copy of the database gives nobody a cookie
that opens a live cart. A plain hash is enough: the token carries 256 random bits, so there is
nothing to guess by brute force and no need for a slow, salted hash.

Views never set the cookie themselves. The cart services note what the response must do with
it in ``request.META`` (as Django's CSRF middleware does with its own cookie) and
``CartMiddleware`` applies that to the response.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

TOKEN_BYTES = 32
# What secrets.token_urlsafe(32) makes; anything else is tampered with and never looked up.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
_ACTION_KEY = "bungu.cart.cookie"


@dataclass(frozen=True)
class CookieAction:
    """Set the cookie to ``token`` (a new cart, or a fresh lifetime), or delete it (None)."""

    token: str | None


def cookie_name() -> str:
    return str(settings.BUNGU_CART_COOKIE_NAME)


def lifetime() -> timedelta:
    return timedelta(days=settings.BUNGU_CART_COOKIE_DAYS)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def read_token(request: HttpRequest) -> str | None:
    """The well-formed token the browser sent, or None."""
    value = request.COOKIES.get(cookie_name())
    if value and _TOKEN_SHAPE.fullmatch(value):
        return value
    return None


def has_cookie(request: HttpRequest) -> bool:
    """Whether the browser sent a cart cookie at all, well-formed or not (an emptied one,
    as some clients keep after a deletion, is no cookie)."""
    return bool(request.COOKIES.get(cookie_name()))


def set_cookie_later(request: HttpRequest, token: str) -> None:
    request.META[_ACTION_KEY] = CookieAction(token)


def delete_cookie_later(request: HttpRequest) -> None:
    request.META[_ACTION_KEY] = CookieAction(None)


def apply_cookie_action(request: HttpRequest, response: HttpResponseBase) -> None:
    action: CookieAction | None = request.META.get(_ACTION_KEY)
    if action is None:
        return
    if action.token is None:
        if has_cookie(request):
            response.delete_cookie(cookie_name(), path="/", samesite="Lax")
        return
    response.set_cookie(
        cookie_name(),
        action.token,
        max_age=int(lifetime().total_seconds()),
        path="/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
