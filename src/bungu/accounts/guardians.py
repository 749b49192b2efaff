"""P23: someone under 18 uses the shop only with a parent or guardian involved.

A guardian (an account whose holder stated at sign-up that they are 18 or over) invites the
young person's e-mail address and, in the same step, consents to their using the shop under
supervision; the consent is the link's ``approved_at``. The young person signs up through the
invitation, without the adult statement, and their account is supervised from then on. The
guardian sees the supervised accounts and can end a link, which closes that account.

For checkout (not built yet): ``is_supervised(user)`` says whether an order needs a
guardian's approval before it is placed, and ``guardian_of(user)`` says whose.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from bungu.mail.kinds import KIND_HEADER

from . import sessions
from .models import GuardianLink, User

INVITATION_DAYS = 7
# Open invitations a guardian may have at once: enough for a family, too few for spam.
MAX_OPEN_INVITATIONS = 5
GUARDIAN_INVITATION = "account.guardian_invitation"


class GuardianError(Exception):
    """A guardian action the rules do not allow; the message says why, for the customer."""


class NotAnAdult(GuardianError):  # noqa: N818 - a domain noun
    pass


class TooManyInvitations(GuardianError):  # noqa: N818 - a domain noun
    pass


class InvitationInvalid(GuardianError):  # noqa: N818 - a domain noun
    pass


@dataclass(frozen=True)
class Invitation:
    link: GuardianLink
    token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_adult(user: User) -> bool:
    """Whether the account holder stated they are 18 or over and is not supervised."""
    return user.adult_declared_at is not None and not is_supervised(user)


def is_supervised(user: User | int) -> bool:
    """Whether the account is a supervised (under-18) account with a guardian in force.
    Checkout uses it: such an account's order waits for the guardian's approval."""
    return GuardianLink.objects.active().filter(supervised=user).exists()


def guardian_of(user: User | int) -> User | None:
    """The guardian of a supervised account; None for any other account."""
    link = GuardianLink.objects.active().filter(supervised=user).select_related("guardian")
    found = link.first()
    return found.guardian if found else None


def list_links(*, guardian: User) -> list[GuardianLink]:
    """The guardian's invitations and supervised accounts, newest first."""
    return list(GuardianLink.objects.filter(guardian=guardian).select_related("supervised"))


@transaction.atomic
def invite_supervised(*, guardian: User, email: str, site_url: str, consent: bool) -> Invitation:
    """Invite a young person's address to a supervised account, recording the guardian's
    consent. Raises NotAnAdult, TooManyInvitations or InvitationInvalid (no consent, own
    address)."""
    if not consent:
        raise InvitationInvalid("Please confirm that you are their parent or guardian.")
    User.objects.select_for_update().filter(pk=guardian.pk).first()
    guardian.refresh_from_db()
    if not is_adult(guardian):
        raise NotAnAdult("Only an adult account can supervise another account.")
    email = email.strip()
    if email.lower() == guardian.email.lower():
        raise InvitationInvalid("Invite the young person's own address, not yours.")
    now = timezone.now()
    if GuardianLink.objects.filter(guardian=guardian).pending(now=now).count() >= (
        MAX_OPEN_INVITATIONS
    ):
        raise TooManyInvitations(
            f"You have {MAX_OPEN_INVITATIONS} open invitations; wait for one to be used or end it."
        )
    token = secrets.token_urlsafe(32)
    link = GuardianLink.objects.create(
        guardian=guardian,
        invited_email=email,
        token_digest=_digest(token),
        created_at=now,
        approved_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    join_url = site_url.rstrip("/") + reverse("accounts:join_supervised", args=[token])
    transaction.on_commit(lambda: _send_invitation(link, join_url))
    return Invitation(link=link, token=token)


def _send_invitation(link: GuardianLink, join_url: str) -> None:
    context = {
        "guardian": link.guardian,
        "join_url": join_url,
        "days": INVITATION_DAYS,
        "shop_name": settings.BUNGU_SHOP_NAME,
    }
    message = EmailMultiAlternatives(
        subject=f"{settings.BUNGU_SHOP_NAME}: an invitation from {link.guardian.get_full_name()}",
        body=render_to_string("accounts/email/guardian_invitation.txt", context),
        to=[link.invited_email],
        headers={KIND_HEADER: GUARDIAN_INVITATION},
    )
    message.send()


def find_invitation(*, token: str) -> GuardianLink | None:
    """The open invitation a token redeems; None when it is unknown, used, ended or expired."""
    if not token or len(token) > 100:
        return None
    return (
        GuardianLink.objects.pending()
        .select_related("guardian")
        .filter(token_digest=_digest(token))
        .first()
    )


@transaction.atomic
def accept_invitation(*, link: GuardianLink, user: User) -> GuardianLink:
    """Attach a newly signed-up account to the invitation it came through; the account is
    supervised from now on. Raises InvitationInvalid if the invitation was used or ended."""
    locked = GuardianLink.objects.select_for_update().get(pk=link.pk)
    if locked.supervised_id or locked.ended_at or locked.expires_at <= timezone.now():
        raise InvitationInvalid("This invitation can no longer be used.")
    locked.supervised = user
    locked.accepted_at = timezone.now()
    locked.save(update_fields=["supervised", "accepted_at"])
    return locked


@transaction.atomic
def end_link(*, guardian: User, link_id: int) -> GuardianLink:
    """End a link (or withdraw an invitation). A supervised account cannot be used without
    its guardian, so it is deactivated and signed out everywhere. Raises
    GuardianLink.DoesNotExist for a link of another guardian."""
    link = GuardianLink.objects.select_for_update().get(pk=link_id, guardian=guardian)
    if link.ended_at:
        return link
    link.ended_at = timezone.now()
    link.save(update_fields=["ended_at"])
    supervised = link.supervised
    if supervised is not None:
        User.objects.filter(pk=supervised.pk).update(is_active=False)
        sessions.end_all_sessions(user=supervised)
    return link
