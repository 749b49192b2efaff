"""P13: staff and agents reach a customer's personal data only for a purpose, and are logged.

``access()`` is the one door. It hands over a field only if the data map declares that the
field serves the purpose, the purpose's scope includes the field's category, and the actor
may act for the purpose (a staff member holds the purpose's permission; an agent's function
serves it). A field that fails one of these rules makes the whole call fail with
PurposeNotAllowed: the caller asked for something the purpose can never see, a mistake that
should show up in the first test that renders the page, not as a quietly shorter answer.

The rule of P25 is then applied value by value: each of the customer's rows is bound by the
notice in force when it was collected, so an address given last month may serve a use that
the name given a year ago may not. Such values are withheld, and the answer says which and
why (``PersonalData.withheld``) so a page can show the rest with a note. Only when nothing at
all may be handed over is the call refused. Every call, granted or refused, writes an
access-log entry naming the fields handed over and the fields withheld or refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import PermissionsMixin

from bungu.privacy.datamap.collection import created_field
from bungu.privacy.datamap.registry import Field, data_map, split_label
from bungu.privacy.datamap.taxonomy import (
    AGENT_FUNCTIONS,
    Purpose,
    describe_recipient,
    parse_recipient,
)
from bungu.privacy.datamap.walk import linked_model
from bungu.privacy.exceptions import PurposeNotAllowed
from bungu.privacy.models import AccessLogEntry
from bungu.privacy.notices.consent import (
    Decision,
    Subject,
    UseRule,
    _consented_rule,
    find_notice_in_force,
    subject_id,
)
from bungu.privacy.notices.practices import PracticeSet
from bungu.privacy.sharing.scopes import purpose_may_see


@dataclass(frozen=True)
class Agent:
    """An outside service acting for the shop, named by its function (P13), and the company
    that performs it (shown to the customer in the access log)."""

    function: str
    company: str = ""

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
class Withheld:
    """Values of one field that the rule of P25 kept back, and why (one reason per entry)."""

    label: str
    # Positions in ``PersonalData.records[model]`` of the rows whose value is left out; empty
    # when the notice in force refuses the use and the customer has no such row anyway.
    rows: tuple[int, ...]
    reason: str


@dataclass(frozen=True)
class PersonalData:
    """What ``access()`` handed over: rows of each model, holding only the asked fields.
    A withheld value is missing from its row (never blank), and ``withheld`` says why."""

    subject_id: int
    purpose: Purpose
    records: dict[str, list[dict[str, Any]]]
    withheld: tuple[Withheld, ...] = ()
    # The primary key of each row of ``records``, in the same order, so a page about one
    # record (the admin's) can pick its own row out of the customer's.
    keys: dict[str, list[Any]] = field(default_factory=dict)

    def values(self, label: str) -> list[Any]:
        """The values handed over, in row order; withheld ones are left out."""
        model_label, field_name = split_label(label)
        return [row[field_name] for row in self.records[model_label] if field_name in row]

    def value(self, label: str) -> Any:
        """The value of a field of which the customer has exactly one (their own record).
        Raises LookupError if there is not exactly one, PurposeNotAllowed if it was withheld."""
        model_label, field_name = split_label(label)
        rows = self.records[model_label]
        if len(rows) != 1:
            raise LookupError(f"{label} has {len(rows)} values for this customer, not one")
        if field_name not in rows[0]:
            raise PurposeNotAllowed("; ".join(self.reasons_for(label)))
        return rows[0][field_name]

    def reasons_for(self, label: str) -> list[str]:
        return [item.reason for item in self.withheld if item.label == label]


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
    these, so only values collected under an older notice are withheld from them (P25).
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
    keys: list[Any]


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
        # The walk of "My data" and the erasure: every declared link to the customer (both
        # people of a guardian link). A model linked by content type only (the admin's
        # change log) is not handed out here.
        linked = linked_model(data_map, model)
        rows = linked.rows_about(subject, columns=columns) if linked is not None else []
        collected = [min((row[created] if created else None) or joined, now) for row in rows]
        values = [{name: row[name] for name in names} for row in rows]
        found[model_label] = _Rows(values, collected, [row["pk"] for row in rows])
    return found


def _explain(
    rule: UseRule, decision: Decision, *, atom: tuple[str, str, str], version: int | None
) -> str:
    """The reason a person reads: for the commonest refusal, data collected under a notice
    that did not allow the use, it names the notices and the use; otherwise the rule's own."""
    category, purpose, recipient = atom
    current = rule.notice_at(rule.now)
    under = next((n for n in rule.notices if n.version == version), None)
    allowed_now = current is not None and current.practice_set.rule_for(*atom) is not None
    allowed_then = under is not None and under.practice_set.rule_for(*atom) is not None
    consented = _consented_rule(rule.answers, after=version or 0, atom=atom)
    if current is None or not allowed_now or allowed_then or consented is not None:
        return decision.reason
    when = f"under notice v{version}" if version else "before any notice was in force"
    return (
        f"collected {when}, which did not allow {describe_recipient(recipient)} to use "
        f"{category} data for {Purpose(purpose).label}; the customer has not consented to "
        f"v{current.version}, which does."
    )


