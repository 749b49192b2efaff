"""P19, P22, P15, P13: the one walk that finds a customer's rows across the data map.

"My data", the erasure of an account, the export for a business transfer and the accessor
all find a customer's rows here, so what the customer is shown is what is erased, exported
and handed to staff. A model is reached through each link its app declared to the customer
it is about (both people of a guardian link), else through its first relation to a user; a
model linked to any record by content type (Django admin's change log) is reached through
the rows found that way: an entry about the customer's account or one of their records is
about them, even though the staff member who wrote it is the only user it points at.

Rows are read through each model's base manager: a manager that hides rows (an archive, a
soft delete) must not hide them from the customer or from their erasure.

``find_subject_rows`` walks for one customer (My data, erasure); ``find_all_subject_rows``
walks for every customer at once, one pass per link (the transfer export), and finds the same
rows a walk per customer would.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from bungu.privacy.datamap.registry import DataMap, GenericLink

# The columns to read of a model's rows, besides the primary key (none: just find them).
Columns = Callable[[type[models.Model]], Sequence[str]]
Row = dict[str, Any]
_CHUNK = 2000


def _no_columns(model: type[models.Model]) -> Sequence[str]:
    return ()


def _user_model() -> type[models.Model]:
    return apps.get_model(settings.AUTH_USER_MODEL)


@dataclass(frozen=True)
class Linked:
    """A model of the data map and its paths to the customers its rows are about."""

    model_label: str
    model: type[models.Model]
    paths: tuple[str, ...]

    @property
    def depth(self) -> int:
        """How many relations away from the account its rows are (0: the account itself)."""
        return max(path.count("__") + 1 if path else 0 for path in self.paths)

    def condition(self, owner: Any) -> Q:
        """The rows about this customer, whichever link names them."""
        return reduce(operator.or_, (Q(**{path or "pk": owner}) for path in self.paths))

    def rows_about(self, owner: Any, *, columns: Sequence[str] = ()) -> list[Row]:
        """This customer's rows of the model, in primary-key order, with ``pk`` and the
        columns asked for."""
        names = ["pk", *(name for name in columns if name != "pk")]
        rows = self.model._base_manager.filter(self.condition(owner)).order_by("pk")
        return list(rows.values(*dict.fromkeys(names)))


@dataclass(frozen=True)
class Found:
    """The rows of one model about a customer, with the columns the walker was asked for."""

    model: type[models.Model]
    rows: list[Row]

    @property
    def model_label(self) -> str:
        return self.model._meta.label

    @property
    def pks(self) -> list[Any]:
        return [row["pk"] for row in self.rows]


def linked_models(datamap: DataMap, *, user_model: type[models.Model]) -> Iterator[Linked]:
    """Each model holding personal data that refers to a customer, in label order. Models
    linked by content type and personal data tied to no account are left out."""
    for model_label in datamap.model_labels():
        found = linked_model(datamap, apps.get_model(model_label), user_model=user_model)
        if found is not None:
            yield found


def linked_model(
    datamap: DataMap, model: type[models.Model], *, user_model: type[models.Model] | None = None
) -> Linked | None:
    """How a model's rows lead to the customers they are about; None for a model linked by
    content type only, or one that refers to no customer."""
    paths = datamap.subject_paths(model, user_model=user_model or _user_model())
    return Linked(model._meta.label, model, paths) if paths else None


def generic_models(datamap: DataMap) -> Iterator[tuple[type[models.Model], GenericLink]]:
    """The models of the data map that refer to any record by content type and id."""
    for model_label, link in sorted(datamap.generic_links().items()):
        yield apps.get_model(model_label), link


def generic_condition(
    model: type[models.Model],
    link: GenericLink,
    found: Mapping[type[models.Model], Sequence[Any]],
) -> Q | None:
    """The rows of ``model`` that name one of the ``found`` rows (model -> primary keys), or
    None when there is nothing to look for. Content types come from Django's cache."""
    wanted = {other: ids for other, ids in found.items() if ids and other is not model}
    if not wanted:
        return None
    content_types = ContentType.objects.get_for_models(*wanted)
    id_field = _object_id_field(model, link)
    return reduce(
        operator.or_,
        (
            Q(
                **{
                    link.content_type: content_types[other],
                    f"{link.object_id}__in": [id_field.to_python(pk) for pk in ids],
                }
            )
            for other, ids in wanted.items()
        ),
    )


