"""An e-mail delivery service: bounces and complaints back (P13).

A permanent bounce or a complaint suppresses the address (``bungu.mail``): no more mail a
customer could stop goes to it. The service receives nothing here; what it sends for the
shop it gets with each message. It reports by address, not by Message-ID, so a bounce of
campaign mail (sent without the outbox) counts the same as any (P21).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from bungu.api.gate import AgentTokenAuth, require
from bungu.mail import services as mail_services
from bungu.mail.exceptions import InvalidAddress
from bungu.mail.models import SuppressionKind

FUNCTION = "mail_delivery"

router = Router(tags=["e-mail delivery"], auth=AgentTokenAuth(FUNCTION))


class BounceIn(Schema):
    address: str = Field(..., min_length=3, max_length=254)
    # A soft bounce (mailbox full, server down) is retried by the service, not suppressed.
    permanent: bool = True
    detail: str = Field("", max_length=300)


class ComplaintIn(Schema):
    address: str = Field(..., min_length=3, max_length=254)
    detail: str = Field("", max_length=300)


class ReportOut(Schema):
    suppressed: bool
    new: bool


class Problem(Schema):
    detail: str


def _suppress(token_source: str, address: str, kind: SuppressionKind, detail: str) -> bool:
    try:
        _, new = mail_services.suppress_address(
            address=address, kind=kind, source=token_source, detail=detail
        )
    except InvalidAddress as bad:
        raise HttpError(400, str(bad)) from None
    return new


_ANSWERS = {200: ReportOut, 201: ReportOut, 400: Problem, 401: Problem, 403: Problem}


@router.post("/bounces", response=_ANSWERS)
def post_bounce(request: HttpRequest, bounce: BounceIn) -> Status[dict[str, Any]]:
    """A message to the address bounced. A permanent bounce suppresses it."""
    token = require(request, FUNCTION)
    if not bounce.permanent:
        return Status(
            200, {"suppressed": mail_services.is_suppressed(bounce.address), "new": False}
        )
    source = f"agent:{FUNCTION} {token.agent.company}"
    new = _suppress(source, bounce.address, SuppressionKind.BOUNCE, bounce.detail)
    return Status(201 if new else 200, {"suppressed": True, "new": new})


@router.post("/complaints", response=_ANSWERS)
def post_complaint(request: HttpRequest, complaint: ComplaintIn) -> Status[dict[str, Any]]:
    """The recipient marked a message as spam: the address is suppressed."""
    token = require(request, FUNCTION)
    source = f"agent:{FUNCTION} {token.agent.company}"
    new = _suppress(source, complaint.address, SuppressionKind.COMPLAINT, complaint.detail)
    return Status(201 if new else 200, {"suppressed": True, "new": new})
