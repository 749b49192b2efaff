"""The shop's admin site: Django's, with its date drill-down guarded.

The admin's date hierarchy (``?created_at__year=2026&created_at__month=5``) turns the numbers
it is given into dates, and a year past 9998, a month of 10**12 or the 31st of February ended
in a server error. Every admin page passes through ``admin_view``, so one check here answers
such an address with a 400 and a sentence, on every changelist present and future.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse, QueryDict
from django.template.response import TemplateResponse

_View = TypeVar("_View", bound=Callable[..., Any])

# The date hierarchy moves to the next year, month or day, so the last year is 9998.
_RANGES = {"year": (1, datetime.MAXYEAR - 1), "month": (1, 12), "day": (1, 31)}


def date_lookup_problem(params: QueryDict) -> str | None:
    """Why the date drill-down parameters cannot name a date, or None if they can (or there
    are none)."""
    parts: dict[str, dict[str, int]] = {}
    for key, values in params.lists():
        field, sep, part = key.rpartition("__")
        if not sep or part not in _RANGES:
            continue
        low, high = _RANGES[part]
        for value in values:
            text = value.strip()
            if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
                return f"The {part} must be a number from {low} to {high}."
            parts.setdefault(field, {})[part] = int(text)
    for found in parts.values():
        if "year" in found:
            try:
                datetime.date(found["year"], found.get("month", 1), found.get("day", 1))
            except ValueError:
                return "There is no such date."
    return None


class ShopAdminSite(admin.AdminSite):
    def admin_view(self, view: _View, cacheable: bool = False) -> _View:
        guarded = super().admin_view(view, cacheable)

        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            problem = date_lookup_problem(request.GET)
            if problem is not None and request.user.is_active and request.user.is_staff:
                context = {**self.each_context(request), "title": "Bad date", "problem": problem}
                return TemplateResponse(request, "admin/bad_date.html", context, status=400)
            response: HttpResponse = guarded(request, *args, **kwargs)
            return response

        checked.admin_site = self  # type: ignore[attr-defined]  # as Django's wrapper does
        return cast(_View, checked)


class ShopAdminConfig(AdminConfig):
    default_site = "bungu.backoffice.site.ShopAdminSite"
