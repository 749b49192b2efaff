"""Publishing a new notice version, and asking the customers it affects (P24, P25).

A version less protective than the one before it is published only when staff confirm the
comparison. Once it is in force, customers whose data was collected under an earlier version
that protected them better are asked, on their next visit and by e-mail unless they stopped
legal-notice mail (P21), whether they accept it. Until they do, ``may_use`` keeps their older
data under the older rules; declining changes nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from functools import lru_cache

from django.apps import apps
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from bungu.privacy.exceptions import LessProtectiveUnconfirmed
from bungu.privacy.models import ConsentEvent, ConsentMethod, Notice, NoticeReminder
from bungu.privacy.notices.consent import Subject, record_consent, subject_id, withdraw_consent
from bungu.privacy.notices.practices import NoticeComparison, compare_notices

# Read by bungu.mail's outbox: the kind decides whether the customer's choices let it go (P21).
MAIL_KIND_HEADER = "X-Bungu-Kind"
LEGAL_NOTICE_KIND = "legal.notice"


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
def _customers_to_remind(notice: Notice) -> Iterator[AbstractBaseUser]:
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    reminded = NoticeReminder.objects.filter(notice=notice).values("subject_id")
    customers = user_model._default_manager.filter(is_active=True).exclude(pk__in=reminded)
    if hasattr(user_model, "date_joined"):
        # Accounts made once the version was in force were shown it at sign-up.
        start = timezone.make_aware(datetime.combine(notice.effective, datetime.min.time()))
        customers = customers.filter(date_joined__lt=start)
    yield from customers.order_by("pk").iterator(chunk_size=500)


def send_notice_reminders(*, notice_version: int) -> int:
    """E-mail every customer who had an account before a version took effect about it, once
    each; a version less protective for them asks for their answer. The outbox holds the mail
    back for customers who stopped legal-notice e-mail (P21). Returns how many were written.
    Raises Notice.DoesNotExist."""
    notice = Notice.objects.get(version=notice_version)
    notices = _in_force(timezone.now())
    email_field = apps.get_model(settings.AUTH_USER_MODEL).get_email_field_name()
    written = 0
    for customer in _customers_to_remind(notice):
        joined = getattr(customer, "date_joined", None)
        asks = bool(affects(notice, notices=notices, collected_since=joined))
        context = {
            "notice": notice,
            "shop_name": settings.BUNGU_SHOP_NAME,
            "notice_url": settings.BUNGU_SITE_URL + reverse("privacy:notice"),
            "consent_url": settings.BUNGU_SITE_URL + reverse("privacy:consent"),
            "asks_consent": asks,
        }
        message = EmailMessage(
            subject=f"{settings.BUNGU_SHOP_NAME}: our privacy notice is changing",
            body=render_to_string("privacy/email/notice_changed.txt", context),
            to=[str(getattr(customer, email_field))],
            headers={MAIL_KIND_HEADER: LEGAL_NOTICE_KIND},
        )
        with transaction.atomic():
            NoticeReminder.objects.create(subject_id=customer.pk, notice=notice)
            message.send()
        written += 1
    return written
