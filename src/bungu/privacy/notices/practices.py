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
    [allow.affiliate_notice]       # required for recipient = "affiliate" (P18)
    name = "Bungu Paper Co."       # the affiliate, and its own practices for what it gets
    url = "https://..."            # optional: where its notice is published
    [[allow.affiliate_notice.allow]]
    data = ["user.behavior.purchase_history"]
    purpose = "personalize.recommendations"
    recipient = "shop"             # in the affiliate's notice, "shop" is the affiliate
    choice = "opt-out"

Anything a notice does not allow is forbidden. A general category or purpose covers the ones
below it; two practices of one notice may not cover the same (data, purpose, recipient), so
every use is governed by exactly one practice of each notice.

Three rules keep the sharing promises whatever a later version says (the parser refuses the
practice, so no confirmation can publish it):

* P12, never sold: a purpose or recipient named as a sale, rental or brokerage of data
  (``SALE_WORDS``) is refused, and so is ``recipient_pays = true``, the way to say that the
  recipient gives the shop money or anything of value for the data. No purpose of the
  taxonomy is one; the word list stops one from being added under a neutral parent.
* P17, a chance to say no: a partner or affiliate that gets data for a purpose the shop does
  not need for its own functions (anything outside ``essential``) must come with a choice,
  opt-in or opt-out; ``choice = "none"`` is refused.
* P18, affiliates at least as protective: an affiliate practice names the affiliate's notice
  and its practices for the data it receives. Compared with ``compare_notices``, the
  affiliate's notice narrowed to that data may not be less protective than what the practice
  lets the affiliate do (the same purposes, a choice at least as strong, kept no longer, no
  new activity, identity withheld where ours withholds it).
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
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
    "recipient_pays", "affiliate_notice", *FLAGS,
}  # fmt: skip
_AFFILIATE_KEYS = {"name", "url", "allow"}
# P12: the words that make a purpose or a recipient a sale, a rental or a brokerage of data.
SALE_WORDS = frozenset(
    {
        "sale", "sales", "sell", "seller", "selling", "sold", "resale", "resell", "reseller",
        "reselling",
        "rent", "rental", "rented", "renting", "lease", "leasing", "broker", "brokers",
        "brokerage", "brokering", "buyer", "buyers", "purchaser", "monetise", "monetize",
        "monetisation", "monetization",
    }
)  # fmt: skip
# P17: the recipients outside the shop and its agents that get data for their own ends.
THIRD_PARTIES = frozenset({"partner", "affiliate"})


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
    # P18: for recipient = "affiliate", the affiliate's own notice (compared at parse time).
    affiliate_notice: AffiliateNotice | None = None

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
class AffiliateNotice:
    """P18: an affiliate's notice, as far as the data it receives from the shop goes."""

    name: str
    url: str
    practices: PracticeSet


@dataclass(frozen=True)
class PracticeSet:
    practices: tuple[Practice, ...]
    # The answers of ``rule_for`` so far: a campaign's batch asks the same few uses for each
    # of its customers, and a set of practices never changes.
    _found: dict[tuple[str, str, str], Practice | None] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def rule_for(self, category: str, purpose: str, recipient: str) -> Practice | None:
        """The one practice that allows this use, or None if the notice does not allow it."""
        use = (category, purpose, recipient)
        if use not in self._found:
            self._found[use] = next(
                (p for p in self.practices if p.covers(category, purpose, recipient)), None
            )
        return self._found[use]

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
    practices = _parse_allow(document.get("allow", []), problems, affiliate_of=None)
    if problems:
        raise PracticesError(problems)
    return PracticeSet(tuple(practices))


def _parse_allow(
    entries: object, problems: list[str], *, affiliate_of: str | None
) -> list[Practice]:
    """The practices of one ``allow`` list: a notice's, or an affiliate's notice inside one
    (``affiliate_of`` then names the shop's practice and prefixes each problem)."""
    prefix = f"P18: {affiliate_of}: the affiliate's notice: " if affiliate_of else ""
    if not isinstance(entries, list):
        problems.append(f"{prefix}'allow' must be a list of [[allow]] tables")
        return []
    practices: list[Practice] = []
    for number, entry in enumerate(entries, start=1):
        entry_problems: list[str] = []
        practice = None
        if isinstance(entry, dict):
            practice = _parse_entry(entry, entry_problems, nested=affiliate_of is not None)
        else:
            entry_problems.append("must be a table")
        problems += [f"{prefix}[[allow]] #{number}: {problem}" for problem in entry_problems]
        if practice is not None and not entry_problems:
            practices.append(practice)
    problems += [f"{prefix}{problem}" for problem in _overlaps(practices)]
    return practices


def _parse_entry(entry: dict[str, Any], problems: list[str], *, nested: bool) -> Practice | None:
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
    raw_purpose = _unsold(entry.get("purpose"), "purpose", problems)
    purpose = _enum(Purpose, raw_purpose, "purpose", problems) if raw_purpose else None
    choice = _enum(Choice, entry.get("choice"), "choice", problems)
    recipient = _unsold(entry.get("recipient"), "recipient", problems)
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
    practice = Practice(
        data=tuple(sorted(set(categories))),
        purpose=purpose,
        recipient=recipient,
        choice=choice,
        retention_days=retention,
        summary=summary,
        **flags,
    )
    practice = _sharing_rules(entry, practice, problems, nested=nested)
    return None if problems else practice


