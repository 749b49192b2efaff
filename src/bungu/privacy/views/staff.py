"""The privacy pages for the shop's staff (the admin and the back office have the rest)."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from bungu.privacy.datamap.registry import data_map
from bungu.privacy.datamap.report import datamap_rows


@staff_member_required
def staff_datamap(request: HttpRequest) -> HttpResponse:
    """The data map, read-only, for the shop's staff."""
    rows = datamap_rows()
    context = {
        "fields": rows,
        "models": sorted({row["model"] for row in rows}),
        "not_personal_count": len(data_map.declared_labels()) - len(rows),
    }
    return render(request, "privacy/staff/datamap.html", context)
