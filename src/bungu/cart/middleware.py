"""Merges the anonymous cart on sign-in and keeps the cart cookie in step with the cart.

The merge is done here, on the first request a signed-in customer makes with an anonymous
cart's cookie, rather than in the sign-in view or a signal: sign-in belongs to the accounts
app (django-allauth), which a lower layer must not reach into, and a request is the one place
that sees both the account and the cookie. It costs nothing on other requests: it looks only
when both a session cookie and a cart cookie came with the request, and deletes the cart
cookie once merged, so it runs once per sign-in.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponseBase

from . import services, tokens


class CartMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if tokens.has_cookie(request) and settings.SESSION_COOKIE_NAME in request.COOKIES:
            result = services.merge_cookie_cart(request)
            if result.moved:
                messages.info(
                    request,
                    "The items you added before signing in are now in your cart.",
                )
            for note in result.notes:
                messages.warning(request, note)
        response = self.get_response(request)
        tokens.apply_cookie_action(request, response)
        return response
