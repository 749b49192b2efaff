"""P3: each signed-in session's IP, browser and last-seen time, for the sessions page.

django-allauth's own middleware writes the session's record on every signed-in request: a
database write per page view, which on SQLite queues every signed-in visitor behind one lock.
This one records the same, but writes again only when the address or the browser changed, or
``SEEN_EVERY`` seconds passed: "last seen" is then at most that old, which the sessions page
shows to the minute anyway.
"""

from __future__ import annotations

from collections.abc import Callable

from allauth.account.adapter import get_adapter
from allauth.usersessions.internal import usersessionkit
from django.http import HttpRequest, HttpResponse

from bungu import shared_cache

SEEN_EVERY = 60


class UserSessionsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        key = session.session_key if session is not None else None
        if key and user is not None and user.is_authenticated:
            seen = (get_adapter().get_client_ip(request), request.headers.get("user-agent", ""))
            remembered = f"accounts:session-seen:{key}"
            if shared_cache.get(remembered) != seen:
                usersessionkit.track_activity(request, user=user, session=session)
                shared_cache.set(remembered, seen, SEEN_EVERY)
        return self.get_response(request)
