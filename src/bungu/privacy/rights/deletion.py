"""P22: a customer deletes their account, from asking to the erasure.

One service, whoever calls it (the customer's page, a test, the worker): the request and its
grace period, cancelling within it, and carrying it out when it is due. The erasure itself is
``erasure.erase_subject``, driven by the data map; what other apps must do when their rows go
(reviews leave the rating summaries true, sessions end) they declare beside their data map
(``ERASURE``), so this flow imports none of them.

Both steps confirm by e-mail. The mails are account-security mail (kind
``account.deletion``): sent whatever the customer's mail preferences say. They go through
Django's mail API, which the shop points at its outbox, and the outbox delivers them after
commit. The last one goes to the address the account had; the outbox forgets that address and
what it said as soon as it is delivered or given up on, rather than a year later like other
mail, and journals that under the account (``ERASE_AFTER_DELIVERY_HEADER``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from bungu.privacy.exceptions import DeletionAlreadyRequested, NoDeletionPending
from bungu.privacy.models import AccountDeletion, ErasureJournalEntry
from bungu.privacy.notices.consent import Subject, subject_id
from bungu.privacy.notices.publishing import MAIL_KIND_HEADER
from bungu.privacy.rights.erasure import erase_subject

MAIL_KIND = "account.deletion"
JOB_ACTOR = "job:privacy_run_due_deletions"
# Read by bungu.mail's outbox, like the kind header: blank this message once it is delivered
# or given up on, and journal that as an erasure of this account (the header's value).
ERASE_AFTER_DELIVERY_HEADER = "X-Bungu-Erase-After-Delivery"


def grace_period() -> timedelta:
    return timedelta(days=int(getattr(settings, "BUNGU_DELETION_GRACE_DAYS", 14)))


def _address_of(user: AbstractBaseUser) -> str:
    return str(getattr(user, get_user_model().get_email_field_name()))


def _send(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> None:
    values = {"shop_name": settings.BUNGU_SHOP_NAME, "site_url": settings.BUNGU_SITE_URL}
    EmailMessage(
        subject=f"{settings.BUNGU_SHOP_NAME}: {subject}",
        body=render_to_string(f"privacy/email/{template}.txt", {**values, **context}),
        to=[to],
        headers={MAIL_KIND_HEADER: MAIL_KIND, **(headers or {})},
    ).send()


# ---------------------------------------------------------------- the request and its grace period
def pending_account_deletion(*, subject: Subject) -> AccountDeletion | None:
    """The customer's request that is neither cancelled nor carried out, if any."""
    return AccountDeletion.objects.pending().filter(subject_id=subject_id(subject)).first()


@transaction.atomic
def request_account_deletion(*, subject: Subject, now: datetime | None = None) -> AccountDeletion:
    """Schedule the erasure of an account after the grace period and confirm it by e-mail.
    Raises DeletionAlreadyRequested while an earlier request is pending."""
    owner = subject_id(subject)
    # Serialises two requests of one customer (a double click) on the account row.
    user = get_user_model()._default_manager.select_for_update().get(pk=owner)
    pending = pending_account_deletion(subject=owner)
    if pending is not None:
        raise DeletionAlreadyRequested(
            f"You already asked to delete your account; it will be deleted on "
            f"{timezone.localtime(pending.due_at):%B %-d, %Y}."
        )
    now = now or timezone.now()
    deletion = AccountDeletion.objects.create(
        subject_id=owner, requested_at=now, due_at=now + grace_period()
    )
    _send(
        to=_address_of(user),
        subject="your account will be deleted",
        template="deletion_requested",
        context={
            "due_at": timezone.localtime(deletion.due_at),
            "cancel_url": settings.BUNGU_SITE_URL + reverse("privacy:delete_account"),
        },
    )
    return deletion


@transaction.atomic
def cancel_account_deletion(*, subject: Subject, now: datetime | None = None) -> AccountDeletion:
    """Keep the account after all: cancel a pending request within the grace period.
    Raises NoDeletionPending."""
    deletion = (
        AccountDeletion.objects.select_for_update()
        .pending()
        .filter(subject_id=subject_id(subject))
        .first()
    )
    if deletion is None:
        raise NoDeletionPending("There is no pending request to delete your account.")
    deletion.cancelled_at = now or timezone.now()
    deletion.save(update_fields=["cancelled_at"])
    return deletion


def due_account_deletions(*, now: datetime | None = None) -> list[AccountDeletion]:
    """The pending requests whose grace period is over, oldest first."""
    return list(AccountDeletion.objects.due(now or timezone.now()).order_by("due_at", "id"))


# ---------------------------------------------------------------- carrying it out
@transaction.atomic
def complete_account_deletion(
    *, deletion_id: int, actor: str, now: datetime | None = None
) -> list[ErasureJournalEntry]:
    """Erase the account of a due request, mark it done and send the last e-mail to the
    address the account had (the outbox blanks it once delivered, P22); returns the erasure's
    journal entries. Raises NoDeletionPending when the request was cancelled or completed
    meanwhile, or is not due yet."""
    now = now or timezone.now()
    deletion = AccountDeletion.objects.select_for_update().filter(pk=deletion_id).first()
    if deletion is None or not deletion.is_pending or deletion.due_at > now:
        raise NoDeletionPending(f"Deletion #{deletion_id} is not pending and due.")
    user = get_user_model()._default_manager.select_for_update().get(pk=deletion.subject_id)
    address = _address_of(user)
    # Sessions end and reviews go through their apps' ERASURE hooks, inside the erasure.
    entries = erase_subject(subject=deletion.subject_id, actor=actor, now=now)
    deletion.completed_at = now
    deletion.save(update_fields=["completed_at"])
    # Queued after the erasure, which would otherwise erase it with the account's other mail.
    _send(
        to=address,
        subject="your account has been deleted",
        template="deletion_done",
        context={},
        headers={ERASE_AFTER_DELIVERY_HEADER: str(user.pk)},
    )
    return entries


def run_due_deletions(*, now: datetime | None = None, actor: str = JOB_ACTOR) -> int:
    """Erase every account whose grace period is over; returns how many. For the worker or
    cron (``bungu privacy run-due-deletions``); each account in its own transaction."""
    now = now or timezone.now()
    done = 0
    for deletion in due_account_deletions(now=now):
        try:
            complete_account_deletion(deletion_id=deletion.pk, actor=actor, now=now)
        except NoDeletionPending:
            continue  # cancelled between the listing and its turn
        done += 1
    return done
