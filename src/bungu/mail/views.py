"""The customer's e-mail choices (P21): a page for signed-in customers, and the signed
one-click unsubscribe link of RFC 8058, which needs no sign-in."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from bungu import privacy

from . import opens, services
from .exceptions import BadUnsubscribeLink
from .forms import PreferencesForm
from .preferences import get_preferences, set_preferences


def _customer(request: HttpRequest) -> AbstractBaseUser:
    if not isinstance(request.user, AbstractBaseUser):
        raise Http404
    return request.user


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    # Always the signed-in customer's own choices: the address names nobody.
    user = _customer(request)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            set_preferences(
                user=user,
                choices=form.choices(),
                method=privacy.ConsentMethod.FORM,
                page=request.path,
            )
            messages.success(request, "Your e-mail choices are saved.")
            return redirect("mail:preferences")
    else:
        form = PreferencesForm(initial=get_preferences(user=user).as_dict())
    return render(request, "mail/preferences.html", {"form": form})


# RFC 8058: a mail client POSTs "List-Unsubscribe=One-Click" with no cookie and no CSRF token;
# the signed token in the address is what authorises the change, and it can do nothing else.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if request.method == "POST":
            category = services.unsubscribe(token=token, page="one-click unsubscribe link")
            return render(request, "mail/unsubscribed.html", {"category": category})
        category = services.check_unsubscribe_link(token)
    except BadUnsubscribeLink as error:
        return render(request, "mail/bad_link.html", {"problem": str(error)}, status=400)
    return render(request, "mail/unsubscribe.html", {"category": category, "token": token})


def _client_ip(request: HttpRequest) -> str:
    """The fetching address, read as the rest of the shop reads it (BUNGU_TRUSTED_PROXIES)."""
    trusted = int(settings.BUNGU_TRUSTED_PROXIES)
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
    if trusted > 0 and len(hops) >= trusted and hops[-trusted]:
        return hops[-trusted]
    return str(request.META.get("REMOTE_ADDR", ""))


# P7: a mail client fetches this with no cookie and must get none back: the response is built
# by hand (no template, no session, no CSRF token) and never stored by a cache.
@require_GET
def open_image(request: HttpRequest, token: str) -> HttpResponse:
    try:
        opens.record_open(
            token=token,
            user_agent=request.headers.get("User-Agent", "")[:500],
            ip=_client_ip(request),
            gpc=bool(getattr(request, "gpc", False)),
        )
    except opens.UnknownTrackingImage:
        response: HttpResponse = HttpResponseNotFound(
            b"No such image.", content_type="text/plain; charset=utf-8"
        )
    else:
        response = HttpResponse(opens.PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store, private"
    return response
