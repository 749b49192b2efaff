"""Delivery to a real SMTP server (aiosmtpd on loopback), through the task backends."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from bungu.mail import services
from bungu.mail.delivery import attempt_delivery
from bungu.mail.kinds import Category
from bungu.mail.models import MAX_ATTEMPTS, OutboxMessage, State
from bungu.mail.preferences import set_preferences
from bungu.mail.tasks import deliver_message
from tests.accounts.factories import CustomerFactory
from tests.smtp import free_port
from tests.worker import DATABASE_TASKS, run_worker

from .factories import OutboxMessageFactory

pytestmark = pytest.mark.django_db


def test_a_queued_message_is_delivered_after_commit(
    smtp_server, django_capture_on_commit_callbacks
) -> None:
    customer = CustomerFactory(email="ann@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        mail.send_mail("Your order", "Thank you, Ann.", None, ["ann@example.com"])
        assert smtp_server.messages == []  # nothing leaves before the commit

    message = OutboxMessage.objects.get()
    assert message.state == State.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.recipient == customer
    received = smtp_server.last
    assert received.rcpt_tos == ["ann@example.com"]
    assert received.mail_from == "shop@bungu.test"
    assert received["Subject"] == "Your order"
    assert received["To"] == "ann@example.com"
    assert received["Message-ID"] == message.message_id
    assert received["X-Bungu-Kind"] is None
    # Transactional mail cannot be stopped, so it offers no unsubscribe.
    assert received["List-Unsubscribe"] is None
    assert received.text.strip() == "Thank you, Ann."


def test_marketing_mail_carries_a_one_click_unsubscribe_that_works(
    smtp_server, django_capture_on_commit_callbacks, client, mail_templates
) -> None:
    customer = CustomerFactory(email="bo@example.com", name="Bo")

    with django_capture_on_commit_callbacks(execute=True):
        services.send_mail_to(
            user=customer,
            kind="marketing",
            subject="New inks",
            template="mail_tests/hello",
            context={"name": "Bo"},
        )

    received = smtp_server.last
    link = smtp_server.find_link("/mail/unsubscribe/")
    assert received["List-Unsubscribe"].strip() == f"<{link}>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Pens & Ink are back." in received.text  # text is not HTML-escaped
    assert "Pens &amp; Ink are back." in received.html
    assert link.startswith("http://127.0.0.1:8000/mail/unsubscribe/")

    # RFC 8058: the mail client POSTs with no cookie and no CSRF token.
    response = client.post(
        link.removeprefix("http://127.0.0.1:8000"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    customer.mail_preferences.refresh_from_db()
    assert customer.mail_preferences.marketing is False
    assert customer.mail_preferences.other_mail is True


def test_p21_mail_the_customer_turned_off_is_suppressed_not_sent(
    smtp_server, django_capture_on_commit_callbacks
) -> None:
    customer = CustomerFactory()
    set_preferences(
        user=customer,
        choices={Category.MARKETING: False, Category.OTHER: False, Category.LEGAL: False},
        method="form",
    )

    with django_capture_on_commit_callbacks(execute=True):
        for kind in ("marketing", "news.letter", "legal.notice", "account.verify"):
            services.queue_message(to=customer.email, kind=kind, subject=kind, text_body="x")

    states = dict(OutboxMessage.objects.values_list("kind", "state"))
    assert states == {
        "marketing": State.SUPPRESSED,
        "news.letter": State.SUPPRESSED,
        "legal.notice": State.SUPPRESSED,
        # Account security mail goes whatever the preferences say.
        "account.verify": State.SENT,
    }
    assert [m["Subject"] for m in smtp_server.messages] == ["account.verify"]


def test_a_choice_made_after_queueing_still_stops_the_mail(smtp_server) -> None:
    customer = CustomerFactory()
    message = services.queue_message(
        to=customer.email, kind="marketing", subject="Sale", text_body="x"
    )
    set_preferences(user=customer, choices={Category.MARKETING: False}, method="form")

    deliver_message.call(message.pk)

    message.refresh_from_db()
    assert message.state == State.SUPPRESSED
    assert smtp_server.messages == []


def test_marketing_to_an_address_without_an_account_is_suppressed(smtp_server) -> None:
    message = services.queue_message(
        to="stranger@example.com", kind="marketing", subject="Sale", text_body="x"
    )

    assert message.state == State.SUPPRESSED
    assert message.headers == {}


def test_a_passing_smtp_failure_is_retried_with_backoff_then_fails(smtp_server) -> None:
    smtp_server.refuse("451 4.3.0 Try again later")
    message = OutboxMessageFactory()
    now = timezone.now()

    attempt_delivery(message_id=message.pk, now=now)

    message.refresh_from_db()
    assert message.state == State.QUEUED
    assert message.attempts == 1
    assert "451" in message.last_error
    assert "Try again later" in message.last_error
    assert message.next_attempt_at == now + timedelta(minutes=1)

    for _ in range(MAX_ATTEMPTS - 1):
        attempt_delivery(message_id=message.pk, now=now)
    message.refresh_from_db()
    assert message.state == State.FAILED
    assert message.attempts == MAX_ATTEMPTS
    assert message.next_attempt_at is None
    assert smtp_server.messages == []


def test_a_permanent_smtp_refusal_fails_at_once(smtp_server) -> None:
    smtp_server.refuse("550 5.1.1 No such mailbox")
    message = OutboxMessageFactory()

    attempt_delivery(message_id=message.pk)

    message.refresh_from_db()
    assert message.state == State.FAILED
    assert message.attempts == 1
    assert message.last_error == "SMTPDataError: (550, b'5.1.1 No such mailbox')"


def test_an_unreachable_server_leaves_the_error_on_the_message(settings) -> None:
    settings.BUNGU_SMTP_HOST = "127.0.0.1"
    settings.BUNGU_SMTP_PORT = free_port()  # nothing listens there
    message = OutboxMessageFactory()

    attempt_delivery(message_id=message.pk)

    message.refresh_from_db()
    assert message.state == State.QUEUED
    assert message.attempts == 1
    assert message.last_error.startswith("ConnectionRefusedError:")


def test_a_message_already_sent_is_not_sent_twice(smtp_server) -> None:
    message = OutboxMessageFactory(state=State.SENT, sent_at=timezone.now(), attempts=1)

    assert deliver_message.call(message.pk) == "skipped"
    assert smtp_server.messages == []


# The worker closes connections it finds inside a transaction (close_old_connections), which on
# PostgreSQL would end the test's own wrapping transaction: this test commits for real.
@pytest.mark.django_db(transaction=True)
def test_the_database_worker_delivers_and_schedules_retries(
    smtp_server, settings, django_capture_on_commit_callbacks
) -> None:
    settings.TASKS = DATABASE_TASKS
    with django_capture_on_commit_callbacks(execute=True):
        first = services.queue_message(
            to="a@example.com", kind="order.shipped", subject="1", text_body="x"
        )
    assert DBTaskResult.objects.count() == 1

    run_worker()

    first.refresh_from_db()
    assert first.state == State.SENT
    assert [m["Subject"] for m in smtp_server.messages] == ["1"]

    smtp_server.refuse("421 4.7.0 Busy")
    with django_capture_on_commit_callbacks(execute=True):
        second = services.queue_message(
            to="b@example.com", kind="transactional", subject="2", text_body="x"
        )
    run_worker()

    second.refresh_from_db()
    assert second.state == State.QUEUED
    assert second.attempts == 1
    retry = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert retry.run_after == second.next_attempt_at
    assert retry.status == "READY"
    # The retry waits for its time: a worker run now leaves it alone.
    run_worker()
    second.refresh_from_db()
    assert second.attempts == 1


def test_the_admin_retry_sends_a_failed_message_again(
    smtp_server, admin_client, django_capture_on_commit_callbacks
) -> None:
    failed = OutboxMessageFactory(state=State.FAILED, attempts=MAX_ATTEMPTS, last_error="boom")
    sent = OutboxMessageFactory(state=State.SENT, sent_at=timezone.now(), attempts=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/mail/outboxmessage/",
            {"action": "retry", "_selected_action": [failed.pk, sent.pk]},
        )

    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.state == State.SENT
    assert failed.attempts == MAX_ATTEMPTS + 1
    assert [m["Message-ID"] for m in smtp_server.messages] == [failed.message_id]


def test_queued_mail_goes_out_once_smtp_is_configured(
    settings, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        waiting = services.queue_message(
            to="a@example.com", kind="transactional", subject="W", text_body="x"
        )
    assert services.deliver_due_messages() == 0  # still no SMTP

    settings.TASKS = DATABASE_TASKS
    settings.BUNGU_SMTP_HOST = "127.0.0.1"
    assert services.deliver_due_messages() == 1
    assert DBTaskResult.objects.get().args_kwargs == {
        "args": [],
        "kwargs": {"message_id": waiting.pk},
    }
