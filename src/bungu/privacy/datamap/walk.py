"""P19, P22: how one customer's rows are found across the data map.

"My data" and the account erasure walk the same way, so what the customer is shown is what
is erased. A model is reached through each link its app declared to the customer it is about
(both people of a guardian link), else through its first relation to a user; a model linked
to any record by content type (Django admin's change log) is reached through the rows found
that way: an entry about the customer's account or one of their records is about them, even
though the staff member who wrote it is the only user it points at.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from bungu.privacy.datamap.registry import DataMap, GenericLink


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


def linked_models(datamap: DataMap, *, user_model: type[models.Model]) -> Iterator[Linked]:
    """Each model holding personal data that refers to a customer, in label order. Models
    linked by content type and personal data tied to no account are left out."""
    for model_label in datamap.model_labels():
        model = apps.get_model(model_label)
        paths = datamap.subject_paths(model, user_model=user_model)
        if paths:
            yield Linked(model_label, model, paths)


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
    id_field = model._meta.get_field(link.object_id)
    if not isinstance(id_field, models.Field):
        raise TypeError(f"{model._meta.label}.{link.object_id} is not a column")
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