def _object_id_field(model: type[models.Model], link: GenericLink) -> models.Field[Any, Any]:
    id_field = model._meta.get_field(link.object_id)
    if not isinstance(id_field, models.Field):
        raise TypeError(f"{model._meta.label}.{link.object_id} is not a column")
    return id_field


def find_subject_rows(
    datamap: DataMap,
    *,
    owner: Any,
    columns: Columns = _no_columns,
    user_model: type[models.Model] | None = None,
) -> list[Found]:
    """Every row the data map finds about one customer, by model, in the order they are
    erased: rows reached through another row (a cart's lines) before it, the account last,
    and the rows linked by content type (the change log, whose text may quote the customer)
    first, found before anything they name is gone. One query per model of the data map.
    Models without rows are left out."""
    user_model = user_model or _user_model()
    found: list[tuple[int, Found]] = []
    for linked in linked_models(datamap, user_model=user_model):
        rows = linked.rows_about(owner, columns=columns(linked.model))
        if rows:
            found.append((linked.depth, Found(linked.model, rows)))
    deepest = max((depth for depth, _ in found), default=0) + 1
    ids = {item.model: item.pks for _, item in found}
    for model, link in generic_models(datamap):
        condition = generic_condition(model, link, ids)
        if condition is None:
            continue
        names = ["pk", *(name for name in columns(model) if name != "pk")]
        query = model._base_manager.filter(condition).order_by("pk")
        rows = list(query.values(*dict.fromkeys(names)))
        if rows:
            found.append((deepest, Found(model, rows)))
    found.sort(key=lambda item: (-item[0], item[1].model_label))
    return [item for _, item in found]


def find_all_subject_rows(
    datamap: DataMap, *, columns: Columns = _no_columns
) -> tuple[dict[Any, list[Found]], list[Found]]:
    """The walk of ``find_subject_rows`` for every customer at once: each customer's rows by
    model (a row about two customers, a guardian link, under both), and apart the rows of the
    models linked by content type that name no customer's row. Models holding personal data
    tied to no account (a list from another company) are not walked: they are about nobody
    the shop knows."""
    user_model = _user_model()
    by_owner: dict[Any, dict[type[models.Model], list[Row]]] = defaultdict(dict)
    owners_of: dict[type[models.Model], dict[Any, list[Any]]] = defaultdict(dict)
    for linked in linked_models(datamap, user_model=user_model):
        wanted = [name for name in columns(linked.model) if name != "pk"]
        for path in linked.paths:
            key = f"{path}__pk" if path else "pk"
            query = linked.model._base_manager.order_by("pk")
            values = query.values(*dict.fromkeys(["pk", *wanted, key]))
            for row in values.iterator(chunk_size=_CHUNK):
                owner = row.pop(key) if key != "pk" else row["pk"]
                if owner is None:
                    continue
                owners_of[linked.model].setdefault(row["pk"], []).append(owner)
                by_owner[owner].setdefault(linked.model, []).append(row)
    unowned: list[Found] = []
    for model, link in generic_models(datamap):
        names = ["pk", *(name for name in columns(model) if name != "pk")]
        extra = [f"{link.content_type}_id", link.object_id]
        types = {ContentType.objects.get_for_model(other).pk: other for other in owners_of}
        unclaimed: list[Row] = []
        values = model._base_manager.order_by("pk").values(*dict.fromkeys([*names, *extra]))
        for row in values.iterator(chunk_size=_CHUNK):
            kind, object_id = row.pop(extra[0]), row[link.object_id]
            if link.object_id not in names:
                del row[link.object_id]
            other = types.get(kind)
            owners = _owners_named(owners_of, other, object_id) if other is not None else []
            for owner in owners:
                by_owner[owner].setdefault(model, []).append(dict(row))
            if not owners:
                unclaimed.append(row)
        if unclaimed:
            unowned.append(Found(model, unclaimed))
    customers = {
        owner: [
            Found(model, sorted(rows, key=lambda row: row["pk"]))
            for model, rows in sorted(found.items(), key=lambda item: item[0]._meta.label)
        ]
        for owner, found in by_owner.items()
    }
    return customers, unowned


def _owners_named(
    owners_of: Mapping[type[models.Model], Mapping[Any, list[Any]]],
    model: type[models.Model],
    object_id: Any,
) -> list[Any]:
    """The customers whose row of ``model`` has this id (a text id, as content types keep it)."""
    try:
        pk = model._meta.pk.to_python(object_id) if model._meta.pk else object_id
    except ValidationError:  # an id that names no row of this model names no one
        return []
    return list(dict.fromkeys(owners_of.get(model, {}).get(pk, [])))
