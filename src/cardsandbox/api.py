"""The server-to-server JSON API: bearer key, idempotency keys, clear 4xx reasons.

Errors read ``{"error": {"code": ..., "message": ...}}``. Every POST that changes a payment
needs an ``Idempotency-Key`` header: the same key on the same endpoint with the same body
answers with the same payment (as it is now); with another body, 409.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from . import services, settings as conf
from .models import Event, IdempotencyKey, Payment, TestKnobs, WebhookMode
from .services import Refused

View = Callable[..., HttpResponse]
MAX_AMOUNT = 99_999_999
PAGE_LIMIT = 100


def error(status: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="cardsandbox"'
    return response


def api(*methods: str) -> Callable[[View], View]:
    """Bearer key, allowed methods, and every Refused turned into its 4xx answer."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = error(405, "method_not_allowed", f"Use {' or '.join(methods)}.")
                response["Allow"] = ", ".join(methods)
                return response
            given = request.headers.get("Authorization", "")
            scheme, _, key = given.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                key.strip().encode(), conf.API_KEY.encode()
            ):
                return error(401, "unauthorised", "Send the API key as 'Authorization: Bearer'.")
            try:
                return view(request, *args, **kwargs)
            except Refused as refused:
                return error(refused.status, refused.code, refused.message)

        return wrapper

    return decorate


def _body(request: HttpRequest) -> dict[str, Any]:
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "invalid_json", "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise Refused(400, "invalid_json", "The body must be a JSON object.")
    return data


def _amount(data: dict[str, Any], *, required: bool) -> int | None:
    if "amount" not in data or data["amount"] is None:
        if required:
            raise Refused(400, "missing_field", "'amount' is required (integer, in cents).")
        return None
    value: object = data["amount"]
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused(400, "invalid_field", "'amount' must be an integer number of cents.")
    if not 0 < value <= MAX_AMOUNT:
        raise Refused(400, "invalid_field", f"'amount' must be between 1 and {MAX_AMOUNT}.")
    return value


def _required_amount(data: dict[str, Any]) -> int:
    amount = _amount(data, required=True)
    if amount is None:  # _amount already refused a missing one
        raise Refused(400, "missing_field", "'amount' is required (integer, in cents).")
    return amount


def _text(data: dict[str, Any], name: str, *, max_length: int, required: bool = True) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise Refused(400, "missing_field", f"'{name}' is required.")
        return ""
    if not isinstance(value, str):
        raise Refused(400, "invalid_field", f"'{name}' must be a string.")
    if len(value) > max_length:
        raise Refused(400, "invalid_field", f"'{name}' is longer than {max_length} characters.")
    return value


