"""P20: when a customer's information is updated, a copy of the earlier version is kept.

One mechanism for every model, at the lowest place every update passes: the model's
``save()``. A model whose personal fields people can change inherits ``KeepsPriorVersions``;
before a save changes a field its app declared personal and given (by the customer or by
staff for them), the stored row is handed to the keeper its app names by dotted path::

    PRIOR_VERSIONS = {
        "accounts.Address": KeptBy("bungu.accounts.versions.keep_prior_version"),
        "accounts.GuardianLink": NotVersioned("Never edited: ..."),
    }

So a service, a back-office form, the Django admin and a third-party flow (allauth's
e-mail change saves the user) all keep the earlier version without knowing about it. A
save hook on the model, not a signal: it is part of the model's contract, runs inside the
save's transaction, and a model opts in visibly in its class line. ``privacy.E006`` fails
for a model with such fields that declares neither, or declares a keeper it does not
inherit the hook for. ``QuerySet.update()`` bypasses ``save()``: the shop uses it only for
fields that are not given (timestamps, counters), which the hook would not version anyway.

A service that keeps a richer copy itself (the profile page keeps the name with the
profile) says so with ``prior_version_kept(instance)`` before saving, and the hook steps
aside once. ``changes_by(actor)`` names who is acting, for the copy's "changed by".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import models
from django.utils.module_loading import import_string

from bungu.privacy.datamap.registry import KeptBy, data_map
from bungu.privacy.datamap.taxonomy import DataCategory, Source

_actor: ContextVar[Any] = ContextVar("bungu_privacy_actor", default=None)
_KEPT = "_bungu_prior_version_kept"


def versioned_fields(model_label: str) -> list[str]:
    """The fields whose change keeps a prior version: declared personal and given, less the
    secrets (a password hash is never copied)."""
    return [
        item.field_name
        for item in data_map.for_model(model_label)
        if item.source is Source.GIVEN and not DataCategory.CREDENTIALS.covers(item.category)
    ]


@contextmanager
def changes_by(actor: Any) -> Iterator[None]:
    """Name who is changing records inside the block (a customer, or staff acting for one)."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> Any:
    return _actor.get()


def prior_version_kept(instance: models.Model) -> None:
    """Tell the hook that the caller kept this row's prior version itself, for its next save."""
    setattr(instance, _KEPT, True)


def keep_prior_version(instance: models.Model, *, update_fields: Any = None) -> bool:
    """Hand the stored row to its keeper when this save changes a versioned field (P20).
    Returns whether a prior version was kept."""
    if getattr(instance, _KEPT, False):
        setattr(instance, _KEPT, False)
        return False
    label = instance._meta.label
    declared = data_map.prior_versions_of(label)
    if instance._state.adding or instance.pk is None or not isinstance(declared, KeptBy):
        return False
    names = versioned_fields(label)
    if update_fields is not None:
        names = [name for name in names if name in set(update_fields)]
    if not names:
        return False
    stored = type(instance)._base_manager.filter(pk=instance.pk).first()
    if stored is None:
        return False
    attnames = [instance._meta.get_field(name).attname for name in names]  # type: ignore[union-attr]
    if all(getattr(stored, a) == getattr(instance, a) for a in attnames):
        return False
    import_string(declared.function_path)(stored=stored, actor=_actor.get())
    return True


class KeepsPriorVersions(models.Model):
    """P20: a model whose saves keep the earlier version of its given personal fields."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        keep_prior_version(self, update_fields=kwargs.get("update_fields"))
        super().save(*args, **kwargs)
