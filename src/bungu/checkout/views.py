"""Checkout pages: thin views that check who is asking, call a service and render.

Every step works without JavaScript. An attempt belongs to the signed-in customer who made
it, or to the cart (behind its secret cookie) of the guest who made it; anybody else gets a
404 and never learns whether it exists.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import prefetch_related_objects
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bungu import payments
from bungu.accounts import guardians, services as account_services
from bungu.accounts.models import User
from bungu.cart import services as cart_services
from bungu.cart.models import Cart
from bungu.orders import services as orders

from . import approval_views, approvals, pricing, reconcile, services
from .csp import allow_processor_page
from .forms import AddressForm, PlaceOrderForm, ShippingForm, shown_fields
from .models import AttemptState, CheckoutAttempt


def _user(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def _owns(request: HttpRequest, attempt: CheckoutAttempt, cart: Cart | None) -> bool:
    user = _user(request)
    if user is not None:
        return attempt.customer_id == user.pk
    return attempt.customer_id is None and cart is not None and attempt.cart_id == cart.pk


def _current(request: HttpRequest, cart: Cart | None) -> CheckoutAttempt | None:
    user = _user(request)
    return services.find_current_attempt(
        customer_id=user.pk if user else None, cart_id=cart.pk if cart else None
    )


def _back_to_cart(request: HttpRequest) -> HttpResponseRedirect:
    messages.info(request, "Your cart is empty: add something to check out.")
    return redirect("cart:detail")


def _supervised(request: HttpRequest) -> bool:
    """P23: a supervised (under-18) account does not pay by itself: its guardian approves
    and pays (``approvals``)."""
    user = _user(request)
    return user is not None and guardians.is_supervised(user)


def _step(request: HttpRequest, template: str, context: dict[str, Any], **kw: Any) -> HttpResponse:
    response = render(request, template, context, **kw)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """The cart's "Check out" leads to the first step itself, not to a redirect to it: one
    round trip less for every buyer (an empty cart still goes back to the cart)."""
    return address(request)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def address(request: HttpRequest) -> HttpResponse:
    cart = cart_services.find_cart(request)
    # Read with the request: the page's cart badge then needs no query of its own.
    if cart is None or cart_services.view_cart(cart, request=request).is_empty:
        return _back_to_cart(request)
    user = _user(request)
    attempt = _current(request, cart)
    saved = account_services.list_addresses(customer=user) if user else []
    options: dict[str, Any] = {
        "addresses": saved,
        "ask_email": user is None,
        # P23: a supervised account is not asked to say it is 18 or over; it is not.
        "ask_adult": user is None or (user.adult_declared_at is None and not _supervised(request)),
    }
    if request.method == "POST":
        form = AddressForm(request.POST, **options)
        if form.is_valid():
            details = dict(form.cleaned_data)
            if user is not None:
                details["email"] = user.email
                if options["ask_adult"]:
                    account_services.record_adult_statement(user=user)
            attempt = services.save_details(
                attempt=attempt,
                cart=cart,
                customer_id=user.pk if user else None,
                details=details,
                adult_declared=user is None,
            )
            return redirect("checkout:shipping")
    else:
        initial: dict[str, Any] = {}
        if attempt is not None:
            initial = {name: getattr(attempt, name) for name in services.DETAIL_FIELDS}
        elif user is not None and (
            default := next((a for a in saved if a.is_default_shipping), None)
        ):
            initial = {"saved_address": default.pk}
        form = AddressForm(initial=initial, **options)
    context = {"form": form, "fields": shown_fields(form), "step": "address"}
    return _step(request, "checkout/address.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def shipping(request: HttpRequest) -> HttpResponse:
    cart = cart_services.find_cart(request)
    attempt = _current(request, cart)
    if attempt is None:
        return redirect("checkout:address")
    quote = pricing.price_cart(
        summary=cart_services.view_cart(cart, request=request), attempt=attempt
    )
    if not quote.lines:
        return _back_to_cart(request)
    options = pricing.shipping_options(subtotal=quote.subtotal, weight_grams=quote.weight_grams)
    choices = [
        (
            o.method.pk,
            f"{o.method.name}: ${o.cost}"
            + (f" ({o.method.delivery_note})" if o.method.delivery_note else ""),
        )
        for o in options
    ]
    if request.method == "POST":
        form = ShippingForm(request.POST, choices=choices)
        if form.is_valid():
            attempt = services.choose_shipping(
                attempt=attempt, method_id=form.cleaned_data["method"]
            )
            return redirect("checkout:review")
    else:
        form = ShippingForm(initial={"method": attempt.shipping_method_id}, choices=choices)
    return _step(request, "checkout/shipping.html", {"form": form, "step": "shipping"})


@never_cache
@require_GET
def review(request: HttpRequest) -> HttpResponse:
    cart = cart_services.find_cart(request)
    attempt = _current(request, cart)
    if attempt is None:
        return redirect("checkout:address")
    if attempt.shipping_method_id is None:
        return redirect("checkout:shipping")
    if attempt.state == AttemptState.COMPLETED:
        return redirect("checkout:done", attempt_id=attempt.pk)
    quote = pricing.price_cart(
        summary=cart_services.view_cart(cart, request=request), attempt=attempt
    )
    if not quote.lines:
        return _back_to_cart(request)
    fingerprint = quote.fingerprint(attempt)
    if attempt.state not in {AttemptState.OPEN, AttemptState.PAYING} or (
        attempt.payment_id and attempt.fingerprint != fingerprint
    ):
        # The old attempt's payment cannot change its terms: a new attempt, a new payment.
        attempt = services.renew_attempt(attempt=attempt)
        quote = pricing.build_quote(cart=cart, attempt=attempt)
        fingerprint = quote.fingerprint(attempt)
    form = PlaceOrderForm(initial={"attempt": attempt.pk, "fingerprint": fingerprint})
    context: dict[str, Any] = {"attempt": attempt, "quote": quote, "form": form, "step": "review"}
    user = _user(request)
    if user is not None and _supervised(request):
        latest = approvals.find_latest_request(customer_id=user.pk)
        context |= {
            "supervised": True,
            "guardian": guardians.guardian_of(user),
            "latest_request": latest,
            # The request is for the order as it was asked; the cart has moved on since.
            "request_differs": latest is not None and latest.fingerprint != fingerprint,
            "states": AttemptState,
        }
    return allow_processor_page(_step(request, "checkout/review.html", context))


@require_POST
def pay(request: HttpRequest) -> HttpResponse:
    form = PlaceOrderForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(
            "This order form is damaged; go back to the review page and place the order again."
        )
    cart = cart_services.find_cart(request)
    attempt = services.find_attempt(attempt_id=form.cleaned_data["attempt"])
    if attempt is None or not _owns(request, attempt, cart):
        raise Http404("No such checkout.")
    if _supervised(request):
        return _ask_guardian(request, attempt, cart, form.cleaned_data["fingerprint"])
    return_url = request.build_absolute_uri(reverse("checkout:return", args=[attempt.pk]))
    try:
        started = services.start_payment(
            attempt=attempt,
            cart=cart,
            fingerprint=form.cleaned_data["fingerprint"],
            return_url=return_url,
        )
    except services.AttemptSpent as error:
        services.renew_attempt(attempt=attempt)
        messages.error(request, str(error))
        return redirect("checkout:review")
    except services.CheckoutError as error:
        messages.error(request, str(error))
        return redirect("checkout:review")
    if started.completion is not None:
        return _after(request, started.completion, owner=True)
    return HttpResponseRedirect(started.redirect_url)


def _ask_guardian(
    request: HttpRequest, attempt: CheckoutAttempt, cart: Cart | None, fingerprint: str
) -> HttpResponse:
    """P23: "Place order" on a supervised account asks the guardian instead of paying."""
    user = _user(request)
    assert user is not None  # noqa: S101 - only signed-in accounts are supervised
    try:
        requested = approvals.request_approval(
            attempt=attempt, cart=cart, fingerprint=fingerprint, ward=user
        )
    except services.CheckoutError as error:
        if isinstance(error, services.AttemptSpent):
            services.renew_attempt(attempt=attempt)
        messages.error(request, str(error))
        return redirect("checkout:review")
    # The request keeps its snapshot; the cart goes on in a fresh attempt.
    services.renew_attempt(attempt=requested)
    return redirect("checkout:requested", attempt_id=requested.pk)


def _after(request: HttpRequest, completion: services.Completion, *, owner: bool) -> HttpResponse:
    if completion.outcome == services.Outcome.PLACED and owner:
        return redirect("checkout:done", attempt_id=completion.attempt_id)
    if owner and completion.outcome != services.Outcome.PROCESSOR_DOWN:
        messages.error(request, completion.message)
        return redirect("checkout:review")
    status = (
        200
        if completion.outcome in {services.Outcome.PLACED, services.Outcome.PROCESSOR_DOWN}
        else 400
    )
    return _step(request, "checkout/returned.html", {"completion": completion}, status=status)


@never_cache
@require_GET
def payment_return(request: HttpRequest, attempt_id: str) -> HttpResponse:
    """Where the processor sends the customer back. Its query parameters are a hint at most:
    the payment is read from the processor and checked against the attempt."""
    attempt = services.find_attempt(attempt_id=attempt_id)
    if attempt is None:
        raise Http404("No such checkout.")
    completion = services.complete_from_return(
        attempt=attempt, payment_hint=request.GET.get("payment", "")
    )
    user = _user(request)
    if user is not None and attempt.approved_at is not None and attempt.guardian_id == user.pk:
        # P23: the guardian paid for a supervised account's order.
        return approval_views.after_guardian_payment(request, completion)
    owner = _owns(request, attempt, cart_services.find_cart(request))
    return _after(request, completion, owner=owner)


@never_cache
@require_GET
def done(request: HttpRequest, attempt_id: str) -> HttpResponse:
    attempt = services.find_attempt(attempt_id=attempt_id)
    if attempt is None or not _owns(request, attempt, cart_services.find_cart(request)):
        raise Http404("No such order.")
    order = orders.find_order_for_attempt(attempt_id=attempt.pk)
    if order is None:
        return redirect("checkout:review")
    # The order's lines in one query, for the order's own template.
    prefetch_related_objects([order], "lines")
    context = {"order": order, "signed_in": _user(request) is not None}
    return _step(request, "checkout/done.html", context)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """The processor's notifications: verified by signature, handled once per event id."""
    try:
        outcome = reconcile.handle_webhook(body=request.body, headers=request.headers)
    except payments.InvalidWebhook as error:
        return HttpResponse(f"invalid webhook: {error}", status=400, content_type="text/plain")
    except reconcile.WebhookRetryLater:
        return HttpResponse("try again later", status=503, content_type="text/plain")
    return HttpResponse(outcome, content_type="text/plain")
