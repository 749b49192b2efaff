"""What the back office reads about customers, always through ``bungu.privacy.access`` (P13)."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
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
class Section:
    """One model's records as the page shows them."""

    title: str
    columns: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class CustomerView:
    customer_id: int
    purpose: Purpose
    sections: list[Section]
    fields: list[str]


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
    """Everything the purpose may see about the customer, as one logged access. Raises
    PurposeNotAllowed if the member may not act for it, LookupError for an unknown customer."""
    fields = shown_fields(purpose)
    data = access(
        subject=customer_id, purpose=purpose, actor=member, fields=[f.label for f in fields]
    )
    by_model: dict[str, list[Field]] = {}
    for item in fields:
        by_model.setdefault(item.model_label, []).append(item)
    sections = []
    for model_label, items in by_model.items():
        meta = apps.get_model(model_label)._meta
        sections.append(
            Section(
                title=str(meta.verbose_name_plural).capitalize(),
                columns=[str(meta.get_field(i.field_name).verbose_name) for i in items],
                rows=[
                    [_display(row[i.field_name]) for i in items]
                    for row in data.records[model_label]
                ],
            )
        )
    return CustomerView(
        customer_id=customer_id,
        purpose=purpose,
        sections=sections,
        fields=[f.label for f in fields],
    )
