"""The back office's order pages: the list and an order's detail for customer service (refund,
cancel, returns), the pick list and packing slips for fulfilment (ship). Each page needs its
purpose; the person behind an order comes through ``order_reading`` (the privacy accessor,
logged), never from the order row directly (P13)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from bungu.orders import fulfilment, refunds, returns, services as order_services
from bungu.orders.models import Order, OrderLine, ReturnState
from bungu.orders.states import LineState, OrderState, TransitionRefused
from bungu.privacy import Purpose, PurposeNotAllowed, actor_may_act_for

from . import services
from .order_forms import (
    CancelForm,
    OrderFilterForm,
    RefundForm,
    ReturnActionForm,
    ReturnRefundForm,
    ShipForm,
)
from .order_reading import read_order_person
from .views import staff_only, staff_post

View = Callable[..., HttpResponse]
PAGE_SIZE = 25
# What the order services refuse with a message for the person who asked.
_REFUSED = (order_services.OrderError, TransitionRefused)


def _member(request: HttpRequest) -> AbstractBaseUser:
    user = request.user
    if not isinstance(user, AbstractBaseUser):
        raise Http404("No such page.")
    return user


def _actor(request: HttpRequest) -> str:
    return f"staff #{request.user.pk}"


def _refused(request: HttpRequest, purpose: Purpose) -> HttpResponse:
    message = f"Your role does not let you use customers' data for {purpose.label}."
    return render(request, "backoffice/orders/refused.html", {"message": message}, status=403)


def for_purpose(purpose: Purpose) -> Callable[[View], View]:
    """Only members who may act for the purpose reach the page (P13)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not actor_may_act_for(_member(request), purpose):
                return _refused(request, purpose)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _order(number: str) -> Order:
    order = Order.objects.filter(number=number).first()
    if order is None:
        raise Http404("No such order.")
    return order


# ---------------------------------------------------------------- customer service
def _filtered(form: OrderFilterForm, member: AbstractBaseUser) -> QuerySet[Order]:
    orders = Order.objects.all()
    data = form.cleaned_data
    query = data.get("q", "").strip()
    if query:
        if "@" in query:
            if not services.may_search_by_email(member):
                form.add_error("q", "Your role may not search by e-mail address.")
                return orders.none()
            orders = orders.filter(Q(email__iexact=query) | Q(customer__email__iexact=query))
        else:
            orders = orders.filter(number__iexact=query.lstrip("#"))
    if data.get("state"):
        orders = orders.filter(state=data["state"])
    if data.get("payment"):
        orders = orders.filter(payment_state=data["payment"])
    if data.get("method"):
        orders = orders.filter(shipping_method=data["method"])
    zone = timezone.get_current_timezone()
    if data.get("placed_from"):
        orders = orders.filter(
            created_at__gte=datetime.combine(data["placed_from"], time.min, tzinfo=zone)
        )
    if data.get("placed_to"):
        orders = orders.filter(
            created_at__lte=datetime.combine(data["placed_to"], time.max, tzinfo=zone)
        )
    return orders


@staff_only
@for_purpose(Purpose.CUSTOMER_SERVICE)
def order_list(request: HttpRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET)
    status = 200
    if form.is_valid():
        orders = _filtered(form, _member(request))
    else:
        orders, status = Order.objects.none(), 400
    if form.errors:
        status = 400
    page = Paginator(
        orders.only(
            "number",
            "created_at",
            "state",
            "payment_state",
            "shipping_method_name",
            "total",
            "currency",
        ),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "backoffice/orders/list.html", context, status=status)


def _detail_context(request: HttpRequest, order: Order) -> dict[str, Any]:
    person = read_order_person(
        order=order, purpose=Purpose.CUSTOMER_SERVICE, member=_member(request)
    )
    seen = refunds.seen_state(order)
    order_returns = list(order.returns.prefetch_related("lines__line"))
    return {
        "order": order,
        "person": person,
        "lines": list(order.lines.select_related("shipment")),
        "events": list(order.events.all()),
        "shipments": list(order.shipments.all()),
        "refunds": list(order.refunds.all()),
        "returns": order_returns,
        "refund_form": RefundForm.fresh(seen),
        "return_refund_form": ReturnRefundForm.fresh(seen),
        "cancel_form": CancelForm(),
        "ReturnState": ReturnState,
    }


@staff_only
@for_purpose(Purpose.CUSTOMER_SERVICE)
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _order(number)
    try:
        context = _detail_context(request, order)
    except PurposeNotAllowed:
        return _refused(request, Purpose.CUSTOMER_SERVICE)
    return render(request, "backoffice/orders/detail.html", context)


@staff_post
@for_purpose(Purpose.CUSTOMER_SERVICE)
def order_refund(request: HttpRequest, number: str) -> HttpResponse:
    order = _order(number)
    form = RefundForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing was refunded: {form.errors.as_text()}")
        return redirect("backoffice:order", number=number)
    try:
        made = refunds.refund_order(
            order=order,
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            idempotency_key=form.cleaned_data["key"],
            seen=form.seen(),
            actor=_actor(request),
        )
    except _REFUSED as refused:
        messages.error(request, str(refused))
    else:
        if made.created:
            messages.success(request, f"Refunded {made.refund.amount} {order.currency}.")
        else:
            messages.info(request, "That refund was already made; nothing more was refunded.")
    return redirect("backoffice:order", number=number)


