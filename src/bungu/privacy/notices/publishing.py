"""Publishing a new notice version, and asking the customers it affects (P24, P25).

A version less protective than the one before it is published only when staff confirm the
comparison. Once it is in force, customers whose data was collected under an earlier version
that protected them better are asked, on their next visit and by e-mail unless they stopped
legal-notice mail (P21), whether they accept it (the e-mail is a campaign of the marketing
app's "notice reminder" kind, built from ``notice_reminder`` here). Until they do,
``may_use`` keeps their older data under the older rules; declining changes nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from bungu.privacy.exceptions import LessProtectiveUnconfirmed
from bungu.privacy.models import ConsentEvent, ConsentMethod, Notice, NoticeReminder
from bungu.privacy.notices.consent import Subject, record_consent, subject_id, withdraw_consent
from bungu.privacy.notices.practices import NoticeComparison, compare_notices

# Read by bungu.mail's outbox: the kind decides whether the customer's choices let it go (P21).
MAIL_KIND_HEADER = "X-Bungu-Kind"
# The notice versions the project ships: ``v<N>.md`` (the words) and ``v<N>.toml`` (practices).
SHIPPED = Path(__file__).resolve().parent


# ---------------------------------------------------------------- publishing
def previous_version(notice: Notice) -> Notice | None:
    """The version a new one replaces: the newest with a lower number."""
    return (
        Notice.objects.filter(version__lt=notice.version).exclude(pk=notice.pk).order_by("-version")
    ).first()


def comparison_with_previous(notice: Notice) -> NoticeComparison | None:
    previous = previous_version(notice)
    return None if previous is None else compare_notices(previous, notice)


def check_publishable(notice: Notice, *, confirmed_less_protective: bool) -> None:
    """P25: refuse a version less protective than the one before it unless staff confirmed
    the comparison. Raises LessProtectiveUnconfirmed (holding the comparison) or
    PracticesError for practices that do not parse."""
    comparison = comparison_with_previous(notice)
    if comparison is not None and comparison.less_protective and not confirmed_less_protective:
        raise LessProtectiveUnconfirmed(
            f"Version {notice.version} is less protective than version "
            f"{comparison.old_version} in {len(comparison.less_protective_changes())} way(s); "
            "confirm the comparison to publish it.",
            comparison,
        )


@transaction.atomic
def publish_notice(
    *,
    effective: date,
    text: str,
    practices: str,
    confirmed_less_protective: bool = False,
    version: int | None = None,
) -> Notice:
    """Publish a new version of the notice (the next number unless given). Raises
    LessProtectiveUnconfirmed, or ValidationError for practices or dates that do not hold."""
    if version is None:
        latest = Notice.objects.select_for_update().order_by("-version").first()
        version = 1 if latest is None else latest.version + 1
    notice = Notice(version=version, effective=effective, text=text, practices=practices)
    notice.full_clean()
    check_publishable(notice, confirmed_less_protective=confirmed_less_protective)
    notice.save()
    return notice


def shipped_notice(version: int) -> tuple[str, str]:
    """The text and practices of a version the project ships (``v<N>.md``, ``v<N>.toml``).
    Raises FileNotFoundError for a version it does not ship."""
    text, practices = (SHIPPED / f"v{version}.md"), (SHIPPED / f"v{version}.toml")
    if version < 1 or not text.is_file() or not practices.is_file():
        raise FileNotFoundError(f"The project ships no notice version {version}.")
    return text.read_text(encoding="utf-8"), practices.read_text(encoding="utf-8")


def publish_shipped_notice(
    *, version: int, effective: date, confirmed_less_protective: bool = False
) -> Notice:
    """Publish a version the project ships (v2 adds open confirmations of partner offers) on
    the owner's date, with the same checks as the admin's form: a later date than every older
    version, never in the past, and a less protective version only when confirmed (P25).
    Raises FileNotFoundError, LessProtectiveUnconfirmed or ValidationError (also for a
    version already published)."""
    text, practices = shipped_notice(version)
    return publish_notice(
        effective=effective,
        text=text,
        practices=practices,
        confirmed_less_protective=confirmed_less_protective,
        version=version,
    )


# ---------------------------------------------------------------- whom a version affects
@lru_cache(maxsize=256)
def _less_protective(old_practices: str, new_practices: str) -> bool:
    # Keyed by the texts: versions in force never change, and a comparison is costly.
    old = Notice(version=1, practices=old_practices)
    new = Notice(version=2, practices=new_practices)
    return compare_notices(old, new).less_protective


def _in_force(at: datetime) -> list[Notice]:
    return list(Notice.objects.filter(effective__lte=timezone.localdate(at)).order_by("version"))


def _collected_since(subject: Subject) -> datetime | None:
    """When the shop began holding the customer's data: when the account was made."""
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    if not hasattr(user_model, "date_joined"):
        return None
    joined: datetime | None = (
        user_model._default_manager.filter(pk=subject_id(subject))
        .values_list("date_joined", flat=True)
        .first()
    )
    return joined


