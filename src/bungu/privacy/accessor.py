"""P13: staff and agents reach a customer's personal data only for a purpose, and are logged.

``access()`` is the one door. It hands over a field only if the data map declares that the
field serves the purpose, the purpose's scope includes the field's category, and the actor
may act for the purpose (a staff member holds the purpose's permission; an agent's function
serves it). Every call, granted or refused, writes an access-log entry.

A field that may not be handed over makes the whole call fail with PurposeNotAllowed rather
than being silently dropped: a page built on a silently shortened answer shows blanks that
nobody notices, while a refusal shows up in the first test that renders the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import PermissionsMixin

from .consent import Subject, subject_id
from .datamap import Field, data_map, split_label, subject_path
from .exceptions import PurposeNotAllowed
from .models import AccessLogEntry
from .scopes import purpose_may_see
from .taxonomy import AGENT_FUNCTIONS, Purpose


@dataclass(frozen=True)
class Agent:
    """An outside service acting for the shop, named by its function (P13)."""

    function: str

    def __post_init__(self) -> None:
        if self.function not in AGENT_FUNCTIONS:
            known = ", ".join(sorted(AGENT_FUNCTIONS))
            raise ValueError(f"unknown agent function {self.function!r} (known: {known})")

    @property
    def label(self) -> str:
        return f"agent:{self.function}"

    def serves(self, purpose: Purpose) -> bool:
        return any(allowed.covers(purpose) for allowed in AGENT_FUNCTIONS[self.function])


# Staff members are users holding purpose permissions; agents are named by function.
Actor = AbstractBaseUser | Agent


@dataclass(frozen=True)
class PersonalData:
    """What ``access()`` handed over: rows of each model, holding only the asked fields."""

    subject_id: int
    purpose: Purpose
    records: dict[str, list[dict[str, Any]]]

    def values(self, label: str) -> list[Any]:
        model_label, field_name = split_label(label)
        return [row[field_name] for row in self.records[model_label]]

    def value(self, label: str) -> Any:
        """The value of a field of which the customer has exactly one (their own record)."""
        values = self.values(label)
        if len(values) != 1:
            raise LookupError(f"{label} has {len(values)} values for this customer, not one")
        return values[0]


def refusal(label: str, purpose: Purpose) -> str | None:
    """Why a field may not be handed over for a purpose, or None if it may."""
    declared = data_map.find(label)
    if declared is None:
        return f"{label} is not declared as personal data"
    if not declared.serves(purpose):
        return f"{label} is not declared to serve {purpose}"
    if not purpose_may_see(purpose, declared.category):
        return f"{purpose} may not see {declared.category}"
    return None


def fields_for(purpose: Purpose | str) -> list[Field]:
    """Every declared field that ``access()`` would hand over for the purpose (to an actor who
    may act for it): pages ask for exactly these, so they never trip a refusal."""
    purpose = Purpose(purpose)
    return [item for item in data_map.serving(purpose) if refusal(item.label, purpose) is None]


def _actor_label(actor: Actor) -> str:
    return actor.label if isinstance(actor, Agent) else f"staff:{actor.pk}"


def actor_may_act_for(actor: Actor, purpose: Purpose) -> bool:
    if isinstance(actor, Agent):
        return actor.serves(purpose)
    if not actor.is_active or not isinstance(actor, PermissionsMixin):
        return False
    return actor.has_perm(f"privacy.{purpose.permission_codename}")


def _read(subject: int, labels: list[str]) -> dict[str, list[dict[str, Any]]]:
    by_model: dict[str, list[str]] = {}
    for label in labels:
        model_label, field_name = split_label(label)
        by_model.setdefault(model_label, []).append(field_name)
    records: dict[str, list[dict[str, Any]]] = {}
    for model_label, names in by_model.items():
        model = apps.get_model(model_label)
        path = subject_path(model)
        lookup = f"{path}__pk" if path else "pk"
        rows = model._default_manager.filter(**{lookup: subject}).order_by("pk").values(*names)
        records[model_label] = list(rows)
    return records


def access(
    *, subject: Subject, purpose: Purpose | str, actor: Actor, fields: Iterable[str]
) -> PersonalData:
    """Hand over a customer's personal data for a purpose and log it. Raises
    PurposeNotAllowed (after logging the refusal) if the actor may not act for the purpose
    or any field may not serve it; LookupError if the customer does not exist."""
    purpose = Purpose(purpose)
    labels = list(dict.fromkeys(fields))
    if not labels:
        raise ValueError("name at least one field")
    customer = subject_id(subject)
    if not apps.get_model(settings.AUTH_USER_MODEL)._default_manager.filter(pk=customer).exists():
        raise LookupError(f"there is no customer #{customer}")
    problems = {label: reason for label in labels if (reason := refusal(label, purpose))}
    actor_allowed = actor_may_act_for(actor, purpose)
    entry = AccessLogEntry(
        subject_id=customer,
        actor_id=None if isinstance(actor, Agent) else actor.pk,
        actor_label=_actor_label(actor),
        purpose=purpose.value,
    )
    if problems or not actor_allowed:
        entry.granted = False
        entry.refused = labels if not actor_allowed else sorted(problems)
        # No transaction of our own here: the refusal is recorded before the error is raised,
        # so it stays on record unless the caller's own transaction is rolled back.
        entry.save()
        reasons = list(problems.values())
        if not actor_allowed:
            reasons.insert(0, f"{entry.actor_label} may not act for {purpose}")
        raise PurposeNotAllowed("; ".join(reasons))
    entry.fields, entry.granted = labels, True
    entry.save()
    return PersonalData(subject_id=customer, purpose=purpose, records=_read(customer, labels))
