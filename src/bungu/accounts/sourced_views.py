"""P9: the customer's page of information from other sources: each value with its source,
agreement, date and notice rule, to correct or remove. Another customer's value answers 404."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from . import sourced
from .models import SourcedDetail, User
from .sourced_forms import AddressCorrectionForm, InterestsCorrectionForm


def _own(request: HttpRequest, detail_id: int) -> SourcedDetail:
    try:
        return sourced.get_sourced_detail(customer=cast(User, request.user), detail_id=detail_id)
    except SourcedDetail.DoesNotExist:
        raise Http404("No such information on your account.") from None


@login_required
def sourced_details(request: HttpRequest) -> HttpResponse:
    details = sourced.list_sourced_details(customer=cast(User, request.user))
    return render(
        request,
        "accounts/sourced_details.html",
        {"details": details, "section": "sourced"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def correct_sourced_detail(request: HttpRequest, detail_id: int) -> HttpResponse:
    detail = _own(request, detail_id)
    form: InterestsCorrectionForm | AddressCorrectionForm
    if detail.kind == SourcedDetail.Kind.INTERESTS:
        form = InterestsCorrectionForm(
            request.POST or None, initial={"interests": detail.interests}
        )
    else:
        form = AddressCorrectionForm(request.POST or None, initial=detail.postal_address)
    if request.method == "POST" and form.is_valid():
        sourced.correct_sourced_detail(
            detail=detail, actor=cast(User, request.user), value=form.value()
        )
        messages.success(request, "Corrected; the earlier version is in your history.")
        return redirect("accounts:sourced_details")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "accounts/sourced_correct.html",
        {"form": form, "detail": detail, "section": "sourced"},
        status=status,
    )


@login_required
@require_POST
def remove_sourced_detail(request: HttpRequest, detail_id: int) -> HttpResponse:
    sourced.remove_sourced_detail(detail=_own(request, detail_id))
    messages.success(request, "Removed. We keep no copy of it.")
    return redirect("accounts:sourced_details")
