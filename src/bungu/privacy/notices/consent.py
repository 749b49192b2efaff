"""The rule of P25 and the consent ledger it reads.

A use of personal data is allowed only if the notice in force now allows it *and* the notice
in force when the data was collected allowed it, unless the customer has since consented to
a later notice (or to the practice itself) that allows it. Where the binding notices differ,
the more protective terms win: the stronger choice, the shorter retention.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from bungu.privacy.datamap.collection import notice_in_force
from bungu.privacy.datamap.taxonomy import Choice, DataCategory, Purpose, parse_recipient
from bungu.privacy.exceptions import NoNoticeInForce, UnknownPractice
from bungu.privacy.models import ConsentEvent, ConsentKind, ConsentMethod, Notice
from bungu.privacy.notices.practices import Practice

Subject = AbstractBaseUser | int

# The ledger's practice name for a Global Privacy Control signal (method "gpc"): an opt-out of
# every sale-like use and of e-mail open tracking at once, whatever the notice version.
GPC_PRACTICE = "global-privacy-control"


def subject_id(subject: Subject) -> int:
    return subject if isinstance(subject, int) else int(subject.pk)


def get_notice_in_force(*, at: datetime | None = None) -> Notice:
    """The notice in force at a moment (now by default). Raises NoNoticeInForce."""
    notice = Notice.objects.in_force(at or timezone.now())
    if notice is None:
        raise NoNoticeInForce("No version of the privacy notice is in force.")
    return notice


def find_notice_in_force(*, at: datetime | None = None) -> Notice | None:
    return Notice.objects.in_force(at or timezone.now())


# ---------------------------------------------------------------- the ledger
def _append(
    *,
    kind: ConsentKind,
    subject: Subject,
    method: ConsentMethod | str,
    page: str,
    practice: str,
    notice_version: int | None,
    at: datetime | None,
) -> ConsentEvent:
    at = at or timezone.now()
    if notice_version is None:
        notice = get_notice_in_force(at=at)
    else:
        notice = Notice.objects.get(version=notice_version)
    if practice and notice.practice_set.get(practice) is None:
        raise UnknownPractice(f"Notice v{notice.version} has no practice {practice!r}.")
    return ConsentEvent.objects.create(
        subject_id=subject_id(subject),
        kind=kind,
        notice=notice,
        practice=practice,
        at=at,
        method=ConsentMethod(method),
        page=page[:500],
    )


@transaction.atomic
def record_consent(
    *,
    subject: Subject,
    method: ConsentMethod | str,
    page: str = "",
    practice: str = "",
    notice_version: int | None = None,
    at: datetime | None = None,
) -> ConsentEvent:
    """Record that a customer consented to a notice version (the one in force unless named)
    or, with ``practice``, to one practice of it. Raises Notice.DoesNotExist, NoNoticeInForce
    or UnknownPractice."""
    return _append(
        kind=ConsentKind.GIVEN,
        subject=subject,
        method=method,
        page=page,
        practice=practice,
        notice_version=notice_version,
        at=at,
    )


@transaction.atomic
def withdraw_consent(
    *,
    subject: Subject,
    method: ConsentMethod | str,
    page: str = "",
    practice: str = "",
    notice_version: int | None = None,
    at: datetime | None = None,
) -> ConsentEvent:
    """Record a withdrawal: of a notice consent, or of a practice (an opt-out, P21, P24;
    a GPC signal is recorded with method "gpc"). Raises like ``record_consent``."""
    return _append(
        kind=ConsentKind.WITHDRAWN,
        subject=subject,
        method=method,
        page=page,
        practice=practice,
        notice_version=notice_version,
        at=at,
    )


@dataclass(frozen=True)
class StandingAnswers:
    """A customer's latest word on each notice version and on each practice."""

    notices: dict[int, ConsentEvent]
    practices: dict[str, ConsentEvent]

    @classmethod
    def of(cls, subject: Subject, *, at: datetime) -> StandingAnswers:
        return cls.of_many([subject_id(subject)], at=at)[subject_id(subject)]

    @classmethod
    def of_many(cls, ids: Iterable[int], *, at: datetime) -> dict[int, StandingAnswers]:
        """Each customer's answers, read with one query for all of them."""
        found = {pk: cls({}, {}) for pk in ids}
        events = ConsentEvent.objects.filter(subject_id__in=list(found), at__lte=at)
        for event in events.select_related("notice").order_by("at", "id"):
            answers = found[event.subject_id]
            if event.practice:
                answers.practices[event.practice] = event
            else:
                answers.notices[event.notice.version] = event
        return found

    def latest_on(self, keys: set[str]) -> ConsentEvent | None:
        answers = [self.practices[key] for key in keys if key in self.practices]
        return max(answers, key=lambda e: (e.at, e.id), default=None)


