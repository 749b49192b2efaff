"""P13 in the Django admin: a page about records holding customers' personal data reads those
values through ``access()`` for the admin's purpose, so they are logged value by value, like
the back office's, and withheld where the purpose (or the staff member) may not see them.

A ``GatedModelAdmin`` names the purpose, the field that points at the customer and the
personal fields it shows (``gated``). Wherever a gated field appears (list columns, the
record's page) the admin shows a column that reads the value handed over by ``access()`` for
that record; the raw field is never rendered. The list calls ``access()`` once per customer
on the page, the record's page once. Records tied to no account show no personal value.
A gated value is always shown read-only; fields outside ``gated`` (a reply staff write, a
status) stay editable where the admin allows changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import Model
from django.http import HttpRequest

from bungu.privacy.datamap.taxonomy import Purpose
from bungu.privacy.exceptions import PurposeNotAllowed
from bungu.privacy.sharing.accessor import access, fields_for

_Record = TypeVar("_Record", bound=Model)

# Where a record keeps what the gate handed over for the page being rendered.
_GATED = "_privacy_gated_values"
NOT_LINKED = "(not tied to an account: not shown)"
WITHHELD = "(withheld)"


def _column(model_field: Any) -> Callable[[Any], Any]:
    choices = dict(model_field.flatchoices or [])

    def show(obj: Any) -> Any:
        value = getattr(obj, _GATED, {}).get(model_field.name, WITHHELD)
        return choices.get(value, value) if choices else value

    show.short_description = model_field.verbose_name  # type: ignore[attr-defined]  # label
    return show


class GatedModelAdmin(admin.ModelAdmin[_Record]):
    purpose: ClassVar[Purpose]
    # The foreign key naming the customer the record is about.
    subject_field: ClassVar[str]
    # The record's personal fields the admin shows, each read through ``access()``.
    gated: ClassVar[tuple[str, ...]] = ()
    # Read-only by default; an admin whose records staff add or handle says False.
    read_only: ClassVar[bool] = True

    def __init__(self, model: type[_Record], admin_site: admin.AdminSite) -> None:
        super().__init__(model, admin_site)
        for name in self.gated:
            setattr(self, self._gated_name(name), _column(model._meta.get_field(name)))

    @staticmethod
    def _gated_name(name: str) -> str:
        return f"gated_{name}"

    def _swap(self, names: Sequence[Any]) -> list[Any]:
        swapped: list[Any] = []
        for name in names:
            if name in self.gated:
                swapped.append(self._gated_name(name))
            elif name == self.subject_field:
                swapped.append("customer_number")
            else:
                swapped.append(name)
        return list(dict.fromkeys(swapped))

    @admin.display(description="customer")
    def customer_number(self, obj: Any) -> str:
        subject = getattr(obj, f"{self.subject_field}_id")
        return f"#{subject}" if subject is not None else "-"

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        return self._swap(super().get_list_display(request))

    def get_list_display_links(
        self, request: HttpRequest, list_display: Sequence[Any]
    ) -> list[Any]:
        return [list_display[0]] if list_display else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        fields = list(super().get_fields(request, obj))
        # A record being added holds no one's data yet: its form is the plain one.
        return fields if obj is None else self._swap(fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        # A gated value is shown as read, never as a form field: what the gate handed over
        # is never saved back, and a withheld value is never put in a field. The raw names
        # stay here too, so the form leaves them out.
        gated = [self._gated_name(name) for name in self.gated]
        raw = [*self.gated, self.subject_field]
        return list(dict.fromkeys([*readonly, *raw, *gated, "customer_number"]))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return super().get_fieldsets(request, obj)
        return [(None, {"fields": self.get_fields(request, obj)})]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not self.read_only and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The list's actions need the change permission; a record's own page is read-only.
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or not self.read_only)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.read_only and super().has_delete_permission(request, obj)

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            self.read_through_gate(request, [obj], shown=self.get_fields(request, obj))
        return obj

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        shown = changelist.list_display
        self.read_through_gate(request, list(changelist.result_list), shown=shown)
        return changelist

    def read_through_gate(
        self, request: HttpRequest, records: Sequence[Any], *, shown: Sequence[Any]
    ) -> None:
        """Ask ``access()`` for each customer's records on the page, for the gated fields the
        page shows (``shown``: its columns or fields), and keep the values handed over on each
        record; the rest read as withheld, with the gate's reason."""
        model_label = self.model._meta.label
        allowed = {item.label for item in fields_for(self.purpose)}
        names = [
            name
            for name in self.gated
            if self._gated_name(name) in shown and f"{model_label}.{name}" in allowed
        ]
        by_subject: dict[Any, list[Any]] = {}
        for record in records:
            setattr(record, _GATED, dict.fromkeys(self.gated, NOT_LINKED))
            subject = getattr(record, f"{self.subject_field}_id")
            if subject is not None:
                by_subject.setdefault(subject, []).append(record)
        for subject, own in by_subject.items():
            by_key: dict[Any, dict[str, Any]] = {}
            reason = WITHHELD
            if names:
                try:
                    data = access(
                        subject=subject,
                        purpose=self.purpose,
                        actor=request.user,  # type: ignore[arg-type]  # the admin: staff only
                        fields=[f"{model_label}.{n}" for n in names],
                    )
                except PurposeNotAllowed:
                    reason = f"(withheld: not for {self.purpose.label})"
                else:
                    rows = data.records.get(model_label, [])
                    by_key = dict(zip(data.keys.get(model_label, []), rows, strict=True))
            for record in own:
                row = by_key.get(record.pk, {})
                setattr(record, _GATED, {name: row.get(name, reason) for name in self.gated})
