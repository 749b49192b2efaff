"""The signed-in customer's privacy pages: "My data" (P19, P20, P13) and their privacy
requests (P26); deleting the account is ``views/deletion.py``. Every page shows the
signed-in customer's own data only; another customer's request answers 404."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bungu.privacy.datamap.taxonomy import Purpose
from bungu.privacy.exceptions import NoNoticeInForce
from bungu.privacy.models import ConsentMethod, PrivacyRequest
from bungu.privacy.notices.open_tracking import (
    may_record_opens,
    open_recording_answer,
    set_open_recording,
)
from bungu.privacy.rights import concerns
from bungu.privacy.rights.mydata import build_my_data
from bungu.privacy.views.forms import PrivacyRequestForm


def customer_id(request: HttpRequest) -> int:
    if request.user.pk is None:
        raise PermissionDenied
    return int(request.user.pk)


@never_cache
@login_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    data = build_my_data(subject=customer_id(request))
    return render(
        request,
        "privacy/my_data.html",
        {"data": data, "open_confirmations": _open_confirmations(request)},
    )


def _open_confirmations(request: HttpRequest) -> dict[str, object]:
    """P7: whether opens of the shop's marketing e-mail, and of the offers it sends for other
    businesses (P14), are recorded for this customer now, and why (their own answer, the
    notice that binds their address and its default, or a GPC signal)."""
    now = timezone.now()
    joined = min(getattr(request.user, "date_joined", None) or now, now)
    subject = customer_id(request)
    decision, offers = (
        may_record_opens(subject=subject, purpose=purpose, collected_at=joined, now=now)
        for purpose in (Purpose.MARKETING_EMAIL, Purpose.PARTNER_OFFERS)
    )
    return {
        "on": decision.allowed,
        "reason": decision.reason,
        "partner_offers": offers.allowed,
        "partner_offers_reason": offers.reason,
        "answer": open_recording_answer(subject=customer_id(request)),
    }


@never_cache
@login_required
@require_POST
def open_confirmations(request: HttpRequest) -> HttpResponse:
    """P7: turn the recording of e-mail opens off (or on again); it takes effect at once."""
    choice = request.POST.get("record_opens", "")
    if choice not in {"on", "off"}:
        return HttpResponseBadRequest("Choose record_opens=on or record_opens=off.")
    try:
        set_open_recording(
            subject=customer_id(request),
            allowed=choice == "on",
            method=ConsentMethod.FORM,
            page=request.path,
        )
    except NoNoticeInForce:
        # No notice, no practice that records opens: nothing is recorded either way.
        messages.error(request, "No privacy notice is in force yet, so nothing is recorded.")
    else:
        _confirm_open_choice(request, on=choice == "on")
    return redirect(reverse("privacy:my_data") + "#open-confirmations")


def _confirm_open_choice(request: HttpRequest, *, on: bool) -> None:
    if on:
        messages.success(request, "We will note when you open our e-mail.")
    else:
        messages.success(request, "We no longer note when you open our e-mail.")


@never_cache
@login_required
@require_GET
def my_data_download(request: HttpRequest) -> HttpResponse:
    data = build_my_data(subject=customer_id(request))
    body = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="my-data-{day}.json"'
    return response


@never_cache
@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    requests = concerns.list_privacy_requests_for(customer=customer_id(request))
    return render(request, "privacy/requests/list.html", {"requests": requests})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    form = PrivacyRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        made = concerns.submit_privacy_request(
            customer=customer_id(request),
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
            customer=customer_id(request), request_id=request_id
        )
    except PrivacyRequest.DoesNotExist:
        raise Http404("No such request.") from None
    return render(request, "privacy/requests/detail.html", {"privacy_request": found})