# ---------------------------------------------------------------- the rule
@dataclass(frozen=True)
class Decision:
    """The answer of ``may_use``, with the reason a person can read."""

    allowed: bool
    reason: str
    practice: str | None = None
    basis_version: int | None = None

    def __bool__(self) -> bool:
        return self.allowed


def _consented_rule(
    answers: StandingAnswers, *, after: int, atom: tuple[str, str, str]
) -> tuple[int, Practice] | None:
    """The newest later notice (or practice of one) the customer consented to that allows
    the use."""
    found: list[tuple[int, Practice]] = []
    for version, event in answers.notices.items():
        if event.kind == ConsentKind.GIVEN and version > after:
            rule = event.notice.practice_set.rule_for(*atom)
            if rule is not None:
                found.append((version, rule))
    for key, event in answers.practices.items():
        version = event.notice.version
        if event.kind == ConsentKind.GIVEN and version > after:
            rule = event.notice.practice_set.get(key)
            if rule is not None and rule.covers(*atom):
                found.append((version, rule))
    return max(found, key=lambda item: item[0], default=None)


def _terms(
    *,
    rule_now: Practice,
    basis: Practice,
    basis_version: int,
    answers: StandingAnswers,
    collected_at: datetime,
    now: datetime,
) -> Decision | None:
    """Apply the more protective terms of the binding practices; a refusal, or None."""
    binding = (rule_now, basis)
    choice = max((rule.choice for rule in binding), key=lambda c: c.strength)
    limits = [rule.retention_days for rule in binding if rule.retention_days is not None]
    if limits and collected_at + timedelta(days=min(limits)) < now:
        return Decision(
            False,
            f"The {min(limits)} days this use may last have passed.",
            rule_now.key,
            basis_version,
        )
    answer = answers.latest_on({rule_now.key, basis.key})
    if choice is Choice.OPT_IN and (answer is None or answer.kind != ConsentKind.GIVEN):
        return Decision(
            False,
            "This use needs the customer to opt in, and they have not.",
            rule_now.key,
            basis_version,
        )
    if choice is Choice.OPT_OUT and answer is not None and answer.kind == ConsentKind.WITHDRAWN:
        return Decision(False, "The customer opted out of this use.", rule_now.key, basis_version)
    return None


def _gpc_refusal(answers: StandingAnswers, *, rule: Practice, category: str) -> Decision | None:
    """A Global Privacy Control signal on record refuses sale-like uses and open tracking,
    unless the customer opted in to that very practice after the signal."""
    signal = answers.practices.get(GPC_PRACTICE)
    if signal is None or signal.kind != ConsentKind.WITHDRAWN:
        return None
    if not (rule.sale_like or DataCategory.EMAIL_OPENS.covers(category)):
        return None
    later = answers.practices.get(rule.key)
    opted_in_since = (
        later is not None
        and later.kind == ConsentKind.GIVEN
        and (later.at, later.id) > (signal.at, signal.id)
    )
    if opted_in_since:
        return None
    return Decision(
        False, "The customer's browser sent Global Privacy Control: an opt-out.", rule.key
    )