def affects(
    notice: Notice, *, notices: list[Notice], collected_since: datetime | None
) -> list[Notice]:
    """The earlier versions, among ``notices``, under which a customer holding data since
    ``collected_since`` (None: always) may have data, and that protect it better."""
    candidates = [n for n in notices if n.version <= notice.version]
    start = 0
    if collected_since is not None:
        # From the version in force when the account was made (maybe ``notice`` itself) on.
        first = timezone.localdate(collected_since)
        at_start = [n for n in candidates if n.effective <= first]
        start = at_start[-1].version if at_start else 0
    earlier = [n for n in candidates if start <= n.version < notice.version]
    return [n for n in earlier if _less_protective(n.practices, notice.practices)]


def has_answered(*, subject: Subject, notice: Notice) -> bool:
    return ConsentEvent.objects.filter(
        subject_id=subject_id(subject), notice=notice, practice=""
    ).exists()


def notice_awaiting_answer(*, subject: Subject, at: datetime | None = None) -> Notice | None:
    """The version in force, if it is less protective than one the customer's data was
    collected under and the customer has neither accepted nor declined it."""
    notices = _in_force(at or timezone.now())
    if len(notices) < 2:
        return None
    current = notices[-1]
    if not affects(current, notices=notices, collected_since=_collected_since(subject)):
        return None
    return None if has_answered(subject=subject, notice=current) else current


@transaction.atomic
def answer_notice(
    *, subject: Subject, notice_version: int, accept: bool, page: str = ""
) -> ConsentEvent:
    """Record the customer's answer to a notice version on the consent page: acceptance lets
    the version govern their older data too; a refusal is kept on record and leaves the older
    data under the older rules (P25). Raises Notice.DoesNotExist."""
    record = record_consent if accept else withdraw_consent
    return record(
        subject=subject, method=ConsentMethod.PAGE, page=page, notice_version=notice_version
    )


# ---------------------------------------------------------------- e-mail reminders (P24)
# The reminders themselves are a kind of campaign (``bungu.marketing``, a higher layer), which
# gives them leased sending, progress, resumption after a crash and rate limits. What they say,
# whom they go to and the record of having sent them are the notice's, so they live here.
def list_customers_to_remind(*, notice_version: int) -> QuerySet[Any]:
    """The ids of the active customers who had an account before a version took effect,
    have not been reminded of it and have not answered it on the consent page. Raises
    Notice.DoesNotExist."""
    notice = Notice.objects.get(version=notice_version)
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    reminded = NoticeReminder.objects.filter(notice=notice).values("subject_id")
    answered = ConsentEvent.objects.filter(notice=notice, practice="").values("subject_id")
    customers = (
        user_model._default_manager.filter(is_active=True)
        .exclude(pk__in=reminded)
        .exclude(pk__in=answered)
    )
    if hasattr(user_model, "date_joined"):
        # Accounts made once the version was in force were shown it at sign-up.
        start = timezone.make_aware(datetime.combine(notice.effective, datetime.min.time()))
        customers = customers.filter(date_joined__lt=start)
    ids: QuerySet[Any] = customers.order_by("pk").values_list("pk", flat=True)
    return ids


def record_notice_reminders(*, notice_version: int, subject_ids: Iterable[int]) -> None:
    """Note that these customers are being reminded of a version (their reminder is on its
    way, or held back by their own choice), so nobody is reminded of it twice; one already
    noted stays as it was. Raises Notice.DoesNotExist."""
    notice = Notice.objects.get(version=notice_version)
    NoticeReminder.objects.bulk_create(
        [NoticeReminder(subject_id=pk, notice=notice) for pk in subject_ids],
        ignore_conflicts=True,
        batch_size=2000,
    )


@dataclass(frozen=True)
class NoticeReminderText:
    """What a reminder of one version says: the subject, and the text for a customer the
    version asks nothing of and for one it asks to accept or decline (P25)."""

    notice: Notice
    subject: str
    text: str
    asking_text: str
    notices: tuple[Notice, ...]

    def asks_consent(self, *, collected_since: datetime | None) -> bool:
        """Whether the version is less protective for data held since that moment."""
        return bool(
            affects(self.notice, notices=list(self.notices), collected_since=collected_since)
        )

    def text_for(self, *, collected_since: datetime | None) -> str:
        return self.asking_text if self.asks_consent(collected_since=collected_since) else self.text


def notice_reminder(*, notice_version: int, now: datetime | None = None) -> NoticeReminderText:
    """The reminder of a version (P24), both ways it can read. Raises Notice.DoesNotExist."""
    notice = Notice.objects.get(version=notice_version)
    now = now or timezone.now()

    def render(asks: bool) -> str:
        context = {
            "notice": notice,
            "today": timezone.localdate(now),
            "shop_name": settings.BUNGU_SHOP_NAME,
            "notice_url": settings.BUNGU_SITE_URL + reverse("privacy:notice"),
            "consent_url": settings.BUNGU_SITE_URL + reverse("privacy:consent"),
            "asks_consent": asks,
        }
        return render_to_string("privacy/email/notice_changed.txt", context)

    return NoticeReminderText(
        notice=notice,
        subject=f"{settings.BUNGU_SHOP_NAME}: our privacy notice is changing",
        text=render(False),
        asking_text=render(True),
        notices=tuple(_in_force(now)),
    )
