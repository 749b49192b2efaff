"""The hosted payment page, the 3-D Secure-like challenge and the test-card list.

P1, P2: the card number and the security code are typed only on these pages, on the
processor's own origin; the shop never sees them. Nothing here logs or echoes them back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import services
from .cards import DECLINE_MESSAGES, TEST_CARDS, Outcome
from .forms import CardForm
from .models import OPEN_STATES, Payment, State
from .services import Refused

_ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK", "UGX"}
_CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action {actions}"
)


class ContentSecurityPolicyMiddleware:
    """No scripts at all; forms post here, and (after a redirect) to the shop's return URL."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", _CSP.format(actions="'self'"))
        response.headers.setdefault("Cache-Control", "no-store")
        return response


def return_url(payment: Payment) -> str:
    """The shop's return URL with ``payment=<id>`` added to its query."""
    parts = urlsplit(payment.return_url)
    query = urlencode({"payment": payment.public_id})
    query = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit(parts._replace(query=query))


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _render(
    request: HttpRequest,
    template: str,
    payment: Payment | None,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    if payment is not None:
        context |= {"payment": payment, "price": price(payment), "return_url": return_url(payment)}
    response = render(request, f"cardsandbox/{template}", context, status=status)
    if payment is not None:
        shop = urlsplit(payment.return_url)
        actions = f"'self' {shop.scheme}://{shop.netloc}"
        response.headers["Content-Security-Policy"] = _CSP.format(actions=actions)
    return response


def price(payment: Payment) -> str:
    if payment.currency in _ZERO_DECIMAL:
        return f"{payment.amount:,} {payment.currency}"
    return f"{payment.amount / 100:,.2f} {payment.currency}"


def _unknown(request: HttpRequest) -> HttpResponse:
    return _render(request, "unknown.html", None, {}, status=404)


@sensitive_post_parameters("number", "cvc")
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, public_id: str) -> HttpResponse:
    form = CardForm()
    decline, status = "", 200
    with transaction.atomic():
        try:
            payment = services.get_payment(public_id)
        except Refused:
            return _unknown(request)
        if request.method == "POST" and payment.state in OPEN_STATES:
            form = CardForm(request.POST)
            if not form.is_valid():
                status = 400
            else:
                outcome = services.pay_with_card(payment, card=form.card())
                if outcome == Outcome.APPROVED:
                    return _see_other(return_url(payment))
                if outcome == Outcome.CHALLENGE:
                    return _see_other(reverse("challenge", args=[payment.public_id]))
                form, status = CardForm(), 402
                decline = DECLINE_MESSAGES.get(outcome, DECLINE_MESSAGES[Outcome.DECLINED])
    if payment.state == State.REQUIRES_ACTION:
        return _see_other(reverse("challenge", args=[payment.public_id]))
    if payment.state not in OPEN_STATES:
        return _render(request, "done.html", payment, {}, status=200)
    if not decline and payment.decline_code and request.method == "GET":
        decline = DECLINE_MESSAGES.get(payment.decline_code, "")
    return _render(request, "pay.html", payment, {"form": form, "decline": decline}, status=status)


@require_http_methods(["GET", "POST"])
def challenge(request: HttpRequest, public_id: str) -> HttpResponse:
    with transaction.atomic():
        try:
            payment = services.get_payment(public_id)
        except Refused:
            return _unknown(request)
        if payment.state != State.REQUIRES_ACTION:
            return _see_other(reverse("pay", args=[payment.public_id]))
        if request.method == "POST":
            result = request.POST.get("result")
            if result not in {"complete", "fail"}:
                return _render(
                    request,
                    "challenge.html",
                    payment,
                    {"error": "Choose complete or fail."},
                    status=400,
                )
            services.finish_challenge(payment, passed=result == "complete")
            if result == "complete":
                return _see_other(return_url(payment))
            return _see_other(reverse("pay", args=[payment.public_id]))
    return _render(request, "challenge.html", payment, {})


@require_POST
def cancel(request: HttpRequest, public_id: str) -> HttpResponse:
    with transaction.atomic():
        try:
            payment = services.get_payment(public_id)
        except Refused:
            return _unknown(request)
        if payment.state in OPEN_STATES:
            services.cancel_payment(payment)
    return _see_other(return_url(payment))


@require_GET
def test_cards(request: HttpRequest) -> HttpResponse:
    return _render(
        request, "test_cards.html", None, {"cards": TEST_CARDS, "messages": DECLINE_MESSAGES}
    )


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