@dataclass(frozen=True)
class UseRule:
    """Everything the rule of P25 reads about one customer at one moment, loaded once so that
    many uses (every field a page shows) are judged with two queries, not a few per use."""

    subject: Subject
    now: datetime
    notices: list[Notice]  # newest version first
    answers: StandingAnswers

    @classmethod
    def load(cls, subject: Subject, *, now: datetime | None = None) -> UseRule:
        now = now or timezone.now()
        notices = list(Notice.objects.order_by("-version"))
        return cls(subject, now, notices, StandingAnswers.of(subject, at=now))

    @classmethod
    def load_many(
        cls, subjects: Iterable[Subject], *, now: datetime | None = None
    ) -> dict[int, UseRule]:
        """The rules of many customers at one moment, with two queries for all of them."""
        now = now or timezone.now()
        notices = list(Notice.objects.order_by("-version"))
        ids = {subject_id(subject): subject for subject in subjects}
        answers = StandingAnswers.of_many(ids, at=now)
        return {pk: cls(subject, now, notices, answers[pk]) for pk, subject in ids.items()}

    def notice_at(self, moment: datetime) -> Notice | None:
        return notice_in_force(self.notices, moment)

    def may_use(
        self,
        *,
        data_category: DataCategory | str,
        purpose: Purpose | str,
        recipient: str,
        collected_at: datetime,
    ) -> Decision:
        """As the module-level ``may_use``, for this rule's customer and moment."""
        now = self.now
        atom = (
            DataCategory(data_category).value,
            Purpose(purpose).value,
            parse_recipient(recipient),
        )
        if collected_at > now:
            raise ValueError("collected_at is later than now")
        current = self.notice_at(now)
        rule_now = current.practice_set.rule_for(*atom) if current else None
        if current is None or rule_now is None:
            version = f"v{current.version}" if current else "no version"
            return Decision(False, f"The notice in force ({version}) does not allow this.")

        answers = self.answers
        collected_under = self.notice_at(collected_at)
        consented = _consented_rule(
            answers, after=collected_under.version if collected_under else 0, atom=atom
        )
        at_collection = collected_under.practice_set.rule_for(*atom) if collected_under else None
        if consented is not None:
            basis_version, basis = consented
        elif collected_under is not None and at_collection is not None:
            basis_version, basis = collected_under.version, at_collection
        else:
            under = f"v{collected_under.version}" if collected_under else "no notice"
            return Decision(
                False,
                f"The data was collected under {under}, which did not allow this, and the customer "
                "has not consented to a later notice that does.",
                practice=rule_now.key,
            )
        # A refusal is a false Decision, so the two checks are not chained with ``or``.
        refusal = _gpc_refusal(answers, rule=rule_now, category=atom[0])
        if refusal is not None:
            return refusal
        refusal = _terms(
            rule_now=rule_now,
            basis=basis,
            basis_version=basis_version,
            answers=answers,
            collected_at=collected_at,
            now=now,
        )
        if refusal is not None:
            return refusal
        how = "the customer's consent to" if consented else "collection under"
        return Decision(
            True,
            f"Allowed by v{current.version} now and by {how} v{basis_version}.",
            rule_now.key,
            basis_version,
        )


def may_use(
    *,
    subject: Subject,
    data_category: DataCategory | str,
    purpose: Purpose | str,
    recipient: str,
    collected_at: datetime,
    now: datetime | None = None,
) -> Decision:
    """P25: may this customer's data of this category, collected at ``collected_at``, serve
    this purpose for this recipient now? Raises ValueError for an unknown category, purpose or
    recipient, or data collected in the future."""
    return UseRule.load(subject, now=now).may_use(
        data_category=data_category,
        purpose=purpose,
        recipient=recipient,
        collected_at=collected_at,
    )


def may_use_many(
    *,
    collected_at: Mapping[int, datetime],
    data_category: DataCategory | str,
    purpose: Purpose | str,
    recipient: str,
    subjects: Iterable[Subject] = (),
    now: datetime | None = None,
) -> dict[int, Decision]:
    """P25 for many customers at once (a campaign's batch): ``may_use`` for each customer
    id of ``collected_at``, which maps it to the moment its data was collected, with two
    queries in all. ``subjects`` may give the customers themselves; ids stand for the
    others. Raises like ``may_use``."""
    given = {subject_id(subject): subject for subject in subjects}
    rules = UseRule.load_many([given.get(pk, pk) for pk in collected_at], now=now)
    return {
        pk: rules[pk].may_use(
            data_category=data_category,
            purpose=purpose,
            recipient=recipient,
            collected_at=moment,
        )
        for pk, moment in collected_at.items()
    }
