"""P5: nothing is kept longer than the data map says.

Every personal field declares a retention (``retention_days``; ``None`` means "while the
account exists"). Its app also says how old a row is (``RETENTION`` in ``personal_data.py``):

* ``Clock("changed_at")``: the row's age is that date. When the age passes the retention of a
  group of fields, the rows go if the group is every personal field of the model and none is
  to be anonymised (or the model is an append-only ledger, whose rows are never rewritten);
  otherwise only those fields are erased by their rule (emptied, or replaced with a
  placeholder for ``ANONYMISE``).
* ``PurgedBy("bungu.cart.services.purge_expired_carts")``: the app enforces it itself, because
  its rule needs more than one clock (an anonymous cart lives as long as its cookie).
* No declaration: each field with a retention must be a nullable date, its own clock
  (``last_login``), and is emptied once it is older than its retention.

``privacy.E004`` (checks.py) fails when a retention cannot be enforced by one of these rules.
Expiry is not written to the erasure journal: it depends only on the clocks, so after a
backup restore the next run expires the same rows again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, is_dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from bungu.privacy.datamap.registry import Clock, DataMap, Erase, Field, PurgedBy, data_map
from bungu.privacy.models import AppendOnly
from bungu.privacy.rights.erasure import blank_value, placeholder_value


@dataclass(frozen=True)
class Expired:
    """What one rule did in one run (for the housekeeping report and the tests)."""

    model: str
    action: str  # "deleted", "emptied <fields>", or "purged by <function>"
    count: int

    def __str__(self) -> str:
        return f"{self.model}: {self.action}: {self.count}"


@dataclass(frozen=True)
class _Rule:
    model: type[models.Model]
    days: int
    fields: tuple[Field, ...]
    clock: str | None  # None: each field is its own clock
    whole_rows: bool


def _is_date(field: object) -> bool:
    return isinstance(field, models.DateField)  # DateTimeField is a DateField


def retention_problems(datamap: DataMap) -> list[str]:
    """Why some declared retention could not be enforced; empty when all can (E004)."""
    problems: list[str] = []
    for model_label, kept in _kept_fields(datamap).items():
        declared = datamap.retention_of(model_label)
        try:
            model = apps.get_model(model_label)
        except LookupError:
            continue  # privacy.E002 reports the unknown model
        if isinstance(declared, PurgedBy):
            try:
                import_string(declared.function_path)
            except ImportError:
                problems.append(
                    f"{model_label}: its retention is purged by {declared.function_path}, "
                    "which cannot be imported."
                )
        elif isinstance(declared, Clock):
            try:
                clock = model._meta.get_field(declared.field_name)
            except FieldDoesNotExist:
                clock = None
            if not _is_date(clock):
                problems.append(
                    f"{model_label}: its retention clock {declared.field_name!r} is not a date "
                    "field of the model."
                )
        else:
            for item in kept:
                own = model._meta.get_field(item.field_name)
                if not (_is_date(own) and own.null):
                    problems.append(
                        f"{item.label} is kept for {item.retention_days} days, but nothing says "
                        "how old it is."
                    )
    return problems


def _kept_fields(datamap: DataMap) -> dict[str, list[Field]]:
    kept: dict[str, list[Field]] = defaultdict(list)
    for item in datamap:
        if item.retention_days is not None:
            kept[item.model_label].append(item)
    return kept


def _rules(datamap: DataMap) -> tuple[list[_Rule], dict[str, list[str]]]:
    """The generic rules, and the app purges with the models each one looks after."""
    rules: list[_Rule] = []
    purges: dict[str, list[str]] = defaultdict(list)
    for model_label, kept in sorted(_kept_fields(datamap).items()):
        declared = datamap.retention_of(model_label)
        if isinstance(declared, PurgedBy):
            purges[declared.function_path].append(model_label)
            continue
        model = apps.get_model(model_label)
        if isinstance(declared, Clock):
            personal = {item.field_name for item in datamap.for_model(model_label)}
            by_days: dict[int, list[Field]] = defaultdict(list)
            for item in kept:
                by_days[item.retention_days or 0].append(item)
            for days, group in sorted(by_days.items()):
                every_field = {item.field_name for item in group} == personal
                # An ANONYMISE field keeps its row (an audit trail without the person).
                removable = every_field and all(item.erase is not Erase.ANONYMISE for item in group)
                rules.append(
                    _Rule(
                        model=model,
                        days=days,
                        fields=tuple(group),
                        clock=declared.field_name,
                        whole_rows=removable or issubclass(model, AppendOnly),
                    )
                )
        else:
            rules.extend(
                _Rule(model, item.retention_days or 0, (item,), None, whole_rows=False)
                for item in kept
            )
    return rules, purges


def _erased_value(field: models.Field[Any, Any], rule: Erase, *, at: datetime) -> Any:
    if rule is Erase.ANONYMISE:
        return placeholder_value(field, pk=None, at=at)
    return blank_value(field, at=at)


def _apply(rule: _Rule, *, now: datetime) -> Expired:
    cutoff = now - timedelta(days=rule.days)
    label = rule.model._meta.label
    manager = rule.model._base_manager
    if rule.whole_rows and rule.clock is not None:
        rows = manager.filter(**{f"{rule.clock}__lt": cutoff})
        count = rows.count()
        # An append-only ledger refuses deletes through its own queryset; a row past its
        # declared retention is the one deletion it allows.
        models.QuerySet.delete(rows)
        return Expired(label, "deleted", count)
    values: dict[str, Any] = {}
    for item in rule.fields:
        field = rule.model._meta.get_field(item.field_name)
        if not isinstance(field, models.Field):
            raise ImproperlyConfigured(f"{item.label} is not a column")
        values[item.field_name] = _erased_value(field, item.erase, at=now)
    clock = rule.clock or rule.fields[0].field_name
    already = Q()
    for name, value in values.items():
        already &= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
    rows = manager.filter(**{f"{clock}__lt": cutoff}).exclude(already)
    # P5 before P20: what is past its retention goes without a copy (QuerySet.update itself).
    count = models.QuerySet.update(rows, **values)
    return Expired(label, f"emptied {', '.join(sorted(values))}", count)


def enforce_retention(
    *, now: datetime | None = None, datamap: DataMap | None = None
) -> list[Expired]:
    """Erase every row or field older than the data map allows, rule by rule, in one
    transaction per rule (a failing app purge does not undo the others)."""
    datamap = datamap or data_map
    now = now or timezone.now()
    problems = retention_problems(datamap)
    if problems:
        raise ImproperlyConfigured("; ".join(problems))
    rules, purges = _rules(datamap)
    done: list[Expired] = []
    for rule in rules:
        with transaction.atomic():
            done.append(_apply(rule, now=now))
    for path, model_labels in purges.items():
        purge: Callable[..., object] = import_string(path)
        with transaction.atomic():
            result = purge(now=now)
        done.append(Expired(", ".join(model_labels), f"purged by {path}", _count(result)))
    return done


def _count(result: object) -> int:
    """App purges answer a number or a dataclass of numbers; the report wants one number."""
    if isinstance(result, int):
        return result
    if is_dataclass(result) and not isinstance(result, type):
        return sum(value for value in asdict(result).values() if isinstance(value, int))
    return 0
