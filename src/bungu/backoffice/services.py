"""What the back office reads about customers, always through ``bungu.privacy.access`` (P13)."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.template.defaultfilters import pluralize
from django.utils import formats, timezone

from bungu.privacy import (
    DataCategory,
    Field,
    PracticeSet,
    Purpose,
    access,
    actor_may_act_for,
    fields_for,
    practices_in_force,
)

EMAIL = "accounts.User.email"


class UnknownPurpose(ValueError):  # noqa: N818 - a domain noun, like Http404
    """No purpose has the short name a page address gave."""


class SearchRefused(ValueError):  # noqa: N818 - a domain noun, like Http404
    """The query is malformed, or asks for something the member may not search by."""


def purpose_slug(purpose: Purpose) -> str:
    """The short name a page address uses: ``customer_service``, ``fulfilment``..."""
    return purpose.name.lower()


def purpose_from_slug(slug: str) -> Purpose:
    for purpose in Purpose:
        if purpose_slug(purpose) == slug:
            return purpose
    raise UnknownPurpose(f"There is no purpose called {slug!r}.")


def shown_fields(purpose: Purpose, *, practices: PracticeSet | None = None) -> list[Field]:
    """The fields a page shows for a purpose: what the data map, the purpose's scope and the
    notice in force allow, less credentials. A password hash or session key helps no one
    reading a page and hurts the customer if it leaks, so the back office never asks for one.
    ``practices``: the notice's, when the caller asks about many purposes."""
    return [
        item
        for item in fields_for(purpose, practices=practices)
        if not DataCategory.CREDENTIALS.covers(item.category)
    ]


def purposes_offered(member: AbstractBaseUser) -> list[Purpose]:
    """The purposes the member may act for that have something to show, in the taxonomy's order."""
    practices = practices_in_force()
    return [
        purpose
        for purpose in Purpose
        if shown_fields(purpose, practices=practices) and actor_may_act_for(member, purpose)
    ]


def may_search_by_email(member: AbstractBaseUser) -> bool:
    """Only a member who may see e-mail addresses may look customers up by one: matching an
    address typed in is itself a use of it."""
    practices = practices_in_force()
    return any(
        EMAIL in {item.label for item in shown_fields(p, practices=practices)}
        for p in purposes_offered(member)
    )


def find_customer(*, query: str, member: AbstractBaseUser) -> int | None:
    """The number of the customer the query names (``123``, ``#123`` or an exact e-mail
    address), or None. Lists nobody: a search names one customer or none."""
    query = query.strip()
    users = get_user_model()._default_manager
    if query.lstrip("#").isdigit():
        number = int(query.lstrip("#"))
        return number if users.filter(pk=number).exists() else None
    if "@" in query:
        if not may_search_by_email(member):
            raise SearchRefused(
                "Your role may not see e-mail addresses, so it may not search by one. "
                "Search by customer number."
            )
        found = users.filter(email__iexact=query).values_list("pk", flat=True).first()
        return int(found) if found is not None else None
    raise SearchRefused("Enter a customer number (such as 123) or an exact e-mail address.")


@dataclass(frozen=True)
class Cell:
    text: str
    # The number of the note saying why the value is withheld (P25); None when it is shown.
    note: int | None = None


@dataclass(frozen=True)
class Section:
    """One model's records as the page shows them."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    # (row, column) -> the note saying why that value is withheld.
    withheld: dict[tuple[int, int], int] = field(default_factory=dict)

    @property
    def cells(self) -> list[list[Cell]]:
        return [
            [Cell(text, self.withheld.get((r, c))) for c, text in enumerate(row)]
            for r, row in enumerate(self.rows)
        ]


@dataclass(frozen=True)
class Note:
    """Why some values are withheld (P25): which fields, how many values, the reason."""

    number: int
    reason: str
    fields: list[str]


@dataclass(frozen=True)
class CustomerView:
    customer_id: int
    purpose: Purpose
    sections: list[Section]
    fields: list[str]
    notes: list[Note] = field(default_factory=list)


def _display(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def read_customer(*, customer_id: int, purpose: Purpose, member: AbstractBaseUser) -> CustomerView:
    """Everything the purpose may see about the customer, as one logged access; values the
    notice they were collected under keeps from the purpose are left out, each with a note
    (P25). Raises PurposeNotAllowed if the member may not act for the purpose or nothing at
    all may be shown, LookupError for an unknown customer."""
    fields = shown_fields(purpose)
    data = access(
        subject=customer_id, purpose=purpose, actor=member, fields=[f.label for f in fields]
    )
    by_model: dict[str, list[Field]] = {}
    for item in fields:
        by_model.setdefault(item.model_label, []).append(item)
    numbers: dict[str, int] = {}
    noted: dict[int, list[str]] = {}
    sections = []
    for model_label, items in by_model.items():
        meta = apps.get_model(model_label)._meta
        title = str(meta.verbose_name_plural).capitalize()
        columns = [str(meta.get_field(i.field_name).verbose_name) for i in items]
        withheld: dict[tuple[int, int], int] = {}
        for column, item in enumerate(items):
            for kept in (w for w in data.withheld if w.label == item.label):
                number = numbers.setdefault(kept.reason, len(numbers) + 1)
                count = len(kept.rows)
                values = f"{count} value{pluralize(count)}" if count else "none on record"
                noted.setdefault(number, []).append(f"{title}: {columns[column]} ({values})")
                withheld.update({(row, column): number for row in kept.rows})
        rows = [
            [_display(row[i.field_name]) if i.field_name in row else "" for i in items]
            for row in data.records[model_label]
        ]
        sections.append(Section(title=title, columns=columns, rows=rows, withheld=withheld))
    notes = [Note(number, reason, noted[number]) for reason, number in numbers.items()]
    return CustomerView(
        customer_id=customer_id,
        purpose=purpose,
        sections=sections,
        fields=[f.label for f in fields],
        notes=notes,
    )
