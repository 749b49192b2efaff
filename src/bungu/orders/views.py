"""The customer's orders: history, detail and cancel in the account; a guest's order by the
signed link in the confirmation e-mail. Another customer's order is a 404, never a 403, so
nobody learns which order numbers exist."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from . import services
from .models import Order


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
    context = {"order": order, "section": "orders", "cancel_url": "orders:cancel", "key": number}
    return render(request, "orders/detail.html", context)


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
    context = {"order": order, "cancel_url": "orders:guest_cancel", "key": token}
    response = render(request, "orders/guest.html", context)
    # The link is a secret: it must not leak to other sites through the Referer header.
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_POST
def guest_cancel(request: HttpRequest, token: str) -> HttpResponse:
    order = _guest_order(token)
    _cancel(request, order, actor="guest")
    return redirect("orders:guest", token=token)
