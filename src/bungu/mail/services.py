"""The mail app's use cases: put a message in the outbox, send the shop's own mails, retry,
unsubscribe and prune. Delivery itself runs after commit, as a background job."""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from email.utils import parseaddr
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from bungu import privacy

from .exceptions import BadUnsubscribeLink, InvalidAddress, UnsupportedMessage
from .kinds import (
    ERASE_AFTER_DELIVERY_HEADER,
    KIND_HEADER,
    TRANSACTIONAL,
    Category,
    category_of,
    current_kind,
)
from .models import OUTBOX_RETENTION_DAYS, MailSuppression, OutboxMessage, State, SuppressionKind
from .preferences import send_refusal, set_preferences
from .tasks import schedule_delivery
from .tokens import read_unsubscribe_token, unsubscribe_url

logger = logging.getLogger(__name__)

# Headers the outbox sets itself; a sender's own values for them are not carried over.
_OWN_HEADERS = {
    KIND_HEADER.lower(),
    ERASE_AFTER_DELIVERY_HEADER.lower(),
    "message-id",
    "to",
    "cc",
    "bcc",
    "from",
    "subject",
    "date",
    "list-unsubscribe",
    "list-unsubscribe-post",
}


def _find_user(address: str) -> AbstractBaseUser | None:
    user_model = get_user_model()
    lookup = {f"{user_model.get_email_field_name()}__iexact": address}
    return user_model._default_manager.filter(**lookup).first()


def new_message_id(*, domain: str) -> str:
    """A unique Message-ID of letters and digits mixed.

    P2: the standard library's ids end in a random 19-digit number, and one in ten of those
    passes the Luhn check: a card-number scan (ours, or a mail system's) would take the
    shop's mail for mail carrying card numbers."""
    # Base32 spells with letters and the digits 2-7 only: no long run of digits by chance.
    unique = base64.b32encode(secrets.token_bytes(20)).decode("ascii").lower()
    return f"<{unique}@{domain}>"


def _message_id_domain(from_address: str) -> str:
    _, address = parseaddr(from_address)
    return address.rpartition("@")[2] or "localhost"


