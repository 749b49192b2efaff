"""P22: the signed-in customer asks to delete their account, or changes their mind within
the grace period. The flow itself is ``rights/deletion.py``."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from bungu.privacy.exceptions import DeletionAlreadyRequested, NoDeletionPending
from bungu.privacy.rights import deletion
from bungu.privacy.views.customer import customer_id
from bungu.privacy.views.forms import DeleteAccountForm


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    customer = customer_id(request)
    form = DeleteAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            requested = deletion.request_account_deletion(subject=customer)
        except DeletionAlreadyRequested as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"Your account will be deleted on "
                f"{timezone.localtime(requested.due_at):%B %-d, %Y}. We sent you an e-mail.",
            )
        return redirect("privacy:delete_account")
    context = {
        "form": form,
        "pending": deletion.pending_account_deletion(subject=customer),
        "grace_days": settings.BUNGU_DELETION_GRACE_DAYS,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "privacy/delete_account.html", context, status=status)


@login_required
@require_POST
def cancel_delete_account(request: HttpRequest) -> HttpResponse:
    try:
        deletion.cancel_account_deletion(subject=customer_id(request))
    except NoDeletionPending as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Your account will not be deleted. Nothing was erased.")
    return redirect("privacy:delete_account")
