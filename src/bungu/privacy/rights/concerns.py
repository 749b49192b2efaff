"""P26: privacy concerns and requests, from the customer's form to the shop's answer.

Nothing is released or erased for a request until the shop knows it comes from the account
holder. There are two ways to know it, and each request records which one was used
(``PrivacyRequest.verified_by``):

* signed in: the customer filled in the form on their account (``submit_privacy_request``);
* by e-mail link: a visitor who is not signed in gave an address on the public form, and the
  account with that address was sent a signed link (``request_by_email``). Only opening the
  link and confirming records the request (``confirm_request_link``); until then it waits as a
  ``PendingPrivacyRequest``, which is erased when the link expires.

The public form answers every address the same way, so it never tells who has an account.
An address with no account gets nothing: no mail and no stored record, whatever the kind. A
concern, unlike the other kinds, could in principle come from anyone, but the shop tracks
requests against an account, answers them on that account and runs the legal clocks for its
holder; a concern with no account to verify and answer against has nobody to be tracked for,
and storing the words of an anonymous visitor would only keep personal data without a
purpose. Such a visitor can write to the shop at the address given in the notice.

Deletion requests are tracked here for staff like the others; erasing an account is done by
the account-deletion flow (``rights/deletion.py``), which reaches the other apps only
through the hooks they declare beside their data map.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse

from bungu.privacy.datamap.clocks import REQUEST_LINK_VALID_DAYS
from bungu.privacy.exceptions import PrivacyError
from bungu.privacy.models import (
    PendingPrivacyRequest,
    PrivacyRequest,
    RequestKind,
    RequestStatus,
    Verification,
)
from bungu.privacy.notices.consent import Subject, subject_id
from bungu.privacy.notices.publishing import MAIL_KIND_HEADER

# The link's signature is good for this one use only: another signed value of the shop (an
# unsubscribe link, say) never passes for it.
LINK_SALT = "bungu.privacy.request-link"
LINK_VALID_FOR = timedelta(days=REQUEST_LINK_VALID_DAYS)
# A real token is about 70 characters; anything far longer is not worth decoding.
MAX_TOKEN_LENGTH = 300
# P21: the answer to the person's own request, sent even to those who stopped marketing,
# news and legal-notice mail ("transactional" mail cannot be turned off in bungu.mail).
LINK_MAIL_KIND = "transactional.privacy_request"


class BadRequestLink(PrivacyError):  # noqa: N818  # domain nouns (style.md)
    """A confirmation link that was altered, cut short, or names no waiting request."""


class ExpiredRequestLink(BadRequestLink):
    """A confirmation link older than LINK_VALID_FOR."""


@dataclass(frozen=True)
class Confirmation:
    request: PrivacyRequest
    # True when the link had been confirmed before: nothing new was recorded.
    already_confirmed: bool


# ---------------------------------------------------------------- signed in
def submit_privacy_request(
    *, customer: Subject, kind: RequestKind | str, description: str
) -> PrivacyRequest:
    """Record a signed-in customer's concern or request, with its legal clocks started.
    Raises ValidationError for an unknown kind or an empty or too long description."""
    request = PrivacyRequest(
        customer_id=subject_id(customer),
        kind=kind,
        description=description.strip(),
        verified_by=Verification.SIGNED_IN,
    )
    request.full_clean(exclude=["confirm_due", "answer_due"])
    request.save()
    return request


def list_privacy_requests_for(*, customer: Subject) -> list[PrivacyRequest]:
    """A customer's own requests, newest first."""
    return list(PrivacyRequest.objects.of(subject_id(customer)).order_by("-received_at", "-id"))


def get_privacy_request_for(*, customer: Subject, request_id: int) -> PrivacyRequest:
    """One of the customer's own requests; PrivacyRequest.DoesNotExist for anyone else's."""
    return PrivacyRequest.objects.of(subject_id(customer)).get(pk=request_id)


def count_privacy_requests_by_status() -> list[tuple[str, int]]:
    """How many requests are in each status, as (label, count) in the statuses' order, zeros
    included: the staff dashboard's figures, one aggregate query and no person in it."""
    counted = dict(
        PrivacyRequest.objects.values("status")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("status", "n")
    )
    return [(str(status.label), counted.get(status.value, 0)) for status in RequestStatus]


# ---------------------------------------------------------------- not signed in: by e-mail link
def find_account_by_email(*, email: str) -> AbstractBaseUser | None:
    """The active account whose e-mail address this is (any letter case), if there is one."""
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    lookup = {f"{user_model.get_email_field_name()}__iexact": email.strip()}
    found: AbstractBaseUser | None = user_model._default_manager.filter(
        is_active=True, **lookup
    ).first()
    return found


