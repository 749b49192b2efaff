"""Mail sent through Django's API (allauth, the admin) lands in the outbox."""

import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django_tasks_db.models import DBTaskResult

from bungu.mail.exceptions import UnknownMailKind, UnsupportedMessage
from bungu.mail.kinds import ERASE_AFTER_DELIVERY_HEADER, KIND_HEADER, mail_kind
from bungu.mail.models import OutboxMessage, State
from tests.accounts.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_django_send_mail_is_kept_in_the_outbox_and_linked_to_the_customer(
    django_capture_on_commit_callbacks,
) -> None:
    customer = CustomerFactory(email="ann@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        sent = mail.send_mail("Hello", "Body text", None, ["Ann@Example.com"])

    assert sent == 1
    message = OutboxMessage.objects.get()
    assert message.to_address == "Ann@Example.com"
    assert message.recipient == customer
    assert message.kind == "transactional"
    assert message.subject == "Hello"
    assert message.text_body == "Body text"
    assert message.html_body == ""
    assert message.from_address == "Bungu <shop@bungu.test>"
    assert message.state == State.QUEUED
    assert message.attempts == 0
    assert message.message_id.startswith("<")
    assert message.message_id.endswith("@bungu.test>")
    # No SMTP configured: the message waits in the outbox, and no job was enqueued.
    assert DBTaskResult.objects.count() == 0


def test_the_kind_comes_from_the_header_which_is_not_kept() -> None:
    email = EmailMessage(
        "Verify", "Click", to=["bo@example.com"], headers={KIND_HEADER: "account.verify"}
    )
    email.send()

    message = OutboxMessage.objects.get()
    assert message.kind == "account.verify"
    assert message.headers == {}


def test_the_kind_comes_from_the_mail_kind_block() -> None:
    with mail_kind("account.password_reset"):
        mail.send_mail("Reset", "Link", None, ["bo@example.com"])
    mail.send_mail("Other", "Text", None, ["bo@example.com"])

    assert list(OutboxMessage.objects.order_by("id").values_list("kind", flat=True)) == [
        "account.password_reset",
        "transactional",
    ]


def test_each_recipient_gets_a_message_of_their_own() -> None:
    email = EmailMessage(
        "Hi",
        "Text",
        to=["a@example.com"],
        cc=["b@example.com"],
        bcc=["a@example.com", "c@example.com"],
    )
    assert email.send() == 1

    assert sorted(OutboxMessage.objects.values_list("to_address", flat=True)) == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
    ]


def test_html_alternative_and_reply_to_are_kept() -> None:
    email = EmailMultiAlternatives(
        "Hi", "Plain", to=["a@example.com"], reply_to=["help@bungu.test"]
    )
    email.attach_alternative("<p>Rich</p>", "text/html")
    email.send()

    message = OutboxMessage.objects.get()
    assert message.text_body == "Plain"
    assert message.html_body == "<p>Rich</p>"
    assert message.headers == {"Reply-To": "help@bungu.test"}


def test_an_html_only_message_gets_a_text_body() -> None:
    email = EmailMessage("Hi", "<p>Only <b>HTML</b></p>", to=["a@example.com"])
    email.content_subtype = "html"
    email.send()

    message = OutboxMessage.objects.get()
    assert message.text_body == "Only HTML"
    assert message.html_body == "<p>Only <b>HTML</b></p>"


def test_attachments_are_refused_and_nothing_is_stored() -> None:
    def with_attachment() -> EmailMessage:
        email = EmailMessage("Hi", "Text", to=["a@example.com"])
        email.attach("invoice.txt", "total 3", "text/plain")
        return email

    with pytest.raises(UnsupportedMessage):
        with_attachment().send()
    assert with_attachment().send(fail_silently=True) == 0
    assert OutboxMessage.objects.count() == 0


def test_an_unknown_kind_is_refused_and_nothing_is_stored() -> None:
    email = EmailMessage("Hi", "Text", to=["a@example.com"], headers={KIND_HEADER: "spam"})

    with pytest.raises(UnknownMailKind):
        email.send()
    assert OutboxMessage.objects.count() == 0


def test_p22_the_erase_after_delivery_header_names_the_account_and_is_not_kept() -> None:
    customer = CustomerFactory(email="erased-user-1@erased.invalid")
    email = EmailMessage(
        "Deleted",
        "Goodbye",
        to=["old@example.com"],
        headers={KIND_HEADER: "account.deletion", ERASE_AFTER_DELIVERY_HEADER: str(customer.pk)},
    )
    email.send()

    message = OutboxMessage.objects.get()
    assert (message.recipient, message.erase_after_delivery) == (customer, True)
    assert message.headers == {}


@pytest.mark.parametrize("value", ["999999", "me", ""])
def test_p22_an_erase_after_delivery_header_naming_no_account_is_refused(value: str) -> None:
    email = EmailMessage(
        "Deleted", "Goodbye", to=["old@example.com"], headers={ERASE_AFTER_DELIVERY_HEADER: value}
    )

    with pytest.raises(UnsupportedMessage, match="no account"):
        email.send()
    assert OutboxMessage.objects.count() == 0