def _judge_rows(
    rule: UseRule, *, atom: tuple[str, str, str], version: int | None, moments: list[datetime]
) -> list[str | None]:
    """Why each of a group of rows collected under one notice is withheld (None: handed
    over). Within the group only the retention limit depends on a row's own date, and it
    refuses the oldest rows first; so the newest and the oldest row settle the whole group
    unless a limit falls between them, and only then is each row asked about."""
    category, purpose, recipient = atom

    def ask(moment: datetime) -> str | None:
        decision = rule.may_use(
            data_category=category, purpose=purpose, recipient=recipient, collected_at=moment
        )
        return None if decision else _explain(rule, decision, atom=atom, version=version)

    newest = ask(max(moments))
    if newest is not None:
        return [newest] * len(moments)
    if ask(min(moments)) is None:
        return [None] * len(moments)
    return [ask(moment) for moment in moments]


def _p25_withheld(
    *, rule: UseRule, rows: dict[str, _Rows], labels: list[str], purpose: Purpose, recipient: str
) -> list[Withheld]:
    """The values the rule of P25 keeps back. Rows are grouped by the notice in force at their
    collection and the rule is asked per category and group, in memory: the number of rows
    changes neither the queries nor, mostly, the questions."""
    current = rule.notice_at(rule.now)
    versions = {
        model_label: [
            notice.version if (notice := rule.notice_at(moment)) else None
            for moment in found.collected
        ]
        for model_label, found in rows.items()
    }
    judged: dict[tuple[str, str, int | None], list[str | None]] = {}
    withheld: list[Withheld] = []
    for label in labels:
        model_label, _ = split_label(label)
        atom = (data_map.get(label).category.value, purpose.value, recipient)
        found = rows[model_label]
        if not found.collected:
            # No value to withhold; still refused if no row of it could be handed over now.
            if current is None or current.practice_set.rule_for(*atom) is None:
                version = f"v{current.version}" if current else "no version"
                withheld.append(
                    Withheld(label, (), f"The notice in force ({version}) does not allow this.")
                )
            continue
        groups: dict[int | None, list[int]] = {}
        for index, version_at in enumerate(versions[model_label]):
            groups.setdefault(version_at, []).append(index)
        kept: dict[str, list[int]] = {}
        for version_at, indexes in groups.items():
            key = (model_label, atom[0], version_at)
            if key not in judged:
                moments = [found.collected[index] for index in indexes]
                judged[key] = _judge_rows(rule, atom=atom, version=version_at, moments=moments)
            for index, why in zip(indexes, judged[key], strict=True):
                if why is not None:
                    kept.setdefault(why, []).append(index)
        withheld += [Withheld(label, tuple(sorted(at)), why) for why, at in kept.items()]
    return withheld


def actor_may_act_for(actor: Actor, purpose: Purpose) -> bool:
    if isinstance(actor, Agent):
        return actor.serves(purpose)
    if not actor.is_active or not isinstance(actor, PermissionsMixin):
        return False
    return actor.has_perm(f"privacy.{purpose.permission_codename}")


def access(
    *,
    subject: Subject,
    purpose: Purpose | str,
    actor: Actor,
    fields: Iterable[str],
    regarding: str = "",
) -> PersonalData:
    """Hand over a customer's personal data for a purpose and log it, leaving out the values
    the rule of P25 forbids (``PersonalData.withheld`` says which and why). Raises
    PurposeNotAllowed (after logging the refusal) if the actor may not act for the purpose,
    any field may never serve it, or no value at all may be handed over; LookupError if the
    customer does not exist. ``regarding``: what the look is about in the customer's terms
    ("order 1042"), shown with the log entry."""
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
    records: dict[str, list[dict[str, Any]]] = {}
    keys: dict[str, list[Any]] = {}
    withheld: list[Withheld] = []
    if actor_allowed and not problems:
        recipient = _recipient(actor)
        rule = UseRule.load(customer)
        rows = _read(customer, labels, joined=joined, now=rule.now)
        withheld = _p25_withheld(
            rule=rule, rows=rows, labels=labels, purpose=purpose, recipient=recipient
        )
        records = {model: [dict(row) for row in found.values] for model, found in rows.items()}
        keys = {model: list(found.keys) for model, found in rows.items()}
        for item in withheld:
            model_label, field_name = split_label(item.label)
            for index in item.rows:
                del records[model_label][index][field_name]
        if withheld and not _handed_over(records, labels):
            # Something was kept back and nothing is left to show: a refusal, not a blank page.
            for item in withheld:
                if item.label in problems:
                    problems[item.label] += f"; {item.reason}"
                else:
                    problems[item.label] = (
                        f"{item.label} may not be used for {purpose} by {recipient}: {item.reason}"
                    )
    entry = AccessLogEntry(
        subject_id=customer,
        actor_id=None if isinstance(actor, Agent) else actor.pk,
        actor_label=_actor_label(actor),
        agent_company=actor.company[:120] if isinstance(actor, Agent) else "",
        regarding=regarding[:200],
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
    # P13: the log names what was handed over (a field with no rows counts: nothing was kept
    # from it) and, apart, every field of which some value was withheld.
    refused = {item.label for item in withheld}
    entry.fields = [
        label for label in labels if label not in refused or label in _handed_over(records, [label])
    ]
    entry.refused = sorted(refused)
    entry.granted = True
    entry.save()
    return PersonalData(
        subject_id=customer,
        purpose=purpose,
        records=records,
        withheld=tuple(withheld),
        keys=keys,
    )


def _handed_over(records: dict[str, list[dict[str, Any]]], labels: list[str]) -> set[str]:
    """The labels of which at least one value is in ``records``."""
    found = set()
    for label in labels:
        model_label, field_name = split_label(label)
        if any(field_name in row for row in records[model_label]):
            found.add(label)
    return found
