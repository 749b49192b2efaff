"""P22: the account pages where a customer asks to delete their account, or cancels."""

from __future__ import annotations

from typing import cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from bungu import privacy
from bungu.accounts.models import User

from . import account_deletion


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand that my account and the data about me will be erased.",
        error_messages={"required": "Tick the box to confirm that you want your account deleted."},
    )


def _customer(request: HttpRequest) -> User:
    # login_required lets only signed-in customers through.
    return cast(User, request.user)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    user = _customer(request)
    form = DeleteAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            deletion = account_deletion.request_deletion(user=user)
        except privacy.DeletionAlreadyRequested as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"Your account will be deleted on "
                f"{timezone.localtime(deletion.due_at):%B %-d, %Y}. We sent you an e-mail.",
            )
        return redirect("storefront:delete_account")
    context = {
        "section": "delete",
        "form": form,
        "pending": account_deletion.pending_deletion(user=user),
        "grace_days": settings.BUNGU_DELETION_GRACE_DAYS,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "storefront/delete_account.html", context, status=status)


@login_required
@require_POST
def cancel_delete_account(request: HttpRequest) -> HttpResponse:
    try:
        account_deletion.cancel_deletion(user=_customer(request))
    except privacy.NoDeletionPending as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Your account will not be deleted. Nothing was erased.")
    return redirect("storefront:delete_account")
