"""The signed-in customer's privacy pages: "My data" (P19, P20, P13), their privacy
requests (P26) and the deletion of their account (P22). Every page shows the signed-in
customer's own data only; another customer's request answers 404."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import account_deletion, concerns
from .exceptions import DeletionAlreadyRequested, NoDeletionPending
from .forms import DeleteAccountForm, PrivacyRequestForm
from .models import PrivacyRequest
from .mydata import build_my_data


def _customer_id(request: HttpRequest) -> int:
    if request.user.pk is None:
        raise PermissionDenied
    return int(request.user.pk)


@never_cache
@login_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    data = build_my_data(subject=_customer_id(request))
    return render(request, "privacy/my_data.html", {"data": data})


@never_cache
@login_required
@require_GET
def my_data_download(request: HttpRequest) -> HttpResponse:
    data = build_my_data(subject=_customer_id(request))
    body = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="my-data-{day}.json"'
    return response


@never_cache
@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    requests = concerns.list_privacy_requests_for(customer=_customer_id(request))
    return render(request, "privacy/requests/list.html", {"requests": requests})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    form = PrivacyRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        made = concerns.submit_privacy_request(
            customer=_customer_id(request),
            kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"],
        )
        messages.success(
            request,
            f"We received your request. We will confirm it by {made.confirm_due:%B %-d, %Y} "
            f"and answer by {made.answer_due:%B %-d, %Y}.",
        )
        return redirect("privacy:request_detail", request_id=made.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "privacy/requests/new.html", {"form": form}, status=status)


@never_cache
@login_required
@require_GET
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    try:
        found = concerns.get_privacy_request_for(
            customer=_customer_id(request), request_id=request_id
        )
    except PrivacyRequest.DoesNotExist:
        raise Http404("No such request.") from None
    return render(request, "privacy/requests/detail.html", {"privacy_request": found})


# ---------------------------------------------------------------- deleting the account (P22)
@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    customer = _customer_id(request)
    form = DeleteAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            deletion = account_deletion.request_deletion(subject=customer)
        except DeletionAlreadyRequested as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"Your account will be deleted on "
                f"{timezone.localtime(deletion.due_at):%B %-d, %Y}. We sent you an e-mail.",
            )
        return redirect("privacy:delete_account")
    context = {
        "form": form,
        "pending": account_deletion.pending_deletion(subject=customer),
        "grace_days": settings.BUNGU_DELETION_GRACE_DAYS,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "privacy/delete_account.html", context, status=status)


@login_required
@require_POST
def cancel_delete_account(request: HttpRequest) -> HttpResponse:
    try:
        account_deletion.cancel_deletion(subject=_customer_id(request))
    except NoDeletionPending as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Your account will not be deleted. Nothing was erased.")
    return redirect("privacy:delete_account")
