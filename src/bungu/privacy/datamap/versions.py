"""P20: when a customer's information is updated, a copy of the earlier version is kept.

One mechanism for every model, at the two places every update passes: the model's
``save()`` and its queryset's ``update()``. A model whose personal fields people can change
inherits ``KeepsPriorVersions``; before a change to a field its app declared personal and
given (by the customer or by staff for them), the stored row is handed to the keeper its app
names by dotted path::

    PRIOR_VERSIONS = {
        "accounts.Address": KeptBy("bungu.accounts.versions.keep_prior_version"),
        "accounts.GuardianLink": NotVersioned("Never edited: ..."),
    }

So a service, a back-office form, the Django admin and a third-party flow (allauth's
e-mail change saves the user) all keep the earlier version without knowing about it. A
save hook on the model, not a signal: it is part of the model's contract, runs inside the
save's transaction, and a model opts in visibly in its class line. ``privacy.E006`` fails
for a model with such fields that declares neither, or declares a keeper it does not
inherit the hook for.

``QuerySet.update()`` and ``bulk_update()`` bypass ``save()``, so each manager of such a
model is built on ``PriorVersionsQuerySet`` (``objects = PriorVersionsManager()``, or the
``as_manager()`` of a subclass with the model's own filters), and ``privacy.E007`` fails for
one that is not: an update that sets a versioned field first hands every row it changes to
the same keeper, in the same transaction; an update of other fields (timestamps, counters)
stays one UPDATE. Django's base manager, which Django itself uses under ``save()``, stays
plain; a caller that must not keep a copy (erasure, retention) calls
``models.QuerySet.update()`` itself and says why.

A service that keeps a richer copy itself (the profile page keeps the name with the
profile) says so with ``prior_version_kept(instance)`` before saving, and the hook steps
aside once; it marks an instance, so it has no queryset form: such a service saves row by
row. ``changes_by(actor)`` names who is acting, for the copy's "changed by", on both paths.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.utils.module_loading import import_string

from bungu.privacy.datamap.registry import KeptBy, data_map
from bungu.privacy.datamap.taxonomy import DataCategory, Source

_actor: ContextVar[Any] = ContextVar("bungu_privacy_actor", default=None)
_KEPT = "_bungu_prior_version_kept"
# The annotation that carries a field's value after the update, next to the stored one.
_AFTER = "p20_after_{}"

_M = TypeVar("_M", bound=models.Model)
_Keeper = Callable[..., object]


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


def _keeper(model: type[models.Model]) -> _Keeper | None:
    declared = data_map.prior_versions_of(model._meta.label)
    if not isinstance(declared, KeptBy):
        return None
    keeper: _Keeper = import_string(declared.function_path)
    return keeper


def keep_prior_version(instance: models.Model, *, update_fields: Any = None) -> bool:
    """Hand the stored row to its keeper when this save changes a versioned field (P20).
    Returns whether a prior version was kept."""
    if getattr(instance, _KEPT, False):
        setattr(instance, _KEPT, False)
        return False
    if instance._state.adding or instance.pk is None:
        return False
    names = versioned_fields(instance._meta.label)
    if update_fields is not None:
        names = [name for name in names if name in set(update_fields)]
    keeper = _keeper(type(instance)) if names else None
    if keeper is None:
        return False
    stored = type(instance)._base_manager.filter(pk=instance.pk).first()
    if stored is None:
        return False
    attnames = [instance._meta.get_field(name).attname for name in names]  # type: ignore[union-attr]
    if all(getattr(stored, a) == getattr(instance, a) for a in attnames):
        return False
    keeper(stored=stored, actor=_actor.get())
    return True


def _versioned_columns(
    model: type[models.Model], names: Iterable[str]
) -> list[models.Field[Any, Any]]:
    """The versioned fields among the names an update sets (a field's name or its attname)."""
    versioned = set(versioned_fields(model._meta.label))
    found = []
    for name in names:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue  # update() itself says what is wrong with the name
        if field.name in versioned and isinstance(field, models.Field):
            found.append(field)
    return found


def _after(field: models.Field[Any, Any], value: Any) -> Any:
    """What the database will write, as an expression a SELECT can compute beforehand."""
    if hasattr(value, "resolve_expression"):
        return value
    if field.remote_field is not None and hasattr(value, "prepare_database_save"):
        value = value.prepare_database_save(field)  # a related row: its key
    return models.Value(value, output_field=field)


class PriorVersionsQuerySet(models.QuerySet[_M]):
    """P20 for the updates that bypass ``save()``: ``update()`` and ``bulk_update()`` (which
    Django runs as one ``update()`` per batch) hand every row whose versioned field they
    change to the model's keeper first, in the same transaction. The rows are read locked,
    with the values the update will write computed by the database beside the stored ones,
    so a row the update leaves as it was keeps no copy, as with ``save()``. An update of
    other fields is one UPDATE and nothing else."""

    def update(self, **kwargs: Any) -> int:
        fields = _versioned_columns(self.model, kwargs)
        keeper = _keeper(self.model) if fields and not self.query.is_sliced else None
        if keeper is None:
            return super().update(**kwargs)
        after = {
            _AFTER.format(f.attname): _after(f, kwargs.get(f.name, kwargs.get(f.attname)))
            for f in fields
        }
        with transaction.atomic(using=self.db, savepoint=False):
            rows = list(
                models.QuerySet(self.model, using=self.db)
                .filter(pk__in=self.values("pk"))
                .select_for_update(of=("self",))
                .annotate(**after)
            )
            actor = _actor.get()
            for row in rows:
                if any(
                    getattr(row, f.attname) != getattr(row, _AFTER.format(f.attname))
                    for f in fields
                ):
                    keeper(stored=row, actor=actor)
            # Only the rows read (and locked) above, so that none changes without its copy.
            narrowed = self.filter(pk__in=[row.pk for row in rows])
            return super(PriorVersionsQuerySet, narrowed).update(**kwargs)


class PriorVersionsManager(models.Manager[_M]):
    """The manager of a versioned model without a queryset of its own (a model with one
    builds it on ``PriorVersionsQuerySet`` and uses its ``as_manager()``)."""

    # What Manager.from_queryset() would set, as a plain generic class for mypy: each model
    # then reads as PriorVersionsManager[ThatModel].
    _queryset_class = PriorVersionsQuerySet


class KeepsPriorVersions(models.Model):
    """P20: a model whose saves keep the earlier version of its given personal fields; its
    managers are built on ``PriorVersionsQuerySet`` so that its updates do too."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        keep_prior_version(self, update_fields=kwargs.get("update_fields"))
        super().save(*args, **kwargs)