def _idempotent(
    request: HttpRequest,
    params: dict[str, Any],
    act: Callable[[], Payment],
    *,
    status: int,
    retried: bool = False,
) -> JsonResponse:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 255:
        raise Refused(400, "missing_idempotency_key", "Send an Idempotency-Key header (1-255).")
    fingerprint = hashlib.sha256(
        json.dumps(params, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    try:
        with transaction.atomic():
            used = IdempotencyKey.objects.filter(key=key, path=request.path).first()
            if used is not None:
                if used.fingerprint != fingerprint:
                    raise Refused(
                        409,
                        "idempotency_key_reused",
                        "This Idempotency-Key was used on this endpoint with other parameters.",
                    )
                payment = services.get_payment(used.payment.public_id)
                response = JsonResponse(payment.as_json(), status=used.status)
                response["Idempotent-Replayed"] = "true"
                return response
            payment = act()
            IdempotencyKey.objects.create(
                key=key,
                path=request.path,
                fingerprint=fingerprint,
                status=status,
                payment=payment,
                created_at=timezone.now(),
            )
    except IntegrityError:
        if retried:
            raise
        # Another request with this key won the race (only on a database without
        # IMMEDIATE transactions): answer as its replay.
        return _idempotent(request, params, act, status=status, retried=True)
    return JsonResponse(payment.as_json(), status=status)


@api("GET", "POST")
def payments(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _list_payments(request)
    data = _body(request)
    reference = _text(data, "reference", max_length=200)
    amount = _required_amount(data)
    currency = _text(data, "currency", max_length=3).upper()
    return_url = _text(data, "return_url", max_length=2000)
    description = _text(data, "description", max_length=500, required=False)
    if len(currency) != 3 or not currency.isalpha():
        raise Refused(400, "invalid_field", "'currency' must be a three-letter ISO 4217 code.")
    parts = urlsplit(return_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise Refused(400, "invalid_field", "'return_url' must be an absolute http(s) URL.")
    params = {
        "reference": reference,
        "amount": amount,
        "currency": currency,
        "return_url": return_url,
        "description": description,
    }

    def create() -> Payment:
        return services.create_payment(
            reference=reference,
            amount=amount,
            currency=currency,
            return_url=return_url,
            description=description,
        )

    return _idempotent(request, params, create, status=201)


@api("GET")
def payment(request: HttpRequest, public_id: str) -> HttpResponse:
    with transaction.atomic():
        return JsonResponse(services.get_payment(public_id).as_json())


@api("POST")
def capture(request: HttpRequest, public_id: str) -> HttpResponse:
    amount = _amount(_body(request), required=False)
    return _idempotent(
        request,
        {"amount": amount},
        lambda: services.capture_payment(services.get_payment(public_id), amount=amount),
        status=200,
    )


@api("POST")
def void(request: HttpRequest, public_id: str) -> HttpResponse:
    _body(request)
    return _idempotent(
        request, {}, lambda: services.void_payment(services.get_payment(public_id)), status=200
    )


@api("POST")
def refund(request: HttpRequest, public_id: str) -> HttpResponse:
    amount = _amount(_body(request), required=False)
    return _idempotent(
        request,
        {"amount": amount},
        lambda: services.refund_payment(services.get_payment(public_id), amount=amount),
        status=200,
    )


def _when(request: HttpRequest, name: str) -> datetime | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace(" ", "+"))
    except ValueError:
        raise Refused(400, "invalid_field", f"'{name}' must be an ISO 8601 date-time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _list_payments(request: HttpRequest) -> HttpResponse:
    """Oldest first; ``starting_after`` is the last id of the previous page."""
    try:
        limit = int(request.GET.get("limit", "20"))
    except ValueError:
        raise Refused(400, "invalid_field", "'limit' must be an integer.") from None
    if not 1 <= limit <= PAGE_LIMIT:
        raise Refused(400, "invalid_field", f"'limit' must be between 1 and {PAGE_LIMIT}.")
    found = Payment.objects.order_by("pk")
    if after := _when(request, "created_after"):
        found = found.filter(created_at__gte=after)
    if before := _when(request, "created_before"):
        found = found.filter(created_at__lt=before)
    if starting_after := request.GET.get("starting_after", "").strip():
        anchor = Payment.objects.filter(public_id=starting_after).values_list("pk", flat=True)
        if not anchor:
            raise Refused(400, "invalid_field", f"'starting_after': no payment {starting_after!r}.")
        found = found.filter(pk__gt=anchor[0])
    with transaction.atomic():
        page = list(found[: limit + 1])
        for one in page[:limit]:
            services.expire_if_due(one)
    return JsonResponse(
        {"data": [one.as_json() for one in page[:limit]], "has_more": len(page) > limit}
    )


@api("GET")
def events(request: HttpRequest) -> HttpResponse:
    """The webhook events of one payment (``?payment=<id>``), with their delivery state."""
    public_id = request.GET.get("payment", "").strip()
    if not public_id:
        raise Refused(400, "missing_field", "'payment' is required.")
    found = Event.objects.filter(payment__public_id=public_id).order_by("pk")
    return JsonResponse(
        {
            "data": [
                {
                    "id": event.public_id,
                    "type": event.type,
                    "delivery": event.delivery,
                    "attempts": event.attempts,
                    "last_error": event.last_error,
                }
                for event in found
            ]
        }
    )


@api("POST")
def webhook_mode(request: HttpRequest) -> HttpResponse:
    """Test knob: ``{"mode": normal|duplicate|reorder|delay|drop, "delay": s, "url": ...}``."""
    data = _body(request)
    mode = _text(data, "mode", max_length=12)
    if mode not in WebhookMode.values:
        raise Refused(400, "invalid_field", f"'mode' must be one of {', '.join(WebhookMode)}.")
    delay = data.get("delay", conf.WEBHOOK_DELAY)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 3600:
        raise Refused(400, "invalid_field", "'delay' must be a number of seconds (0-3600).")
    url = _text(data, "url", max_length=2000, required=False)
    if url and urlsplit(url).scheme not in {"http", "https"}:
        raise Refused(400, "invalid_field", "'url' must be an http(s) URL.")
    with transaction.atomic():
        knobs = TestKnobs.current()
        knobs.webhook_mode, knobs.webhook_delay, knobs.webhook_url = mode, float(delay), url
        knobs.save()
    return JsonResponse({"mode": mode, "delay": float(delay), "url": knobs.url})


@api("POST")
def expire_now(request: HttpRequest, public_id: str) -> HttpResponse:
    """Test knob: the payment's session or authorisation runs out now."""
    with transaction.atomic():
        found = services.get_payment(public_id)
        now = timezone.now()
        if found.state == "authorised":
            found.authorisation_expires_at = now
        else:
            found.session_expires_at = now
        found.save()
        services.expire_if_due(found)
    return JsonResponse(found.as_json())


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error(404, "not_found", f"Nothing at {request.path}.")
