"""The agents' API, version 1: ``/api/v1/…``, its OpenAPI schema at ``/api/v1/openapi.json``.

No documentation page is served: django-ninja's pages run script the shop's
Content-Security-Policy refuses (inline or from a CDN); the schema is what agents' tools read.
Every error is ``{"detail": "…"}`` (with ``errors`` for a malformed body), never a page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from bungu.shared_cache import CacheUnavailable

from .endpoints import analysis, catalogue, delivery, mail, warehouse
from .gate import AgentTokenAuth, TooManyCalls, Unauthenticated, WrongFunction

api = NinjaAPI(
    title="Bungu agents' API",
    version="1",
    description=(
        "For the companies that perform functions for the shop (P13). Each token serves one "
        "function and reaches only what that function needs; every look at a customer's data "
        "is in that customer's access log."
    ),
    auth=AgentTokenAuth(),
    urls_namespace="api-v1",
    docs_url=None,
    openapi_url="/openapi.json",
)
api.add_router("/delivery", delivery.router)
api.add_router("/fulfilment", warehouse.router)
api.add_router("/mail", mail.router)
api.add_router("/analysis", analysis.router)
api.add_router("/search", catalogue.router)


def _answer(request: HttpRequest, status: int, detail: str, **more: Any) -> HttpResponse:
    response = api.create_response(request, {"detail": detail, **more}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="bungu-agents"'
    return response


@api.exception_handler(Unauthenticated)
def _unauthenticated(request: HttpRequest, error: Unauthenticated) -> HttpResponse:
    return _answer(request, 401, str(error))


@api.exception_handler(AuthenticationError)
def _no_token(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return _answer(request, 401, "Send the agent's token as 'Authorization: Bearer <token>'.")


@api.exception_handler(WrongFunction)
def _wrong_function(request: HttpRequest, error: WrongFunction) -> HttpResponse:
    return _answer(request, 403, str(error))


@api.exception_handler(TooManyCalls)
def _too_many(request: HttpRequest, error: TooManyCalls) -> HttpResponse:
    response = _answer(request, 429, str(error))
    response["Retry-After"] = str(error.wait)
    return response


@api.exception_handler(CacheUnavailable)
def _cannot_count(request: HttpRequest, error: CacheUnavailable) -> HttpResponse:
    # The rate limit cannot be counted (the shared cache is down): it fails closed.
    response = _answer(
        request, 503, "The shop cannot count calls right now; try again in a minute."
    )
    response["Retry-After"] = "60"
    return response


@api.exception_handler(ValidationError)
def _malformed(request: HttpRequest, error: ValidationError) -> HttpResponse:
    errors = [
        {
            "field": ".".join(str(part) for part in item.get("loc", ())),
            "message": str(item.get("msg", "invalid")),
        }
        for item in error.errors
    ]
    return _answer(request, 400, "The request is malformed; see errors.", errors=errors)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    return _answer(request, error.status_code, error.message)
