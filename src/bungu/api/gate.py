"""Who is calling: the token, its one function, its rate limit (P13).

Each router names the function it serves (``AgentTokenAuth(function)``) and each endpoint
asks again (``require``); a token of another function is refused with 403 before anything
is read. Errors are answered as ``{"detail": reason}``
with the status the API's handlers give them (``api.py``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer

from bungu import privacy

from .models import AgentToken
from .tokens import TokenRefused, check_token


class Unauthenticated(Exception):  # noqa: N818 - answered as 401
    pass


class WrongFunction(Exception):  # noqa: N818 - answered as 403
    pass


class TooManyCalls(Exception):  # noqa: N818 - answered as 429
    def __init__(self, wait: int) -> None:
        super().__init__(f"Too many calls with this token; try again in {wait} s.")
        self.wait = wait


def rate_limit() -> privacy.RateLimit:
    return privacy.RateLimit(
        "api-token", uses=int(settings.BUNGU_API_CALLS_PER_MINUTE), per=timedelta(minutes=1)
    )


class AgentTokenAuth(HttpBearer):
    """``Authorization: Bearer bga_…``: the token must be known, unexpired and unrevoked,
    within its rate limit, and serve the router's function. Checked before the request's
    body is read, so a token of another function learns nothing, not even what a valid body
    looks like."""

    def __init__(self, function: str | None = None) -> None:
        super().__init__()
        self.function = function

    def authenticate(self, request: HttpRequest, token: str) -> AgentToken:
        try:
            found = check_token(token)
        except TokenRefused as refused:
            raise Unauthenticated(str(refused)) from None
        wait = privacy.count_use(rate_limit(), key=found.prefix)
        if wait is not None:
            raise TooManyCalls(wait)
        if self.function is not None and found.function != self.function:
            raise WrongFunction(_wrong(found.function, self.function))
        return found


def _wrong(has: str, wanted: str) -> str:
    return f"This token serves {has}; this endpoint serves {wanted} only."


def require(request: HttpRequest, function: str) -> AgentToken:
    """The calling token, if it serves ``function``. Raises WrongFunction."""
    token: Any = getattr(request, "auth", None)
    if not isinstance(token, AgentToken):
        raise Unauthenticated("Send the agent's token as 'Authorization: Bearer <token>'.")
    if token.function != function:
        raise WrongFunction(_wrong(token.function, function))
    return token


def actor_of(token: AgentToken) -> privacy.Agent:
    """The agent as the privacy gate knows it: its function and its company."""
    return privacy.Agent(token.function, company=token.agent.company)


def event_actor(token: AgentToken) -> str:
    """How the order's events name the agent (40 characters at most)."""
    return f"agent {token.agent.company}"[:40]