def _sharing_rules(
    entry: dict[str, Any], practice: Practice, problems: list[str], *, nested: bool
) -> Practice:
    """P12, P17, P18 on one parsed practice; returns it with the affiliate's notice read."""
    if entry.get("recipient_pays", False) is not False:
        problems.append(
            f"P12: customer information is never sold: {practice.key} says the recipient pays "
            "or gives something of value for it (recipient_pays), which is refused"
        )
    problems += _refused_sharing(practice)
    if "affiliate_notice" in entry:
        if practice.recipient != "affiliate" or nested:
            problems.append(
                "'affiliate_notice' belongs only to a practice of the shop's own notice with "
                'recipient = "affiliate"'
            )
            return practice
        affiliate = _parse_affiliate_notice(entry["affiliate_notice"], practice, problems)
        return replace(practice, affiliate_notice=affiliate)
    if practice.recipient == "affiliate" and not nested:
        problems.append(
            f"P18: {practice.key} shares data with an affiliate but names no affiliate_notice: "
            "an affiliate gets customer information only if its own practices are at least as "
            "protective, so its notice must be given to compare"
        )
    return practice


def _unsold(value: object, name: str, problems: list[str]) -> object:
    """P12: refuse a purpose or a recipient named as a sale; pass anything else through."""
    if not isinstance(value, str):
        return value
    words = sorted({w for w in re.split(r"[^a-z]+", value.lower()) if w in SALE_WORDS})
    if not words:
        return value
    problems.append(
        f"P12: customer information is never sold, rented or given away: {name} {value!r} "
        f"({', '.join(words)}) is refused"
    )
    return None


def _refused_sharing(practice: Practice) -> list[str]:
    """P17: a partner or an affiliate outside the shop's own functions needs a choice."""
    if (
        practice.recipient in THIRD_PARTIES
        and not Purpose.ESSENTIAL.covers(practice.purpose)
        and practice.choice is Choice.NONE
    ):
        who = describe_recipient(practice.recipient)
        message = (
            f"P17: {practice.key} gives data to {who} for {practice.purpose}, which the shop "
            'does not need for its own functions, so it must offer a choice (choice = "opt-in" '
            'or "opt-out"), not "none"'
        )
        return [message]
    return []


def _parse_affiliate_notice(
    value: object, practice: Practice, problems: list[str]
) -> AffiliateNotice | None:
    """P18: the affiliate's notice, parsed like the shop's and compared with what
    ``practice`` lets the affiliate do."""
    where = f"P18: {practice.key}: affiliate_notice"
    if not isinstance(value, dict):
        problems.append(f"{where} must be a table with a name and the affiliate's practices")
        return None
    problems += [f"{where}: unknown key {key!r}" for key in sorted(set(value) - _AFFILIATE_KEYS)]
    name, url = value.get("name"), value.get("url", "")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}: 'name' must name the affiliate")
    if not isinstance(url, str):
        problems.append(f"{where}: 'url' must be text")
    if "allow" not in value:
        problems.append(f"{where}: 'allow' must list the affiliate's practices")
    before = len(problems)
    theirs = _parse_allow(value.get("allow", []), problems, affiliate_of=practice.key)
    if len(problems) > before or not isinstance(name, str) or not isinstance(url, str):
        return None
    affiliate = AffiliateNotice(name=name, url=url, practices=PracticeSet(tuple(theirs)))
    problems += [
        f"P18: {practice.key}: {name}'s notice is less protective than ours for the data it "
        f"would receive: {change.kind} {change.practice} ({change.detail})"
        for change in affiliate_shortfalls(practice, affiliate)
    ]
    return affiliate


@dataclass(frozen=True)
class _Practices:
    version: int
    practice_set: PracticeSet


def _narrowed(practice: Practice, shared: set[DataCategory]) -> Practice | None:
    data = tuple(sorted(c for c in shared if any(declared.covers(c) for declared in practice.data)))
    return replace(practice, data=data, affiliate_notice=None) if data else None


def affiliate_shortfalls(practice: Practice, affiliate: AffiliateNotice) -> list[Change]:
    """P18: where the affiliate's notice, narrowed to the data ``practice`` gives it, is less
    protective than ``practice`` itself, by the comparison of two notices. In the affiliate's
    notice "shop" is the affiliate: the baseline allows it exactly what ``practice`` does."""
    shared = {c for c in DataCategory if any(d.covers(c) for d in practice.data)}
    ours = replace(practice, recipient="shop", affiliate_notice=None)
    theirs = [p for p in (_narrowed(q, shared) for q in affiliate.practices.practices) if p]
    comparison = compare_notices(
        _Practices(0, PracticeSet((ours,))), _Practices(1, PracticeSet(tuple(theirs)))
    )
    return comparison.less_protective_changes()


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