@transaction.atomic
def queue_message(
    *,
    to: str,
    kind: str,
    subject: str,
    text_body: str,
    html_body: str = "",
    from_address: str = "",
    headers: Mapping[str, str] | None = None,
    user: AbstractBaseUser | None = None,
    unsubscribe_link: str = "",
    erase_after_delivery: bool = False,
    message_id: str = "",
) -> OutboxMessage:
    """Put one message in the outbox: queued, and delivered after commit when SMTP is set up,
    or suppressed, with the reason, when the customer said no to its kind (P21) or the rule of
    P25 forbids this use of their address. Raises InvalidAddress or
    UnknownMailKind. ``unsubscribe_link``: the one already written into the body, if any.
    ``erase_after_delivery``: blank the address and content once the message is delivered or
    given up on (P22: the last e-mail to a deleted account). ``message_id``: the sender's own
    Message-ID (a campaign's, which its reports count opens by); a message already queued
    with it is that same message queued again after a crash, and is returned as it is."""
    to = to.strip()
    if message_id:
        queued = OutboxMessage.objects.filter(message_id=message_id).first()
        if queued is not None:
            return queued
    try:
        validate_email(to)
    except ValidationError:
        raise InvalidAddress(f"{to!r} is not an e-mail address.") from None
    category = category_of(kind)
    if user is None:
        user = _find_user(to)
    kept = {
        name: str(value)
        for name, value in (headers or {}).items()
        if name.lower() not in _OWN_HEADERS
    }
    if user is not None and category.may_be_stopped:
        # RFC 8058: mail clients offer a one-click unsubscribe that POSTs to this address.
        link = unsubscribe_link or unsubscribe_url(user_id=int(user.pk), category=category)
        kept["List-Unsubscribe"] = f"<{link}>"
        kept["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    from_address = from_address or settings.DEFAULT_FROM_EMAIL
    refused = send_refusal(user=user, kind=kind) or suppression_refusal(
        address=to, category=category
    )
    message = OutboxMessage.objects.create(
        to_address=to,
        recipient_id=None if user is None else user.pk,
        kind=kind,
        from_address=from_address,
        subject=" ".join(subject.split())[:998],
        text_body=text_body,
        html_body=html_body,
        headers=kept,
        message_id=message_id or new_message_id(domain=_message_id_domain(from_address)),
        state=State.QUEUED if refused is None else State.SUPPRESSED,
        suppressed_reason=(refused or "")[:500],
        erase_after_delivery=erase_after_delivery,
    )
    if message.erase_after_delivery and message.is_done:
        # Suppressed at once: it will never go, so there is nothing to keep it for.
        message.forget_content()
        message.save(update_fields=list(OutboxMessage.CONTENT_FIELDS))
    if message.state == State.QUEUED:
        transaction.on_commit(partial(schedule_delivery, message.pk))
    return message


def queue_email(email: EmailMessage) -> list[OutboxMessage]:
    """Put a Django EmailMessage in the outbox: one message per recipient, so no customer
    sees another's address. Its kind comes from the X-Bungu-Kind header, else from the
    ``mail_kind`` block it was sent in, else "transactional". With the
    X-Bungu-Erase-After-Delivery header (P22) it is blanked once delivered, as an erasure of
    the account the header names. Raises UnsupportedMessage for attachments or an unknown
    account, InvalidAddress, UnknownMailKind."""
    if email.attachments:
        raise UnsupportedMessage("The outbox does not keep attachments.")
    headers = dict(email.extra_headers)
    kind = _header(headers, KIND_HEADER) or current_kind() or TRANSACTIONAL
    erased_account = _erased_account(_header(headers, ERASE_AFTER_DELIVERY_HEADER))
    if email.reply_to:
        headers["Reply-To"] = ", ".join(email.reply_to)
    text_body, html_body = str(email.body), ""
    if email.content_subtype == "html":
        text_body, html_body = strip_tags(text_body), text_body
    if isinstance(email, EmailMultiAlternatives):
        html_body = next(
            (str(content) for content, mimetype in email.alternatives if mimetype == "text/html"),
            html_body,
        )
    recipients = list(dict.fromkeys(address.strip() for address in email.recipients()))
    with transaction.atomic():
        return [
            queue_message(
                to=address,
                kind=kind,
                subject=str(email.subject),
                text_body=text_body,
                html_body=html_body,
                from_address=str(email.from_email or ""),
                headers=headers,
                user=erased_account,
                erase_after_delivery=erased_account is not None,
            )
            for address in recipients
        ]


def _header(headers: Mapping[str, Any], wanted: str) -> str | None:
    return next(
        (str(value) for name, value in headers.items() if name.lower() == wanted.lower()), None
    )


def _erased_account(value: str | None) -> AbstractBaseUser | None:
    """The erased account the last e-mail is about (its address is anonymised by now, so it
    is found by number). Raises UnsupportedMessage for a number of no account."""
    if value is None:
        return None
    user = (
        get_user_model()._default_manager.filter(pk=int(value)).first()
        if value.strip().isdigit()
        else None
    )
    if user is None:
        raise UnsupportedMessage(f"{ERASE_AFTER_DELIVERY_HEADER}: no account {value!r}.")
    return user


def send_mail_to(
    *,
    user: AbstractBaseUser | None = None,
    address: str | None = None,
    kind: str,
    subject: str,
    template: str,
    context: Mapping[str, Any] | None = None,
    erase_after_delivery: bool = False,
) -> OutboxMessage:
    """Render the shop's own mail from ``<template>.txt`` (required) and ``<template>.html``
    (optional) and put it in the outbox. The templates get ``user``, ``shop_name``,
    ``site_url``, ``preferences_url`` and, for mail the customer can stop,
    ``unsubscribe_url``. Raises ValueError without a recipient, InvalidAddress,
    UnknownMailKind, TemplateDoesNotExist for a missing text template."""
    if address is None:
        if user is None:
            raise ValueError("send_mail_to needs a user or an address")
        address = str(getattr(user, get_user_model().get_email_field_name()))
    category = category_of(kind)
    values: dict[str, Any] = {
        "user": user,
        "shop_name": settings.BUNGU_SHOP_NAME,
        "site_url": settings.BUNGU_SITE_URL,
        "preferences_url": settings.BUNGU_SITE_URL + reverse("mail:preferences"),
        **(context or {}),
    }
    if user is not None and category.may_be_stopped:
        values["unsubscribe_url"] = unsubscribe_url(user_id=int(user.pk), category=category)
    # Plain text is not HTML: rendered without escaping, so "Pens & Ink" stays as written.
    text_body = get_template(f"{template}.txt").template.render(  # type: ignore[attr-defined]
        Context(values, autoescape=False)
    )
    try:
        html_body = get_template(f"{template}.html").render(values)
    except TemplateDoesNotExist:
        html_body = ""
    return queue_message(
        to=address,
        kind=kind,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        user=user,
        unsubscribe_link=values.get("unsubscribe_url", ""),
        erase_after_delivery=erase_after_delivery,
    )


def retry_messages(messages: Iterable[OutboxMessage]) -> int:
    """Give failed (or still queued) messages one more attempt now. Returns how many were
    queued; sent and suppressed messages, and failed ones whose content was erased (P22), are
    left alone."""
    ids = [
        m.pk
        for m in messages
        if m.state == State.QUEUED or (m.state == State.FAILED and not m.erase_after_delivery)
    ]
    with transaction.atomic():
        OutboxMessage.objects.filter(pk__in=ids, state__in=[State.FAILED, State.QUEUED]).exclude(
            state=State.FAILED, erase_after_delivery=True
        ).update(state=State.QUEUED, next_attempt_at=None)
        for message_id in ids:
            transaction.on_commit(partial(schedule_delivery, message_id))
    return len(ids)


def deliver_due_messages(
    *, now: datetime | None = None, queued_before: datetime | None = None
) -> int:
    """Enqueue every queued message whose time has come (after SMTP is set up, or where the
    task backend cannot defer retries); with ``queued_before``, only messages queued before
    then (younger ones still have their own job). Returns how many were enqueued; 0
    without SMTP."""
    due = OutboxMessage.objects.due(now or timezone.now())
    if queued_before is not None:
        due = due.filter(created_at__lt=queued_before)
    ids = list(due.values_list("pk", flat=True))
    return sum(schedule_delivery(message_id) for message_id in ids)


def prune_outbox(*, now: datetime | None = None) -> int:
    """P5: delete messages that were done with more than OUTBOX_RETENTION_DAYS ago."""
    cutoff = (now or timezone.now()) - timedelta(days=OUTBOX_RETENTION_DAYS)
    deleted, _ = OutboxMessage.objects.done_before(cutoff).delete()
    return deleted


def _user_of_link(token: str) -> tuple[AbstractBaseUser, Category]:
    user_id, category = read_unsubscribe_token(token)
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    if user is None:
        raise BadUnsubscribeLink("This unsubscribe link is not valid.")
    return user, category


def check_unsubscribe_link(token: str) -> Category:
    """The kind of mail a signed link would stop. Raises BadUnsubscribeLink."""
    return _user_of_link(token)[1]


def unsubscribe(*, token: str, page: str = "") -> Category:
    """Turn off the kind of mail a signed link names, for the customer it names (P21), and
    return it. Raises BadUnsubscribeLink for an altered or expired link or a customer who is
    gone."""
    user, category = _user_of_link(token)
    set_preferences(
        user=user, choices={category: False}, method=privacy.ConsentMethod.EMAIL, page=page
    )
    return category


# Suppressions (P13).
# Bounces and complaints the e-mail delivery service reports (through the agents' API). A
# suppressed address gets no mail a customer could stop (marketing, other mail, legal
# notices); account security and the answers to what the customer just did still go, as they
# do whatever the preferences say. The marketing campaigns ask ``is_suppressed``.
def _normal(address: str) -> str:
    return address.strip().lower()


def is_suppressed(address: str) -> bool:
    """Whether a bounce or a complaint stopped mail to this address (any letter case)."""
    return MailSuppression.objects.filter(address=_normal(address)).exists()


def suppressed_among(addresses: Iterable[str]) -> set[str]:
    """Which of the addresses a bounce or a complaint stopped mail to, with one query;
    returned as given."""
    by_normal: dict[str, list[str]] = {}
    for address in addresses:
        by_normal.setdefault(_normal(address), []).append(address)
    found = MailSuppression.objects.filter(address__in=list(by_normal)).values_list(
        "address", flat=True
    )
    return {address for normal in found for address in by_normal.get(normal, [])}


def suppression_refusal(*, address: str, category: Category) -> str | None:
    """Why a message of this category may not go to the address, or None if it may."""
    if not category.may_be_stopped:
        return None
    found = MailSuppression.objects.filter(address=_normal(address)).first()
    if found is None:
        return None
    return f"The address is suppressed after a {found.get_kind_display()} report."


def suppress_address(
    *,
    address: str,
    kind: SuppressionKind,
    source: str,
    detail: str = "",
    recipient_id: int | None = None,
) -> tuple[MailSuppression, bool]:
    """Record that mail to the address bounced or drew a complaint; a second report of the
    same kind changes nothing. Returns the suppression and whether it is new. Raises
    InvalidAddress. ``recipient_id``: the account the mail went to, when the caller knows it
    (the outbox message a bounce is about); else the account with this address, if any."""
    normal = _normal(address)
    try:
        validate_email(normal)
    except ValidationError:
        raise InvalidAddress(f"{address!r} is not an e-mail address.") from None
    found = MailSuppression.objects.filter(address=normal, kind=kind).first()
    if found is not None:
        return found, False
    owner = recipient_id or (
        get_user_model()
        ._default_manager.annotate(low=Lower("email"))
        .filter(low=normal)
        .values_list("pk", flat=True)
        .first()
    )
    try:
        with transaction.atomic():
            made = MailSuppression.objects.create(
                address=normal,
                kind=kind,
                source=source[:160],
                detail=detail[:300],
                recipient_id=owner,
            )
    except IntegrityError:
        # The same report arrived twice at once: the other one recorded it.
        return MailSuppression.objects.get(address=normal, kind=kind), False
    return made, True


def lift_suppressions(*, suppression_ids: Iterable[int], by: str) -> int:
    """Let stoppable mail go to these addresses again: the report was wrong (a mailbox that
    works again, a forged report). Returns how many were lifted; ``by``: who did it, for the
    application log (never the address)."""
    ids = list(suppression_ids)
    lifted, _ = MailSuppression.objects.filter(pk__in=ids).delete()
    if lifted:
        logger.info("%s lifted mail suppression(s) %s", by, ", ".join(map(str, sorted(ids))))
    return lifted
