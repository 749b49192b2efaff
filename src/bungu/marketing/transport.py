"""A campaign's message on its way out: rendered once for all its recipients (``prepare``),
then written for each and handed to the SMTP connection the worker keeps open, or to the
outbox when no SMTP server is configured (``deliver``)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, replace

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from bungu import privacy
from bungu.mail import opens, services as mail_services
from bungu.mail.delivery import open_connection, smtp_configured

from .content import PreparedMessage, RenderedMessage
from .eligibility import address_of
from .kinds import KindRules, rules_of
from .models import Campaign, CampaignKind, CampaignRecipient
from .wire import Wire


class Transport:
    """SMTP when it is configured; otherwise the outbox, where the message waits, readable
    in the admin, as all the shop's mail does without SMTP."""

    def __init__(self) -> None:
        self.smtp = open_connection() if smtp_configured() else None
        self.wire = Wire.for_sender(
            settings.DEFAULT_FROM_EMAIL, localtime=settings.EMAIL_USE_LOCALTIME
        )

    def send_bytes(self, *, to: str, data: bytes) -> None:
        """Hand the server a message written by ``Wire`` (SMTP only)."""
        if self.smtp is None:
            raise RuntimeError("written messages go to an SMTP server, not the outbox")
        self.smtp.open()
        if self.smtp.connection is None:
            raise smtplib.SMTPServerDisconnected("no connection to the SMTP server")
        self.smtp.connection.sendmail(self.wire.envelope_from, [to], data)

    def send(self, email: EmailMultiAlternatives, *, customer: AbstractBaseUser, kind: str) -> None:
        if self.smtp is None:
            html = next((str(c) for c, mime in email.alternatives if mime == "text/html"), "")
            mail_services.queue_message(
                to=email.to[0],
                kind=kind,
                subject=str(email.subject),
                text_body=str(email.body),
                html_body=html,
                user=customer,
                unsubscribe_link=email.extra_headers["List-Unsubscribe"].strip("<>"),
                headers={},
                # The campaign's own, by which reports find its opens (a partner offer's, P14).
                message_id=email.extra_headers["Message-ID"],
            )
            return
        # Opened once and kept: Django's backend would open and close a connection for every
        # message sent through a closed one.
        self.smtp.open()
        self.smtp.send_messages([email])

    def reset(self) -> None:
        if self.smtp is not None:
            self.smtp.close()

    def close(self) -> None:
        self.reset()


@dataclass(frozen=True)
class CampaignMessage:
    """A campaign's message rendered once for all its recipients: for a notice reminder, in
    both its versions (the one that asks the customer to answer goes to those whose older
    data the new notice treats less protectively, P25)."""

    rules: KindRules
    plain: PreparedMessage
    asking: PreparedMessage | None = None
    reminder: privacy.NoticeReminderText | None = None

    def for_customer(self, customer: AbstractBaseUser) -> PreparedMessage:
        if self.reminder is None or self.asking is None:
            return self.plain
        joined = getattr(customer, "date_joined", None)
        asks = self.reminder.asks_consent(collected_since=joined)
        return self.asking if asks else self.plain


def _rendered(
    recipient: CampaignRecipient,
    *,
    message: CampaignMessage,
    link: str,
    image_token: str | None,
    offer_code: str = "",
) -> RenderedMessage:
    customer = recipient.customer
    rendered = message.for_customer(customer).for_customer(
        name=str(getattr(customer, "name", "") or ""), unsubscribe_url=link, offer_code=offer_code
    )
    if image_token is None:
        return rendered
    # P7: the image only where the customer's choice allowed it (``_track_opens``).
    return replace(rendered, html=opens.with_tracking_image(rendered.html, token=image_token))


def _email(
    recipient: CampaignRecipient, *, rendered: RenderedMessage, link: str, message_id: str
) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address_of(recipient.customer)],
        headers={
            "Message-ID": message_id,
            # RFC 8058: mail clients offer a one-click unsubscribe that POSTs here (P21).
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    email.attach_alternative(rendered.html, "text/html")
    return email


def deliver(
    recipient: CampaignRecipient,
    *,
    message: CampaignMessage,
    transport: Transport,
    link: str,
    image_token: str | None,
    message_id: str,
    tracking_key: str,
    offer_code: str = "",
) -> None:
    """Hand one message to the server (written directly when ``Wire`` can) or the outbox.
    ``message_id`` carries the return tag (P21); the outbox recognises the returns of its own
    messages without one, so a message queued there goes under ``tracking_key``, the key its
    open record is found by (P7, the partner report of P14)."""
    rendered = _rendered(
        recipient, message=message, link=link, image_token=image_token, offer_code=offer_code
    )
    if transport.smtp is not None:
        data = transport.wire.message(
            to=address_of(recipient.customer),
            subject=rendered.subject,
            message_id=message_id,
            list_unsubscribe=f"<{link}>",
            text=rendered.text,
            html=rendered.html,
        )
        if data is not None:
            transport.send_bytes(to=address_of(recipient.customer), data=data)
            return
    queued = transport.smtp is None
    email = _email(
        recipient, rendered=rendered, link=link, message_id=tracking_key if queued else message_id
    )
    transport.send(email, customer=recipient.customer, kind=message.rules.mail_kind)


def prepare(campaign: Campaign) -> CampaignMessage:
    """The campaign's message, rendered once for all its recipients. Raises
    Notice.DoesNotExist for a reminder of a version that is gone."""
    rules = rules_of(campaign.kind)
    preferences_url = settings.BUNGU_SITE_URL + reverse("mail:preferences")
    if campaign.notice_version is None:
        plain = PreparedMessage.of(
            subject=campaign.subject,
            body=campaign.body,
            preferences_url=preferences_url,
            template=rules.template,
            with_code=campaign.kind == CampaignKind.PARTNER_OFFER,
        )
        return CampaignMessage(rules, plain)
    reminder = privacy.notice_reminder(notice_version=campaign.notice_version)
    plain, asking = (
        PreparedMessage.of(
            subject=reminder.subject,
            body=text,
            preferences_url=preferences_url,
            template=rules.template,
        )
        for text in (reminder.text, reminder.asking_text)
    )
    return CampaignMessage(rules, plain, asking, reminder)
