"""P26 without signing in: the public request form, and the e-mailed link that confirms a
request. The form's answer is the same for every address (concerns.py says why); the link's
page changes nothing until its button is pressed, since mail scanners open links too."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from bungu.privacy.datamap.clocks import REQUEST_LINK_VALID_DAYS
from bungu.privacy.rights import concerns
from bungu.privacy.views import throttle
from bungu.privacy.views.forms import PrivacyRequestByEmailForm


def _too_many(request: HttpRequest, wait_seconds: int) -> HttpResponse:
    minutes = max(1, -(-wait_seconds // 60))
    response = render(request, "privacy/requests/too_many.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(wait_seconds)
    return response


def _busy(request: HttpRequest) -> HttpResponse:
    """The limits cannot be counted (the shared cache is down): they fail closed."""
    response = render(request, "privacy/requests/busy.html", status=503)
    response["Retry-After"] = "60"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def request_by_email(request: HttpRequest) -> HttpResponse:
    form = PrivacyRequestByEmailForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        try:
            wait = throttle.use(throttle.PER_VISITOR, key=throttle.client_ip(request))
            if wait is None and form.is_valid():
                wait = throttle.use(throttle.PER_ADDRESS, key=form.cleaned_data["email"])
        except throttle.CacheUnavailable:
            return _busy(request)
        if wait is not None:
            return _too_many(request, wait)
        if form.is_valid():
            concerns.request_by_email(
                email=form.cleaned_data["email"],
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
            )
            return redirect("privacy:request_link_sent")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "valid_days": REQUEST_LINK_VALID_DAYS}
    return render(request, "privacy/requests/by_email.html", context, status=status)


@never_cache
@require_GET
def request_link_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request, "privacy/requests/link_sent.html", {"valid_days": REQUEST_LINK_VALID_DAYS}
    )


@never_cache
@require_http_methods(["GET", "POST"])
def request_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if request.method == "POST":
            confirmation = concerns.confirm_request_link(token=token)
            return render(
                request,
                "privacy/requests/confirmed.html",
                {
                    "privacy_request": confirmation.request,
                    "already_confirmed": confirmation.already_confirmed,
                },
            )
        pending = concerns.open_request_link(token=token)
    except concerns.BadRequestLink as problem:
        context = {
            "problem": str(problem),
            "expired": isinstance(problem, concerns.ExpiredRequestLink),
        }
        return render(request, "privacy/requests/link_problem.html", context, status=400)
    if pending.request is not None:
        return render(
            request,
            "privacy/requests/confirmed.html",
            {"privacy_request": pending.request, "already_confirmed": True},
        )
    return render(request, "privacy/requests/confirm.html", {"pending": pending, "token": token})
