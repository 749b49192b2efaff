"""P23 pages: the guardian's list of orders to approve, approve (and pay) or decline, the
guardian's confirmation, and the young customer's page for their request.

Object-level permission: a request exists only for its guardian (and, on its own page, for
the young customer who made it); anybody else gets a 404 and never learns whether it exists.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from bungu.accounts.models import User
from bungu.orders import services as orders

from . import approvals, services
from .csp import allow_processor_page
from .models import AttemptState, CheckoutAttempt


def _signed_in(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - behind login_required
    return user


def _guardians_request(request: HttpRequest, attempt_id: str) -> CheckoutAttempt:
    try:
        return approvals.get_request_for_guardian(
            guardian=_signed_in(request), attempt_id=attempt_id
        )
    except CheckoutAttempt.DoesNotExist:
        raise Http404("No such order to approve.") from None


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
@require_GET
def approval_list(request: HttpRequest) -> HttpResponse:
    pending = approvals.list_pending_approvals(guardian_id=_signed_in(request).pk)
    context = {"pending": pending, "section": "approvals"}
    return allow_processor_page(_no_store(render(request, "checkout/approvals.html", context)))


@login_required
@require_POST
def approve(request: HttpRequest, attempt_id: str) -> HttpResponse:
    attempt = _guardians_request(request, attempt_id)
    return_url = request.build_absolute_uri(reverse("checkout:return", args=[attempt.pk]))
    try:
        started = approvals.approve_and_pay(
            attempt=attempt, guardian=_signed_in(request), return_url=return_url
        )
    except CheckoutAttempt.DoesNotExist:
        raise Http404("No such order to approve.") from None
    except services.CheckoutError as error:
        messages.error(request, str(error))
        return redirect("checkout:approvals")
    if started.completion is not None:
        return after_guardian_payment(request, started.completion)
    return HttpResponseRedirect(started.redirect_url)


@login_required
@require_POST
def decline(request: HttpRequest, attempt_id: str) -> HttpResponse:
    attempt = _guardians_request(request, attempt_id)
    try:
        approvals.decline(attempt=attempt, guardian=_signed_in(request))
    except CheckoutAttempt.DoesNotExist:
        raise Http404("No such order to approve.") from None
    except services.CheckoutError as error:
        messages.error(request, str(error))
        return redirect("checkout:approvals")
    name = attempt.customer.get_full_name() if attempt.customer else "They"
    messages.success(request, f"You declined the order. Nothing was charged; we have told {name}.")
    return redirect("checkout:approvals")


def after_guardian_payment(request: HttpRequest, completion: services.Completion) -> HttpResponse:
    """Where the guardian lands after the processor: the confirmation, or their list with
    what went wrong."""
    if completion.outcome == services.Outcome.PLACED:
        return redirect("checkout:approval_done", attempt_id=completion.attempt_id)
    messages.error(request, completion.message)
    return redirect("checkout:approvals")


@never_cache
@login_required
@require_GET
def approval_done(request: HttpRequest, attempt_id: str) -> HttpResponse:
    attempt = _guardians_request(request, attempt_id)
    order = orders.find_order_for_attempt(attempt_id=attempt.pk)
    if order is None:
        messages.info(request, "The payment for this order is not finished yet.")
        return redirect("checkout:approvals")
    context = {"order": order, "attempt": attempt, "section": "approvals"}
    return _no_store(render(request, "checkout/approval_done.html", context))


@never_cache
@login_required
@require_GET
def requested(request: HttpRequest, attempt_id: str) -> HttpResponse:
    """The young customer's own request: what was asked, and what became of it."""
    try:
        attempt = approvals.get_own_request(
            customer_id=_signed_in(request).pk, attempt_id=attempt_id
        )
    except CheckoutAttempt.DoesNotExist:
        raise Http404("No such request.") from None
    order = (
        orders.find_order_for_attempt(attempt_id=attempt.pk)
        if attempt.state == AttemptState.COMPLETED
        else None
    )
    context = {"attempt": attempt, "order": order, "states": AttemptState}
    return _no_store(render(request, "checkout/requested.html", context))
