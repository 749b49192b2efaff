"""A notice's practices in machine-readable form, and the comparison of two notices (P25).

The practices of a notice are TOML, one ``[[allow]]`` table per use the notice permits::

    [[allow]]
    data = ["user.behavior.purchase_history"]   # data-map categories (taxonomy.DataCategory)
    purpose = "personalize.recommendations"     # a data use (taxonomy.Purpose)
    recipient = "affiliate"        # shop | agent:<function> | partner | affiliate | authority
    choice = "opt-out"             # opt-in | opt-out | none (no choice offered)
    retention_days = 730           # optional: how long the data may serve this use
    identity_withheld = false      # optional flags, false unless set
    open_tracking = false
    list_comparison = false
    enrichment = false
    summary = "..."                # optional: the practice in plain words

Anything a notice does not allow is forbidden. A general category or purpose covers the ones
below it; two practices of one notice may not cover the same (data, purpose, recipient), so
every use is governed by exactly one practice of each notice.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from bungu.privacy.datamap.taxonomy import (
    Choice,
    DataCategory,
    Purpose,
    agent_may_serve,
    describe_recipient,
    is_identifying,
    parse_recipient,
)

Atom = tuple[DataCategory, Purpose, str]
E = TypeVar("E", bound=StrEnum)

FLAGS = ("open_tracking", "list_comparison", "enrichment")
_FLAG_WORDS = {
    "open_tracking": "records whether e-mails are opened",
    "list_comparison": "compares lists with other companies' lists",
    "enrichment": "adds information from other sources",
}
_KEYS = {
    "data", "purpose", "recipient", "choice", "retention_days", "identity_withheld", "summary",
    *FLAGS,
}  # fmt: skip


class PracticesError(ValueError):
    """The practices of a notice do not parse or do not make sense; ``problems`` says why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Practice:
    data: tuple[DataCategory, ...]
    purpose: Purpose
    recipient: str
    choice: Choice
    retention_days: int | None = None
    identity_withheld: bool = False
    open_tracking: bool = False
    list_comparison: bool = False
    enrichment: bool = False
    summary: str = ""

    @property
    def key(self) -> str:
        """Names the practice across notice versions: a consent to it is recorded by key."""
        return f"{self.purpose}@{self.recipient}"

    def covers(self, category: str, purpose: str, recipient: str) -> bool:
        return (
            recipient == self.recipient
            and self.purpose.covers(purpose)
            and any(declared.covers(category) for declared in self.data)
        )

    def atoms(self) -> set[Atom]:
        return {
            (category, purpose, self.recipient)
            for category in DataCategory
            if any(declared.covers(category) for declared in self.data)
            for purpose in Purpose
            if self.purpose.covers(purpose)
        }

    @property
    def sale_like(self) -> bool:
        """Sharing with another business for its own ends: what Global Privacy Control opts
        out of (P17). Releases for fraud protection or the law (P16) are not: they serve an
        essential purpose."""
        return self.recipient in {"partner", "affiliate"} and not Purpose.ESSENTIAL.covers(
            self.purpose
        )

    def describe(self) -> str:
        data = ", ".join(category.label for category in self.data)
        return f"{data} for {self.purpose.label}, by {describe_recipient(self.recipient)}"


@dataclass(frozen=True)
class PracticeSet:
    practices: tuple[Practice, ...]

    def rule_for(self, category: str, purpose: str, recipient: str) -> Practice | None:
        """The one practice that allows this use, or None if the notice does not allow it."""
        for practice in self.practices:
            if practice.covers(category, purpose, recipient):
                return practice
        return None

    def get(self, key: str) -> Practice | None:
        return next((p for p in self.practices if p.key == key), None)

    def atom_rules(self) -> dict[Atom, Practice]:
        return {atom: practice for practice in self.practices for atom in practice.atoms()}


