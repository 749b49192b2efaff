"""The customer's orders: history, detail, cancel and returns in the account; a guest's order
by the signed link in the confirmation e-mail, with the same cancel and returns. Another
customer's order is a 404, never a 403, so nobody learns which order numbers exist."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from . import returns, services
from .models import Order, OrderEvent


def _customer_id(request: HttpRequest) -> int:
    return int(str(request.user.pk))


def _own_order(request: HttpRequest, number: str) -> Order:
    try:
        return services.get_order(customer_id=_customer_id(request), number=number)
    except Order.DoesNotExist:
        raise Http404("No such order.") from None


@require_safe
@never_cache
@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    orders = services.list_orders(customer_id=_customer_id(request))
    return render(request, "orders/list.html", {"orders": orders, "section": "orders"})


@require_safe
@never_cache
@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _own_order(request, number)
    context = {
        "order": order,
        "section": "orders",
        "cancel_url": "orders:cancel",
        "key": number,
        **_returns_context(order),
    }
    return render(request, "orders/detail.html", context)


def _returns_context(order: Order) -> dict[str, Any]:
    """What the returns part of an order page shows (``orders/_returns.html``)."""
    open_units = returns.returnable(order)
    return {
        "returnable": [
            (line, open_units[line.pk]) for line in order.lines.all() if line.pk in open_units
        ],
        "return_requests": list(order.returns.all()),
        # P13: what the delivery company reported of the parcels (the agents' API).
        "tracking": list(order.events.filter(kind=OrderEvent.Kind.TRACKING)),
        "return_days": settings.BUNGU_RETURN_DAYS,
    }


def _quantities(request: HttpRequest) -> dict[int, int]:
    """The form's ``qty-<line id>`` fields. Raises ReturnRefused for what is not a number."""
    found: dict[int, int] = {}
    for name in request.POST:
        value = request.POST.get(name, "")
        if not name.startswith("qty-") or not value.strip():
            continue
        try:
            found[int(name[4:])] = int(value)
        except ValueError:
            raise returns.ReturnRefused("Quantities are whole numbers.") from None
    return found


def _ask_for_return(request: HttpRequest, order: Order, *, actor: str) -> None:
    try:
        returns.request_return(
            order=order,
            quantities=_quantities(request),
            reason=request.POST.get("reason", "")[:300],
            actor=actor,
        )
    except returns.ReturnRefused as refused:
        messages.error(request, f"No return was asked for: {refused}")
    else:
        messages.success(
            request, "Your return request is in. We will e-mail you when it is approved."
        )


@require_POST
@login_required
def request_return(request: HttpRequest, number: str) -> HttpResponse:
    order = _own_order(request, number)
    _ask_for_return(request, order, actor="customer")
    return redirect("orders:detail", number=order.number)


def _cancel(request: HttpRequest, order: Order, *, actor: str) -> None:
    try:
        services.cancel_order(order=order, actor=actor)
    except services.OrderError as error:
        messages.error(request, f"The order was not cancelled: {error}")
    else:
        messages.success(request, f"Order {order.number} is cancelled. Nothing will be charged.")


@require_POST
@login_required
def cancel(request: HttpRequest, number: str) -> HttpResponse:
    order = _own_order(request, number)
    _cancel(request, order, actor="customer")
    return redirect("orders:detail", number=order.number)


def _guest_order(token: str) -> Order:
    try:
        return services.get_order_by_guest_link(token=token)
    except services.BadGuestLink:
        raise Http404("This order link is not valid or has expired.") from None


@require_safe
@never_cache
def guest_order(request: HttpRequest, token: str) -> HttpResponse:
    order = _guest_order(token)
    context = {
        "order": order,
        "cancel_url": "orders:guest_cancel",
        "key": token,
        **_returns_context(order),
    }
    response = render(request, "orders/guest.html", context)
    # The link is a secret: it must not leak to other sites through the Referer header. Not
    # "no-referrer": with it a browser sends "Origin: null" with the page's own forms (cancel,
    # return), which the CSRF check rightly refuses; "same-origin" keeps it on the shop.
    response["Referrer-Policy"] = "same-origin"
    return response


@require_POST
def guest_cancel(request: HttpRequest, token: str) -> HttpResponse:
    order = _guest_order(token)
    _cancel(request, order, actor="guest")
    return redirect("orders:guest", token=token)


@require_POST
def guest_request_return(request: HttpRequest, token: str) -> HttpResponse:
    """A guest asks for a return through the signed link: the link stands for the account a
    guest does not have, as it does for cancelling."""
    order = _guest_order(token)
    _ask_for_return(request, order, actor="guest")
    return redirect("orders:guest", token=token)
