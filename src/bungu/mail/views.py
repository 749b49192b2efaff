"""The customer's e-mail choices (P21): a page for signed-in customers, and the signed
one-click unsubscribe link of RFC 8058, which needs no sign-in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from bungu import privacy

from . import services
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