def parse_practices(text: str) -> PracticeSet:
    """Parse and validate a notice's practices. Raises PracticesError listing every problem."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PracticesError([f"not valid TOML: {error}"]) from None
    problems = [f"unknown top-level key {key!r}" for key in sorted(set(document) - {"allow"})]
    entries = document.get("allow", [])
    if not isinstance(entries, list):
        raise PracticesError([*problems, "'allow' must be a list of [[allow]] tables"])
    practices: list[Practice] = []
    for number, entry in enumerate(entries, start=1):
        entry_problems: list[str] = []
        practice = _parse_entry(entry, entry_problems) if isinstance(entry, dict) else None
        if not isinstance(entry, dict):
            entry_problems.append("must be a table")
        problems += [f"[[allow]] #{number}: {problem}" for problem in entry_problems]
        if practice is not None and not entry_problems:
            practices.append(practice)
    problems += _overlaps(practices)
    if problems:
        raise PracticesError(problems)
    return PracticeSet(tuple(practices))


def _parse_entry(entry: dict[str, Any], problems: list[str]) -> Practice | None:
    problems += [f"unknown key {key!r}" for key in sorted(set(entry) - _KEYS)]
    data = entry.get("data")
    categories: list[DataCategory] = []
    if not isinstance(data, list) or not data:
        problems.append("'data' must be a non-empty list of data categories")
    else:
        for value in data:
            try:
                categories.append(DataCategory(value))
            except ValueError:
                problems.append(f"unknown data category {value!r}")
    purpose = _enum(Purpose, entry.get("purpose"), "purpose", problems)
    choice = _enum(Choice, entry.get("choice"), "choice", problems)
    recipient = entry.get("recipient")
    try:
        recipient = parse_recipient(recipient) if isinstance(recipient, str) else None
    except ValueError as error:
        problems.append(str(error))
        recipient = None
    if recipient is None and not any("recipient" in p for p in problems):
        problems.append("'recipient' is required")
    retention = entry.get("retention_days")
    if retention is not None and not _is_positive_int(retention):
        problems.append("'retention_days' must be a positive whole number of days")
    flags = {name: entry.get(name, False) for name in ("identity_withheld", *FLAGS)}
    problems += [
        f"{name!r} must be true or false" for name, v in flags.items() if not isinstance(v, bool)
    ]
    summary = entry.get("summary", "")
    if not isinstance(summary, str):
        problems.append("'summary' must be text")
    if purpose is None or choice is None or recipient is None or problems:
        return None
    if not agent_may_serve(recipient, purpose):
        problems.append(f"{recipient} may not serve {purpose} (P13: agents serve their function)")
    if flags["identity_withheld"] and any(is_identifying(c) for c in categories):
        problems.append("identity_withheld contradicts sharing identifying data (P14)")
    return Practice(
        data=tuple(sorted(set(categories))),
        purpose=purpose,
        recipient=recipient,
        choice=choice,
        retention_days=retention,
        summary=summary,
        **flags,
    )


def _is_positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _enum(kind: type[E], value: object, name: str, problems: list[str]) -> E | None:
    if value is None:
        problems.append(f"{name!r} is required")
        return None
    try:
        return kind(str(value))
    except ValueError:
        problems.append(f"unknown {name} {value!r}")
        return None


def _overlaps(practices: list[Practice]) -> list[str]:
    problems: list[str] = []
    seen: dict[Atom, Practice] = {}
    reported: set[tuple[str, str]] = set()
    for practice in practices:
        for atom in sorted(practice.atoms()):
            other = seen.setdefault(atom, practice)
            pair = (other.key, practice.key)
            if other is not practice and pair not in reported:
                reported.add(pair)
                problems.append(
                    f"{practice.key} and {other.key} both cover {atom[0]} for {atom[1]}: "
                    "each use must be governed by one practice"
                )
    keys = [p.key for p in practices]
    problems += [
        f"practice {key} appears twice" for key in sorted({k for k in keys if keys.count(k) > 1})
    ]
    return problems


# ---------------------------------------------------------------- comparing two notices
class ChangeKind(StrEnum):
    NEW_USE = "new use"
    DROPPED_USE = "use dropped"
    CHOICE_WEAKER = "weaker choice"
    CHOICE_STRONGER = "stronger choice"
    RETENTION_LONGER = "kept longer"
    RETENTION_SHORTER = "kept for less time"
    IDENTITY_SHARED = "identity no longer withheld"
    IDENTITY_WITHHELD = "identity now withheld"
    FLAG_ADDED = "new activity"
    FLAG_REMOVED = "activity stopped"

    @property
    def less_protective(self) -> bool:
        return self in _LESS_PROTECTIVE


_LESS_PROTECTIVE = frozenset(
    {
        ChangeKind.NEW_USE,
        ChangeKind.CHOICE_WEAKER,
        ChangeKind.RETENTION_LONGER,
        ChangeKind.IDENTITY_SHARED,
        ChangeKind.FLAG_ADDED,
    }
)


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    practice: str
    data: tuple[DataCategory, ...]
    detail: str

    @property
    def less_protective(self) -> bool:
        return self.kind.less_protective


@dataclass(frozen=True)
class NoticeComparison:
    old_version: int
    new_version: int
    changes: tuple[Change, ...]

    @property
    def less_protective(self) -> bool:
        """Whether the newer notice is less protective anywhere (P25)."""
        return any(change.less_protective for change in self.changes)

    def less_protective_changes(self) -> list[Change]:
        return [change for change in self.changes if change.less_protective]


class HasPractices(Protocol):
    @property
    def version(self) -> int: ...

    @property
    def practice_set(self) -> PracticeSet: ...


def _retention_words(days: int | None) -> str:
    return "as long as the account exists" if days is None else f"{days} days"


def _longer(new: int | None, old: int | None) -> bool:
    return old is not None and (new is None or new > old)


def _compare_rules(old: Practice, new: Practice) -> list[tuple[ChangeKind, str]]:
    found: list[tuple[ChangeKind, str]] = []
    if new.choice.strength < old.choice.strength:
        found.append((ChangeKind.CHOICE_WEAKER, f"choice {old.choice} becomes {new.choice}"))
    elif new.choice.strength > old.choice.strength:
        found.append((ChangeKind.CHOICE_STRONGER, f"choice {old.choice} becomes {new.choice}"))
    if new.retention_days != old.retention_days:
        longer = _longer(new.retention_days, old.retention_days)
        kind = ChangeKind.RETENTION_LONGER if longer else ChangeKind.RETENTION_SHORTER
        before, after = _retention_words(old.retention_days), _retention_words(new.retention_days)
        found.append((kind, f"kept {before}, then {after}"))
    if old.identity_withheld and not new.identity_withheld:
        found.append((ChangeKind.IDENTITY_SHARED, "the recipient may now learn who you are"))
    if new.identity_withheld and not old.identity_withheld:
        found.append((ChangeKind.IDENTITY_WITHHELD, "the recipient no longer learns who you are"))
    for flag in FLAGS:
        before, after = getattr(old, flag), getattr(new, flag)
        if after and not before:
            found.append((ChangeKind.FLAG_ADDED, f"now {_FLAG_WORDS[flag]}"))
        if before and not after:
            found.append((ChangeKind.FLAG_REMOVED, f"no longer {_FLAG_WORDS[flag]}"))
    return found


def _collapse(categories: Iterable[DataCategory]) -> tuple[DataCategory, ...]:
    """Name a general category instead of its parts when every part of it is in the set."""
    chosen = set(categories)
    complete = {o for o in chosen if all(c in chosen for c in DataCategory if o.covers(c))}
    return tuple(sorted(c for c in chosen if not any(o != c and o.covers(c) for o in complete)))


def compare_notices(old: HasPractices, new: HasPractices) -> NoticeComparison:
    """Say, practice by practice, how ``new`` differs from ``old`` and where it is less
    protective: a newly allowed (data, purpose, recipient), a weaker choice (opt-in ->
    opt-out -> none), a longer retention, identity no longer withheld, a new activity."""
    old_rules, new_rules = old.practice_set.atom_rules(), new.practice_set.atom_rules()
    grouped: dict[tuple[ChangeKind, str, str], set[DataCategory]] = defaultdict(set)
    for atom, rule in new_rules.items():
        before = old_rules.get(atom)
        if before is None:
            grouped[(ChangeKind.NEW_USE, rule.key, rule.describe())].add(atom[0])
            continue
        for kind, detail in _compare_rules(before, rule):
            grouped[(kind, rule.key, detail)].add(atom[0])
    for atom, rule in old_rules.items():
        if atom not in new_rules:
            grouped[(ChangeKind.DROPPED_USE, rule.key, rule.describe())].add(atom[0])
    changes = [
        Change(kind=kind, practice=key, data=_collapse(categories), detail=detail)
        for (kind, key, detail), categories in grouped.items()
    ]
    changes.sort(key=lambda c: (not c.less_protective, c.practice, c.kind.value, c.detail))
    return NoticeComparison(
        old_version=old.version, new_version=new.version, changes=tuple(changes)
    )
