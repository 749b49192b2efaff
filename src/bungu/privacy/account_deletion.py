"""P22: a customer deletes their account, from asking to the erasure.

The erasure itself is ``erasure.erase_subject``, driven by the data map; what other apps must
do when their rows go (reviews leave the rating summaries true, sessions end) they declare
beside their data map (``ERASURE``), so this flow imports none of them. Here are the steps
around it: the request and its grace period, and the two e-mails.

The mails are account-security mail (kind ``account.deletion``): sent whatever the customer's
mail preferences say. They go through Django's mail API, which the shop points at its outbox.
The last one goes to the address the account had; the outbox forgets that address and what it
said as soon as it is delivered or given up on, rather than a year later like other mail, and
journals that under the account (``ERASE_AFTER_DELIVERY_HEADER``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .consent import Subject, subject_id
from .erasure import (
    cancel_account_deletion,
    complete_account_deletion,
    due_account_deletions,
    pending_account_deletion,
    request_account_deletion,
)
from .exceptions import NoDeletionPending
from .models import AccountDeletion
from .publishing import MAIL_KIND_HEADER

MAIL_KIND = "account.deletion"
JOB_ACTOR = "job:privacy_run_due_deletions"
# Read by bungu.mail's outbox, like the kind header: blank this message once it is delivered
# or given up on, and journal that as an erasure of this account (the header's value).
ERASE_AFTER_DELIVERY_HEADER = "X-Bungu-Erase-After-Delivery"


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


def pending_deletion(*, subject: Subject) -> AccountDeletion | None:
    return pending_account_deletion(subject=subject)


@transaction.atomic
def request_deletion(*, subject: Subject, now: datetime | None = None) -> AccountDeletion:
    """Schedule the account's deletion after the grace period and confirm it by e-mail.
    Raises DeletionAlreadyRequested while a request is pending."""
    deletion = request_account_deletion(subject=subject, now=now)
    user = get_user_model()._default_manager.get(pk=subject_id(subject))
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


def cancel_deletion(*, subject: Subject, now: datetime | None = None) -> AccountDeletion:
    """Keep the account after all. Raises NoDeletionPending."""
    return cancel_account_deletion(subject=subject, now=now)


@transaction.atomic
def execute_deletion(*, deletion_id: int, actor: str, now: datetime | None = None) -> int:
    """Erase one due account; returns the number of journal entries. The last e-mail goes
    to the address the account had, once the erasure is committed, and the outbox blanks it
    when it is delivered (P22). Raises NoDeletionPending when it was cancelled meanwhile or is
    not due."""
    deletion = AccountDeletion.objects.filter(pk=deletion_id).first()
    if deletion is None:
        raise NoDeletionPending(f"Deletion #{deletion_id} is not pending and due.")
    user = get_user_model()._default_manager.select_for_update().get(pk=deletion.subject_id)
    address = _address_of(user)
    # Sessions end and reviews go through their apps' ERASURE hooks, inside the erasure.
    entries = complete_account_deletion(deletion_id=deletion_id, actor=actor, now=now)
    # Queued after the erasure, which would otherwise erase it with the account's other mail;
    # the outbox delivers it after commit.
    _send(
        to=address,
        subject="your account has been deleted",
        template="deletion_done",
        context={},
        headers={ERASE_AFTER_DELIVERY_HEADER: str(user.pk)},
    )
    return len(entries)


def run_due_deletions(*, now: datetime | None = None, actor: str = JOB_ACTOR) -> int:
    """Erase every account whose grace period is over; returns how many. For the worker or
    cron (``bungu privacy run-due-deletions``); each account in its own transaction."""
    now = now or timezone.now()
    done = 0
    for deletion in due_account_deletions(now=now):
        try:
            execute_deletion(deletion_id=deletion.pk, actor=actor, now=now)
        except NoDeletionPending:
            continue  # cancelled between the listing and its turn
        done += 1
    return done
