"""The public privacy pages: the notice in force, every earlier version, and comparisons.

Plain HTML forms and links only: the notice must be readable without JavaScript.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .models import Notice
from .practices import compare_notices
from .rendering import render_notice_text


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
    }
    return render(request, "privacy/notice.html", context)


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
