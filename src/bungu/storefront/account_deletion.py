"""P22: a customer deletes their account, from asking to the erasure.

The privacy app erases by the data map and keeps the journal; it may import no other app, so
the steps that belong to other apps are taken here, at the top layer: reviews are erased
through their own service (product ratings are recomputed), the customer's sessions are
ended, and the e-mails are written. The mails are account-security mail (kind
``account.deletion``): sent whatever the customer's mail preferences say. The last one goes
to the address the account had; the outbox forgets that address and what it said as soon as
it is delivered or given up on, rather than a year later like other mail.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from bungu import privacy
from bungu.accounts.models import User
from bungu.accounts.sessions import end_all_sessions
from bungu.mail.services import send_mail_to
from bungu.reviews.services import erase_reviews_of

MAIL_KIND = "account.deletion"
JOB_ACTOR = "job:privacy_run_due_deletions"


def _send(
    *,
    user: User,
    address: str,
    subject: str,
    template: str,
    context: dict[str, object],
    erase_after_delivery: bool = False,
) -> None:
    send_mail_to(
        user=user,
        address=address,
        kind=MAIL_KIND,
        subject=f"{settings.BUNGU_SHOP_NAME}: {subject}",
        template=f"storefront/email/{template}",
        context=context,
        erase_after_delivery=erase_after_delivery,
    )


def pending_deletion(*, user: User) -> privacy.AccountDeletion | None:
    return privacy.pending_account_deletion(subject=user)


@transaction.atomic
def request_deletion(*, user: User, now: datetime | None = None) -> privacy.AccountDeletion:
    """Schedule the account's deletion after the grace period and confirm it by e-mail.
    Raises privacy.DeletionAlreadyRequested while a request is pending."""
    deletion = privacy.request_account_deletion(subject=user, now=now)
    context = {
        "due_at": timezone.localtime(deletion.due_at),
        "cancel_url": settings.BUNGU_SITE_URL + reverse("storefront:delete_account"),
    }
    _send(
        user=user,
        address=user.email,
        subject="your account will be deleted",
        template="deletion_requested",
        context=context,
    )
    return deletion


def cancel_deletion(*, user: User, now: datetime | None = None) -> privacy.AccountDeletion:
    """Keep the account after all. Raises privacy.NoDeletionPending."""
    return privacy.cancel_account_deletion(subject=user, now=now)


@transaction.atomic
def execute_deletion(*, deletion_id: int, actor: str, now: datetime | None = None) -> int:
    """Erase one due account; returns the number of journal entries. The last e-mail goes
    to the address the account had, once the erasure is committed, and the outbox blanks it
    when it is delivered (P22). Raises privacy.NoDeletionPending when it was cancelled
    meanwhile or is not due."""
    now = now or timezone.now()
    deletion = next(
        (item for item in privacy.due_account_deletions(now=now) if item.pk == deletion_id), None
    )
    if deletion is None:
        raise privacy.NoDeletionPending(f"Deletion #{deletion_id} is not pending and due.")
    user = User.objects.select_for_update().get(pk=deletion.subject_id)
    address = user.email
    # Signed out everywhere; the unusable password the erasure sets would end any session
    # missed here, since Django checks a hash of it on every request.
    end_all_sessions(user=user)
    erase_reviews_of(customer_id=user.pk)
    entries = privacy.complete_account_deletion(deletion_id=deletion_id, actor=actor, now=now)
    # Queued after the erasure, which would otherwise erase it with the account's other mail;
    # the outbox delivers it after commit.
    _send(
        user=user,
        address=address,
        subject="your account has been deleted",
        template="deletion_done",
        context={},
        erase_after_delivery=True,
    )
    return len(entries)


def run_due_deletions(*, now: datetime | None = None, actor: str = JOB_ACTOR) -> int:
    """Erase every account whose grace period is over; returns how many. For the worker or
    cron (``bungu privacy_run_due_deletions``); each account in its own transaction."""
    now = now or timezone.now()
    done = 0
    for deletion in privacy.due_account_deletions(now=now):
        try:
            execute_deletion(deletion_id=deletion.pk, actor=actor, now=now)
        except privacy.NoDeletionPending:
            continue  # cancelled between the listing and its turn
        done += 1
    return done
