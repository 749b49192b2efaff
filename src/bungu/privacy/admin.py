"""Back-office views of the privacy records. The ledger and the log are read-only here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AccessLogEntry, ConsentEvent, Notice


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic only in the stubs
    list_display = ["version", "effective", "created_at"]
    ordering = ["-version"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic only in the stubs
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "subject", "kind", "notice", "practice", "method"]
    list_filter = ["kind", "method"]
    raw_id_fields = ["subject"]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_label", "subject", "purpose", "granted"]
    list_filter = ["granted", "purpose"]
    raw_id_fields = ["subject", "actor"]
