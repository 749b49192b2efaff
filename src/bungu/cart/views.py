"""The cart's pages: thin views that parse the request, call a service and show the outcome.

Every action works without JavaScript (POST, then a redirect with a message). Adding from
the product page with htmx answers with a small fragment instead: the message and the
header badge, swapped in place.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST, require_safe
from django_htmx.middleware import HtmxDetails

from . import services
from .badge import badge_html
from .forms import AddToCartForm, QuantityForm, first_error


class HtmxRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it."""

    htmx: HtmxDetails


def _back_to_cart(*, added: bool = False) -> HttpResponseRedirect:
    # ?added=1 lets the cart page notice a browser that refused the cookie just set (P11).
    return redirect(reverse("cart:detail") + ("?added=1" if added else ""))


def _fragment(request: HttpRequest, *, text: str, level: str, count: int | None) -> HttpResponse:
    context = {"text": text, "level": level, "badge": None if count is None else badge_html(count)}
    # 422 for a refusal; the htmx configuration (base layout) still swaps it in.
    status = 422 if level == "error" else 200
    return render(request, "cart/_added.html", context, status=status)


@require_safe
def detail(request: HttpRequest) -> HttpResponse:
    cart = services.find_cart(request)
    summary = services.view_cart(cart, request=request)
    signed_in = request.user.is_authenticated
    cookie_refused = request.GET.get("added") == "1" and not signed_in and not cart
    context = {
        "summary": summary,
        "cookie_refused": cookie_refused,
        "signed_in": signed_in,
        "max_quantity": services.MAX_LINE_QUANTITY,
        "cart_days": settings.BUNGU_CART_COOKIE_DAYS,
    }
    response = render(request, "cart/detail.html", context)
    add_never_cache_headers(response)
    return response


@require_POST
def add(request: HtmxRequest) -> HttpResponse:
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        return _refused(request, first_error(form))
    try:
        with transaction.atomic():
            cart = services.cart_for(request)
            change = services.add_item(
                cart, sku_id=form.cleaned_data["sku"], quantity=form.cleaned_data["quantity"]
            )
            count = services.count_cart_items(cart)
    except services.CartError as error:
        return _refused(request, str(error))
    level = "warning" if change.was_capped else "success"
    if request.htmx:
        return _fragment(request, text=change.message, level=level, count=count)
    messages.add_message(
        request, messages.WARNING if change.was_capped else messages.SUCCESS, change.message
    )
    return _back_to_cart(added=True)


def _refused(request: HtmxRequest, text: str) -> HttpResponse:
    if request.htmx:
        return _fragment(request, text=f"Nothing was added: {text}", level="error", count=None)
    messages.error(request, f"Nothing was added: {text}")
    return _back_to_cart()


@require_POST
def update_line(request: HttpRequest, line_id: int) -> HttpResponse:
    form = QuantityForm(request.POST)
    try:
        with transaction.atomic():
            cart = services.cart_for(request)
            # Ownership first: someone else's line is a 404 whatever the form says.
            services.get_line(cart, line_id=line_id)
            if not form.is_valid():
                messages.error(request, f"Nothing was changed: {first_error(form)}")
                return _back_to_cart()
            change = services.set_quantity(
                cart, line_id=line_id, quantity=form.cleaned_data["quantity"]
            )
    except services.LineNotFound:
        raise Http404("No such line in your cart.") from None
    except services.CartError as error:
        messages.error(request, f"Nothing was changed: {error}")
        return _back_to_cart()
    messages.add_message(
        request, messages.WARNING if change.was_capped else messages.SUCCESS, change.message
    )
    return _back_to_cart()


@require_POST
def remove_line(request: HttpRequest, line_id: int) -> HttpResponse:
    try:
        with transaction.atomic():
            name = services.remove_line(services.cart_for(request), line_id=line_id)
    except services.LineNotFound:
        raise Http404("No such line in your cart.") from None
    messages.success(request, f"Removed {name} from your cart.")
    return _back_to_cart()