@staff_post
@for_purpose(Purpose.CUSTOMER_SERVICE)
def order_cancel(request: HttpRequest, number: str) -> HttpResponse:
    order = _order(number)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        order_services.cancel_order(order=order, actor=_actor(request), reason=reason)
    except _REFUSED as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Order {order.number} is cancelled.")
    return redirect("backoffice:order", number=number)


@staff_post
@for_purpose(Purpose.CUSTOMER_SERVICE)
def order_return(request: HttpRequest, number: str, return_id: int) -> HttpResponse:
    order = _order(number)
    actor = _actor(request)
    try:
        if request.POST.get("action") == "refund":
            guard = ReturnRefundForm(request.POST)
            if not guard.is_valid():
                raise order_services.OrderError("This form is malformed; reload the page.")
            returns.refund_return(
                order=order,
                return_id=return_id,
                idempotency_key=guard.cleaned_data["key"],
                seen=guard.seen(),
                actor=actor,
            )
        else:
            form = ReturnActionForm(request.POST)
            if not form.is_valid():
                raise order_services.OrderError("Choose approve, reject or received.")
            action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
            if action == "approve":
                returns.approve_return(order=order, return_id=return_id, actor=actor)
            elif action == "reject":
                returns.reject_return(order=order, return_id=return_id, actor=actor, reason=reason)
            else:
                returns.receive_return(order=order, return_id=return_id, actor=actor)
    except _REFUSED as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Return {return_id} updated; the customer is e-mailed.")
    return redirect("backoffice:order", number=number)


@staff_post
@for_purpose(Purpose.CUSTOMER_SERVICE)
def order_delivered(request: HttpRequest, number: str) -> HttpResponse:
    order = _order(number)
    try:
        fulfilment.mark_delivered(order=order, actor=_actor(request))
    except _REFUSED as refused:
        messages.error(request, str(refused))
    return redirect("backoffice:order", number=number)


# ---------------------------------------------------------------- fulfilment
_OPEN = [LineState.WAITING, LineState.PICKED]


@staff_only
@for_purpose(Purpose.FULFILMENT)
def pick_list(request: HttpRequest) -> HttpResponse:
    """What to pick: open lines of orders still to ship, oldest order first; no person's data
    and no prices (two queries, however many orders). A gift note is flagged, not shown: its
    words are on the packing slip, read through the accessor and logged (P13)."""
    lines = (
        OrderLine.objects.filter(state__in=_OPEN)
        .exclude(order__state=OrderState.CANCELLED)
        .annotate(gift=ExpressionWrapper(~Q(order__gift_note=""), output_field=BooleanField()))
        .select_related("order", "sku")
        .only(
            "quantity",
            "sku_code",
            "name",
            "state",
            "sku__tip_size",
            "sku__ink_colour",
            "sku__body_colour",
            "sku__paper_size",
            "sku__pack_size",
            "order__number",
            "order__shipping_method_name",
            "order__created_at",
        )
        .order_by("order__created_at", "order_id", "id")
    )
    page = Paginator(lines, 100).get_page(request.GET.get("page"))
    return render(request, "backoffice/fulfilment/pick_list.html", {"page": page})


@staff_only
@for_purpose(Purpose.FULFILMENT)
def packing_slip(request: HttpRequest, number: str) -> HttpResponse:
    """The packing slip: ship-to, method, this parcel's lines, the gift note. Each view (and
    so each print) is one access-log entry for fulfilment."""
    order = _order(number)
    lines = [line for line in order.lines.select_related("sku") if line.state in _OPEN]
    try:
        person = read_order_person(order=order, purpose=Purpose.FULFILMENT, member=_member(request))
    except PurposeNotAllowed:
        return _refused(request, Purpose.FULFILMENT)
    context = {
        "order": order,
        "person": person,
        "lines": lines,
        "form": ShipForm(lines=lines, initial={"lines": [line.pk for line in lines]}),
    }
    return render(request, "backoffice/fulfilment/packing_slip.html", context)


@staff_post
@for_purpose(Purpose.FULFILMENT)
def ship(request: HttpRequest, number: str) -> HttpResponse:
    order = _order(number)
    lines = list(order.lines.filter(state__in=_OPEN))
    form = ShipForm(request.POST, lines=lines)
    if not form.is_valid():
        messages.error(request, f"Nothing was shipped: {form.errors.as_text()}")
        return redirect("backoffice:packing_slip", number=number)
    try:
        fulfilment.ship_lines(
            order=order,
            line_ids=form.cleaned_data["lines"],
            carrier=form.cleaned_data["carrier"],
            tracking_number=form.cleaned_data["tracking_number"],
            release_rest=form.cleaned_data["release_rest"],
            actor=_actor(request),
        )
    except _REFUSED as refused:
        messages.error(request, str(refused))
        return redirect("backoffice:packing_slip", number=number)
    messages.success(request, f"Order {order.number}: marked shipped; the customer is e-mailed.")
    return redirect("backoffice:pick_list")
