"""The public privacy pages: the notice in force, every earlier version, and comparisons.

Plain HTML forms and links only: the notice must be readable without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from bungu.privacy.datamap.cookies import cookie_registry
from bungu.privacy.models import Notice
from bungu.privacy.notices import gpc, publishing
from bungu.privacy.notices.practices import compare_notices
from bungu.privacy.notices.rendering import render_notice_text


def _notices() -> list[Notice]:
    return list(Notice.objects.order_by("-version"))


def _in_force(notices: list[Notice]) -> Notice | None:
    today = timezone.localdate()
    return next((notice for notice in notices if notice.effective <= today), None)


def notice(request: HttpRequest, version: int | None = None) -> HttpResponse:
    notices = _notices()
    current = _in_force(notices)
    by_version = {n.version: n for n in notices}
    shown = current if version is None else by_version.get(version)
    if shown is None:
        raise Http404("There is no such version of the privacy notice.")
    context = {
        "notice": shown,
        "notice_html": render_notice_text(shown.text),
        "notices": notices,
        "current": current,
        "upcoming": shown.effective > timezone.localdate(),
        "gpc_honoured": gpc.signal_sent(request),
    }
    response = render(request, "privacy/notice.html", context)
    # The page says whether this browser sent Global Privacy Control: never shared by caches.
    patch_vary_headers(response, [gpc.HEADER])
    add_never_cache_headers(response)
    return response


def _version(raw: str | None, name: str) -> int:
    if raw is None or not raw.strip():
        raise ValueError(f"Choose the {name} version to compare.")
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError(f"The {name} version must be a version number.") from None
    if value < 1:
        raise ValueError(f"The {name} version must be a version number.")
    return value


def compare(request: HttpRequest) -> HttpResponse:
    notices = _notices()
    context: dict[str, object] = {"notices": notices}
    try:
        old_version = _version(request.GET.get("old"), "older")
        new_version = _version(request.GET.get("new"), "newer")
        if old_version == new_version:
            raise ValueError("Choose two different versions.")
    except ValueError as error:
        context["problem"] = str(error)
        return render(request, "privacy/compare.html", context, status=400)
    old_version, new_version = sorted((old_version, new_version))
    by_version = {n.version: n for n in notices}
    missing = [v for v in (old_version, new_version) if v not in by_version]
    if missing:
        context["problem"] = f"There is no version {missing[0]} of the privacy notice."
        return render(request, "privacy/compare.html", context, status=404)
    old, new = by_version[old_version], by_version[new_version]
    context.update(old=old, new=new, comparison=compare_notices(old, new))
    return render(request, "privacy/compare.html", context)


# ---------------------------------------------------------------- cookies and GPC
def cookies(request: HttpRequest) -> HttpResponse:
    """P10, P11: the cookies the shop sets, made from the registry the tests hold it to."""
    return render(request, "privacy/cookies.html", {"cookies": list(cookie_registry)})


@require_GET
def gpc_json(request: HttpRequest) -> JsonResponse:
    """/.well-known/gpc.json: this site honours Global Privacy Control."""
    return JsonResponse(gpc.well_known())


# ---------------------------------------------------------------- answering a new notice (P25)
def _local_page(request: HttpRequest, raw: str | None) -> str:
    """The shop page the customer came from, or "" for anything that is not one."""
    raw = (raw or "").strip()[:500]
    if raw.startswith("/") and url_has_allowed_host_and_scheme(
        raw, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return raw
    return ""


def _customer_id(request: HttpRequest) -> int:
    if request.user.pk is None:
        raise PermissionDenied
    return int(request.user.pk)


@login_required
@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest) -> HttpResponse:
    customer = _customer_id(request)
    notice = publishing.notice_awaiting_answer(subject=customer)
    from_page = _local_page(request, request.POST.get("from") or request.GET.get("from"))
    if request.method == "POST":
        answer = request.POST.get("answer")
        if notice is None:
            messages.info(request, "There is nothing for you to answer.")
            return redirect(from_page or "privacy:notice")
        if answer not in {"accept", "decline"} or request.POST.get("version") != str(
            notice.version
        ):
            messages.error(request, "Choose to accept or decline the version shown.")
            return redirect("privacy:consent")
        publishing.answer_notice(
            subject=customer,
            notice_version=notice.version,
            accept=answer == "accept",
            page=from_page or request.path,
        )
        if answer == "accept":
            done = f"Thank you: version {notice.version} now applies to all your information."
        else:
            done = "Noted: your earlier information stays under the older rules."
        messages.success(request, done)
        return redirect(from_page or "privacy:notice")
    earlier: list[Notice] = []
    if notice is not None:
        in_force = list(Notice.objects.filter(effective__lte=timezone.localdate()))
        earlier = publishing.affects(
            notice,
            notices=in_force,
            collected_since=getattr(request.user, "date_joined", None),
        )
    context = {
        "notice": notice,
        "earlier": earlier,
        "comparisons": [compare_notices(old, notice) for old in earlier if notice],
        "from_page": from_page,
    }
    return render(request, "privacy/consent.html", context)