def request_by_email(
    *, email: str, kind: RequestKind | str, description: str
) -> PendingPrivacyRequest | None:
    """Start a request for the account with this address: keep it waiting and e-mail the
    account's address a link that confirms it. For an address with no active account, store
    and send nothing and return None (see the module's docstring). Raises ValidationError
    for an unknown kind or an empty or too long description."""
    pending = PendingPrivacyRequest(kind=kind, description=description.strip())
    # Checked before the account is looked up, so every address meets the same rules.
    pending.full_clean(exclude=["customer", "request"])
    account = find_account_by_email(email=email)
    if account is None:
        return None
    pending.customer_id = account.pk
    address = str(getattr(account, account.get_email_field_name()))
    # The shop's mail backend writes the message to the outbox, in this transaction, and
    # delivers it once it commits: no mail for a request that was not stored, and the other
    # way round.
    with transaction.atomic():
        pending.save()
        _send_link(pending, address=address)
    return pending


def request_link_token(pending: PendingPrivacyRequest) -> str:
    """The signed token of the link that confirms a pending request."""
    return signing.dumps({"p": pending.pk, "n": pending.nonce}, salt=LINK_SALT)


def request_link_url(pending: PendingPrivacyRequest) -> str:
    """The link's absolute address, for a mail (there is no request to build it from)."""
    token = request_link_token(pending)
    return settings.BUNGU_SITE_URL + reverse("privacy:request_confirm", kwargs={"token": token})


def _send_link(pending: PendingPrivacyRequest, *, address: str) -> None:
    context = {
        "shop_name": settings.BUNGU_SHOP_NAME,
        "kind": pending.get_kind_display(),
        "confirm_url": request_link_url(pending),
        "valid_days": REQUEST_LINK_VALID_DAYS,
        "start_again_url": settings.BUNGU_SITE_URL + reverse("privacy:request_by_email"),
    }
    EmailMessage(
        subject=f"{settings.BUNGU_SHOP_NAME}: please confirm your privacy request",
        body=render_to_string("privacy/email/request_link.txt", context),
        to=[address],
        headers={MAIL_KIND_HEADER: LINK_MAIL_KIND},
    ).send()


def _named_in(token: str) -> tuple[int, str]:
    """The pending request's id and nonce a link names. Raises ExpiredRequestLink or
    BadRequestLink."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise BadRequestLink("This link is not complete or has been changed.")
    try:
        payload = signing.loads(token, salt=LINK_SALT, max_age=LINK_VALID_FOR)
    except signing.SignatureExpired:
        raise ExpiredRequestLink(
            f"This link has expired: links work for {REQUEST_LINK_VALID_DAYS} days."
        ) from None
    except signing.BadSignature:
        raise BadRequestLink("This link is not complete or has been changed.") from None
    pending_id = payload.get("p") if isinstance(payload, dict) else None
    nonce = payload.get("n") if isinstance(payload, dict) else None
    if not isinstance(pending_id, int) or not isinstance(nonce, str):
        raise BadRequestLink("This link is not complete or has been changed.")
    return pending_id, nonce


def _pending_named_in(token: str, *, lock: bool = False) -> PendingPrivacyRequest:
    pending_id, nonce = _named_in(token)
    rows = PendingPrivacyRequest.objects.select_related("request")
    if lock:
        # Only the waiting request's row: PostgreSQL cannot lock the nullable side of a join.
        rows = rows.select_for_update(of=("self",))
    found = rows.filter(pk=pending_id, nonce=nonce).first()
    if found is None:
        # Signed by the shop and still fresh, but its request was erased with the account.
        raise BadRequestLink("This link no longer names a request.")
    return found


def open_request_link(*, token: str) -> PendingPrivacyRequest:
    """The pending request a link names, with the request it became if it was confirmed.
    Changes nothing. Raises ExpiredRequestLink, or BadRequestLink for an altered link or
    one whose request is gone."""
    return _pending_named_in(token)


@transaction.atomic
def confirm_request_link(*, token: str) -> Confirmation:
    """Record the request a link names, verified by e-mail link, once: a link used again
    answers the request recorded the first time. The legal clocks run from when the form was
    sent, not from the click: the law counts from receipt, whatever the time verifying takes.
    Raises ExpiredRequestLink or BadRequestLink."""
    # Locked, so two clicks at once cannot both find it unconfirmed.
    pending = _pending_named_in(token, lock=True)
    if pending.request is not None:
        return Confirmation(request=pending.request, already_confirmed=True)
    request = PrivacyRequest(
        customer_id=pending.customer_id,
        kind=pending.kind,
        description=pending.description,
        received_at=pending.submitted_at,
        verified_by=Verification.EMAIL_LINK,
    )
    # The account is the pending row's, which the database already holds to exist.
    request.full_clean(exclude=["confirm_due", "answer_due", "customer"])
    request.save()
    pending.request = request
    pending.save(update_fields=["request"])
    return Confirmation(request=request, already_confirmed=False)
