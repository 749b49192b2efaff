"""P22: account deletion driven by the data map, journalled so it can be replayed.

A customer asks; nothing happens for ``BUNGU_DELETION_GRACE_DAYS`` (they can sign in and
cancel); then every field the data map declares about them is erased by its own rule:

* ``DELETE``: where every declared field of a model says so, its rows go (prior versions,
  P20, with them, since they are rows of their own about the customer); otherwise the field
  is emptied on the customer's rows.
* ``ANONYMISE``: the field gets a placeholder (the e-mail address a unique ``.invalid`` one).
  An append-only record (the access log) cannot be rewritten: it keeps its content and
  becomes anonymous because the account it names is anonymised.
* ``KEEP_FOR_LAW``: left alone (the consent ledger, the disclosure register).

The rows are found as "My data" and the transfer export find them (``datamap/walk.py``):
through every link a model declares to the customer (the young person's side of a guardian
link as well as the guardian's), and the admin's change-log entries about any of those rows,
whose text may quote the customer.

The account row itself is never deleted: the ledgers kept for the law refer to it (PROTECT),
and an anonymised row keeps them valid while naming nobody. Its password becomes unusable
and it is made inactive, so nobody can sign in to it again and its sessions stop working.

Where erasing a model's rows must keep something of its app true, the app erases them itself
with a function it names beside its data map (``ERASURE = {"reviews.Review":
ErasedBy("bungu.reviews.services.erase_reviews")}``: the product's rating summary is computed
again without the deleted reviews). The erasure and every replay call the same function, so a
replay after a restore leaves what the erasure left, and privacy never imports the app.

Each step is written to the erasure journal without the erased values, and
``replay_erasures`` applies the journal again after a backup restore; it changes only what is
not erased yet, so running it twice is harmless. The journal is also copied outside the
database once the erasure commits (``journal_copy``), since a restore takes the table back to
the backup's moment; ``replay_journal_copy`` replays that copy (what ``bungu restore`` runs).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from bungu.privacy.datamap.registry import DataMap, Erase, data_map
from bungu.privacy.datamap.walk import find_subject_rows
from bungu.privacy.models import AppendOnly, ErasureAction, ErasureJournalEntry
from bungu.privacy.notices.consent import Subject, subject_id
from bungu.privacy.rights.journal_copy import keep_journal_copy, read_journal_copy

# Deterministic, so a replay writes exactly what the erasure wrote.
ERASED_PASSWORD = UNUSABLE_PASSWORD_PREFIX + "erased"
ERASED_TEXT = "[erased]"
PLACEHOLDER_DOMAIN = "erased.invalid"


# ---------------------------------------------------------------- erasure by the data map
@dataclass(frozen=True)
class _Step:
    model: type[models.Model]
    fields: tuple[str, ...]
    rule: Erase
    action: ErasureAction


def _steps(model: type[models.Model], rules: dict[str, Erase]) -> list[_Step]:
    if set(rules.values()) == {Erase.DELETE} and model is not _user_model():
        return [_Step(model, tuple(sorted(rules)), Erase.DELETE, ErasureAction.DELETED)]
    by_action: dict[tuple[Erase, ErasureAction], list[str]] = defaultdict(list)
    append_only = issubclass(model, AppendOnly)
    for name, rule in rules.items():
        if rule is Erase.KEEP_FOR_LAW:
            action = ErasureAction.KEPT
        elif rule is Erase.ANONYMISE:
            action = ErasureAction.UNLINKED if append_only else ErasureAction.ANONYMISED
        else:
            action = ErasureAction.KEPT if append_only else ErasureAction.BLANKED
        by_action[(rule, action)].append(name)
    return [
        _Step(model, tuple(sorted(names)), rule, action)
        for (rule, action), names in sorted(by_action.items())
    ]


def _user_model() -> type[models.Model]:
    return apps.get_model(settings.AUTH_USER_MODEL)


def blank_value(field: models.Field[Any, Any], *, at: datetime) -> Any:  # noqa: PLR0911 - one per kind
    """The empty value of a field whose content is deleted but whose row stays."""
    if issubclass(field.model, AbstractBaseUser) and field.name == "password":
        return ERASED_PASSWORD
    if field.null:
        return None
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.DateTimeField):
        return at
    if isinstance(field, models.DateField):
        return at.date()
    if isinstance(field, models.JSONField):
        default = field.get_default()
        return type(default)() if isinstance(default, list | dict) else None
    if isinstance(field, models.CharField | models.TextField):
        return ""
    if isinstance(field, models.IntegerField | models.FloatField | models.DecimalField):
        return 0
    raise ImproperlyConfigured(
        f"{field.model._meta.label}.{field.name}: cannot be emptied; erase its rows instead"
    )


def placeholder_value(field: models.Field[Any, Any], *, pk: Any, at: datetime) -> Any:
    """An anonymous stand-in, unique per row where the field must stay unique."""
    if isinstance(field, models.EmailField):
        return f"erased-{field.model._meta.model_name}-{pk}@{PLACEHOLDER_DOMAIN}"
    if isinstance(field, models.CharField | models.TextField):
        return ERASED_TEXT[: field.max_length] if field.max_length else ERASED_TEXT
    return blank_value(field, at=at)


def _apply(step: _Step, row_ids: list[Any], *, at: datetime, datamap: DataMap) -> int:
    """Carry out one step on these rows; returns how many rows still held the data."""
    rows = step.model._base_manager.filter(pk__in=row_ids)
    hook = datamap.erased_by(step.model._meta.label)
    if step.action == ErasureAction.DELETED and hook is not None:
        # The owning app deletes them and keeps its own records true (ErasedBy), the same
        # way the first time and on every replay.
        erase: Callable[..., int] = import_string(hook.function_path)
        return erase(row_ids=list(row_ids))
    if step.action == ErasureAction.DELETED:
        # The base manager: a ledger declared DELETE (notice reminders) goes like any other.
        count = rows.count()
        rows.delete()
        return count
    changed: set[Any] = set()
    # P22 before P20: erasing keeps no copy of what it erases, whatever the base manager's
    # queryset would do on update() (hence QuerySet.update itself).
    for name in step.fields:
        field = step.model._meta.get_field(name)
        if not isinstance(field, models.Field):
            raise ImproperlyConfigured(f"{step.model._meta.label}.{name} is not a column")
        if step.action == ErasureAction.BLANKED:
            value = blank_value(field, at=at)
            todo = rows.exclude(**{f"{name}__isnull": True} if value is None else {name: value})
            ids = list(todo.values_list("pk", flat=True))
            models.QuerySet.update(todo, **{name: value})
            changed.update(ids)
        elif step.action == ErasureAction.ANONYMISED:
            for pk in rows.values_list("pk", flat=True):
                value = placeholder_value(field, pk=pk, at=at)
                row = step.model._base_manager.filter(pk=pk).exclude(**{name: value})
                if models.QuerySet.update(row, **{name: value}):
                    changed.add(pk)
    return len(changed)


def plan_erasure(
    *, subject: Subject, datamap: DataMap | None = None
) -> list[tuple[type[models.Model], list[Any]]]:
    """Every row erasing this customer touches, by model, in the order they are erased: the
    walk of the data map that "My data" and the transfer export take (``datamap.walk``)."""
    found = find_subject_rows(datamap or data_map, owner=subject_id(subject))
    return [(item.model, item.pks) for item in found]


@transaction.atomic
def erase_subject(
    *, subject: Subject, actor: str, now: datetime | None = None, datamap: DataMap | None = None
) -> list[ErasureJournalEntry]:
    """Erase everything the data map finds about one customer, each field by its rule, and
    journal each step (without values). ``actor``: who or which job did it."""
    datamap = datamap or data_map
    owner = subject_id(subject)
    at = now or timezone.now()
    entries = []
    for model, row_ids in plan_erasure(subject=owner, datamap=datamap):
        rules = {item.field_name: item.erase for item in datamap.for_model(model._meta.label)}
        for step in _steps(model, rules):
            _apply(step, row_ids, at=at, datamap=datamap)
            entries.append(_journal(step, owner=owner, row_ids=row_ids, actor=actor, at=at))
    keep_journal_copy(entries)
    return entries


def _journal(
    step: _Step, *, owner: int, row_ids: list[Any], actor: str, at: datetime
) -> ErasureJournalEntry:
    return ErasureJournalEntry.objects.create(
        at=at,
        account_ref=owner,
        model=step.model._meta.label,
        fields=list(step.fields),
        rule=step.rule.value,
        action=step.action,
        row_ids=row_ids,
        actor=actor,
    )


def journal_erasure(
    *,
    subject: Subject,
    model: type[models.Model],
    fields: Sequence[str],
    row_ids: Sequence[Any],
    actor: str,
    now: datetime | None = None,
) -> ErasureJournalEntry:
    """Journal an erasure another app carried out itself (P22: the content of the last
    e-mail to a deleted account, blanked once delivered), so that a replay after a backup
    restore blanks it again. The fields must be declared personal; raises
    ImproperlyConfigured otherwise."""
    label = model._meta.label
    for name in fields:
        if data_map.find(f"{label}.{name}") is None:
            raise ImproperlyConfigured(f"{label}.{name} is not declared personal data")
    step = _Step(model, tuple(sorted(fields)), Erase.DELETE, ErasureAction.BLANKED)
    entry = _journal(
        step,
        owner=subject_id(subject),
        row_ids=list(row_ids),
        actor=actor,
        at=now or timezone.now(),
    )
    keep_journal_copy([entry])
    return entry


def erasure_hook_problems(datamap: DataMap) -> list[str]:
    """Why some declared ErasedBy hook could not do its work; empty when all can (E005)."""
    problems = []
    for model_label, hook in sorted(datamap.erasure_hooks().items()):
        rules = {item.erase for item in datamap.for_model(model_label)}
        if rules != {Erase.DELETE}:
            problems.append(
                f"{model_label} is erased by {hook.function_path}, but not every personal "
                "field of it is declared Erase.DELETE."
            )
        try:
            import_string(hook.function_path)
        except ImportError:
            problems.append(
                f"{model_label} is erased by {hook.function_path}, which cannot be imported."
            )
    return problems


def replay_erasures(*, since: datetime | None = None) -> int:
    """Apply the erasure journal again (after a backup restore), oldest first. Returns how
    many (step, row) pairs still held erased data; 0 when everything was already erased."""
    entries = ErasureJournalEntry.objects.order_by("at", "id")
    if since is not None:
        entries = entries.filter(at__gte=since)
    return sum(
        _replay_one(
            model_label=entry.model,
            fields=entry.fields,
            rule=entry.rule,
            action=entry.action,
            row_ids=entry.row_ids,
            at=entry.at,
        )
        for entry in entries
    )


def _replay_one(
    *,
    model_label: str,
    fields: Sequence[str],
    rule: str,
    action: str,
    row_ids: Sequence[Any],
    at: datetime,
) -> int:
    if action in {ErasureAction.KEPT, ErasureAction.UNLINKED}:
        return 0
    try:
        model = apps.get_model(model_label)
    except LookupError:
        return 0
    step = _Step(model, tuple(fields), Erase(rule), ErasureAction(action))
    with transaction.atomic():
        return _apply(step, list(row_ids), at=at, datamap=data_map)


@dataclass(frozen=True)
class ReplayReport:
    entries: int
    rows: int
    accounts: int


def replay_journal_copy(*, written_since: datetime) -> ReplayReport:
    """Apply the journal's copy outside the database again (after a restore): every entry
    written since this moment, oldest first. Returns how many entries, how many (step, row)
    pairs still held erased data, and how many accounts those were. Raises RestoreRefused
    when a file of the copy cannot be read."""
    entries = [entry for entry in read_journal_copy() if entry.written_at >= written_since]
    rows = 0
    accounts: set[int] = set()
    for entry in entries:
        redone = _replay_one(
            model_label=entry.model,
            fields=entry.fields,
            rule=entry.rule,
            action=entry.action,
            row_ids=entry.row_ids,
            at=entry.at,
        )
        rows += redone
        if redone:
            accounts.add(entry.account_ref)
    return ReplayReport(entries=len(entries), rows=rows, accounts=len(accounts))
