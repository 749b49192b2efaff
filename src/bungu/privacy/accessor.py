"""P13: staff and agents reach a customer's personal data only for a purpose, and are logged.

``access()`` is the one door. It hands over a field only if the data map declares that the
field serves the purpose, the purpose's scope includes the field's category, and the actor
may act for the purpose (a staff member holds the purpose's permission; an agent's function
serves it), and the rule of P25 allows the use: the field's category, for this purpose, by
this recipient, under the notice in force now and the one in force when each of the
customer's rows was collected. Every call, granted or refused, writes an access-log entry.

A field that may not be handed over makes the whole call fail with PurposeNotAllowed rather
than being silently dropped: a page built on a silently shortened answer shows blanks that
nobody notices, while a refusal shows up in the first test that renders the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import PermissionsMixin

from .collection import created_field
from .consent import Subject, UseRule, find_notice_in_force, subject_id
from .datamap import Field, data_map, split_label, subject_path
from .exceptions import PurposeNotAllowed
from .models import AccessLogEntry
from .practices import PracticeSet
from .scopes import purpose_may_see
from .taxonomy import AGENT_FUNCTIONS, Purpose, parse_recipient


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


def practices_in_force() -> PracticeSet:
    """The practices of the notice in force now; none if no notice is in force."""
    notice = find_notice_in_force()
    return notice.practice_set if notice is not None else PracticeSet(())


def fields_for(
    purpose: Purpose | str, *, recipient: str = "shop", practices: PracticeSet | None = None
) -> list[Field]:
    """Every declared field that ``access()`` would hand over for the purpose to an actor who
    may act for it, as far as the notice in force allows the use at all: pages ask for exactly
    these, so they trip a refusal only for data collected under an older notice (P25).
    ``practices``: those of ``practices_in_force()``, for a caller asking about many purposes
    at once."""
    purpose = Purpose(purpose)
    recipient = parse_recipient(recipient)
    rules = practices if practices is not None else practices_in_force()
    return [
        item
        for item in data_map.serving(purpose)
        if refusal(item.label, purpose) is None
        and rules.rule_for(item.category.value, purpose.value, recipient) is not None
    ]


def _actor_label(actor: Actor) -> str:
    return actor.label if isinstance(actor, Agent) else f"staff:{actor.pk}"


def _recipient(actor: Actor) -> str:
    """Who receives the data, in the notice's terms: the shop's own staff, or an agent."""
    return actor.label if isinstance(actor, Agent) else "shop"


@dataclass(frozen=True)
class _Rows:
    """The asked fields of a customer's rows of one model, and when each row was collected."""

    values: list[dict[str, Any]]
    collected: list[datetime]


def _read(subject: int, labels: list[str], *, joined: datetime, now: datetime) -> dict[str, _Rows]:
    """One query per model. A row is dated by its own creation time, else by the day the
    account was opened (P25); a time after ``now`` (clock skew) counts as now."""
    by_model: dict[str, list[str]] = {}
    for label in labels:
        model_label, field_name = split_label(label)
        by_model.setdefault(model_label, []).append(field_name)
    found: dict[str, _Rows] = {}
    for model_label, names in by_model.items():
        model = apps.get_model(model_label)
        created = created_field(model)
        columns = [*names, created] if created and created not in names else names
        path = subject_path(model)
        lookup = f"{path}__pk" if path else "pk"
        rows = list(
            model._default_manager.filter(**{lookup: subject}).order_by("pk").values(*columns)
        )
        collected = [min((row[created] if created else None) or joined, now) for row in rows]
        values = [{name: row[name] for name in names} for row in rows]
        found[model_label] = _Rows(values, collected)
    return found


def _p25_refusals(
    *, rule: UseRule, rows: dict[str, _Rows], labels: list[str], purpose: Purpose, recipient: str
) -> dict[str, str]:
    """Why the rule of P25 forbids handing over each refused field. Rows are grouped by the
    notice in force at their collection, and the rule is asked once per category and group,
    dated by the group's oldest row (the one whose retention runs out first)."""
    oldest: dict[int | None, datetime] = {}
    for found in rows.values():
        for moment in found.collected:
            notice = rule.notice_at(moment)
            version = notice.version if notice else None
            oldest[version] = min(oldest.get(version, moment), moment)
    decided: dict[tuple[str, int | None], str | None] = {}
    problems: dict[str, str] = {}
    for label in labels:
        model_label, _ = split_label(label)
        declared = data_map.find(label)
        if declared is None:  # refused already as undeclared
            continue
        versions = {
            n.version if n else None for n in map(rule.notice_at, rows[model_label].collected)
        }
        for version in sorted(versions, key=lambda v: -1 if v is None else v):
            key = (declared.category.value, version)
            if key not in decided:
                decision = rule.may_use(
                    data_category=declared.category,
                    purpose=purpose,
                    recipient=recipient,
                    collected_at=oldest[version],
                )
                decided[key] = None if decision else decision.reason
            reason = decided[key]
            if reason is not None:
                problems[label] = f"{label} may not be used for {purpose} by {recipient}: {reason}"
                break
    return problems


def actor_may_act_for(actor: Actor, purpose: Purpose) -> bool:
    if isinstance(actor, Agent):
        return actor.serves(purpose)
    if not actor.is_active or not isinstance(actor, PermissionsMixin):
        return False
    return actor.has_perm(f"privacy.{purpose.permission_codename}")


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
    joined = (
        apps.get_model(settings.AUTH_USER_MODEL)
        ._default_manager.filter(pk=customer)
        .values_list("date_joined", flat=True)
        .first()
    )
    if joined is None:
        raise LookupError(f"there is no customer #{customer}")
    problems = {label: reason for label in labels if (reason := refusal(label, purpose))}
    actor_allowed = actor_may_act_for(actor, purpose)
    rows: dict[str, _Rows] = {}
    if actor_allowed and not problems:
        rule = UseRule.load(customer)
        rows = _read(customer, labels, joined=joined, now=rule.now)
        problems = _p25_refusals(
            rule=rule, rows=rows, labels=labels, purpose=purpose, recipient=_recipient(actor)
        )
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
    records = {model_label: found.values for model_label, found in rows.items()}
    return PersonalData(subject_id=customer, purpose=purpose, records=records)
