"""The outbox in the back office, the shop's own mails, retention (P5) and the data map."""

import re
from datetime import timedelta
from email.utils import make_msgid

import pytest
from django.template import TemplateDoesNotExist
from django.utils import timezone

from bungu.mail import services
from bungu.mail.exceptions import InvalidAddress, UnknownMailKind
from bungu.mail.models import OUTBOX_RETENTION_DAYS, MailPreferences, OutboxMessage, State
from bungu.privacy import data_map
from bungu.privacy.checks import checked_fields
from bungu.privacy.models import AccessLogEntry
from tests.accounts.factories import CustomerFactory
from tests.pan_scan import find_pans

from .factories import OutboxMessageFactory

pytestmark = pytest.mark.django_db


def test_staff_see_the_outbox_filtered_by_state_and_kind_through_the_gate(
    admin_client, django_assert_max_num_queries
) -> None:
    customer = CustomerFactory()
    OutboxMessageFactory(recipient=customer, subject="Queued one")
    OutboxMessageFactory(
        recipient=customer, subject="Failed one", state=State.FAILED, last_error="451 later"
    )
    for n in range(5):
        OutboxMessageFactory(
            recipient=customer, subject=f"Sent {n}", state=State.SENT, sent_at=timezone.now()
        )
    logged = AccessLogEntry.objects.count()

    # Sign-in bookkeeping, the admin's counts, date and kind filters and one read through the
    # privacy gate per customer on the page: none of it per row.
    with django_assert_max_num_queries(24):
        response = admin_client.get("/admin/mail/outboxmessage/?state__exact=failed")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Failed one" in html
    assert "Queued one" not in html
    # P13: the values came through the gate, which logged the read.
    entry = AccessLogEntry.objects.order_by("-pk").first()
    assert AccessLogEntry.objects.count() == logged + 1
    assert entry is not None
    assert entry.subject_id == customer.pk
    assert admin_client.get("/admin/mail/outboxmessage/add/").status_code == 403


def test_a_message_to_no_account_shows_no_personal_value(admin_client) -> None:
    message = OutboxMessageFactory(to_address="guest-zq@example.com", subject="Zq subject")

    page = admin_client.get(f"/admin/mail/outboxmessage/{message.pk}/change/").content.decode()

    assert "guest-zq@example.com" not in page
    assert "Zq subject" not in page


def test_the_detail_shows_the_html_body_as_escaped_text(admin_client) -> None:
    message = OutboxMessageFactory(
        recipient=CustomerFactory(),
        html_body='<p onclick="x()">Hi</p><script>alert(1)</script>',
    )

    response = admin_client.get(f"/admin/mail/outboxmessage/{message.pk}/change/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html


def test_customers_cannot_see_the_outbox(client) -> None:
    client.force_login(CustomerFactory())
    response = client.get("/admin/mail/outboxmessage/")
    assert response.status_code == 302


def test_send_mail_to_renders_text_and_html_with_a_footer(mail_templates) -> None:
    customer = CustomerFactory(name="Ann <3")

    message = services.send_mail_to(
        user=customer,
        kind="news.spring",
        subject="Spring\n news",
        template="mail_tests/hello",
        context={"name": customer.name},
    )

    assert message.to_address == customer.email
    assert message.subject == "Spring news"  # no header injection through line breaks
    assert message.text_body.startswith("Hello Ann <3,\nPens & Ink are back.")
    assert "Hello Ann &lt;3," in message.html_body
    link = message.headers["List-Unsubscribe"].strip("<>")
    assert f"Stop these e-mails: {link}" in message.text_body
    assert "Your e-mail choices: http://127.0.0.1:8000/mail/preferences/" in message.text_body


def test_send_mail_to_bad_input_is_refused_and_nothing_is_stored(mail_templates) -> None:
    with pytest.raises(ValueError, match="needs a user or an address"):
        services.send_mail_to(kind="transactional", subject="x", template="mail_tests/hello")
    with pytest.raises(InvalidAddress):
        services.send_mail_to(
            address="not an address", kind="transactional", subject="x", template="mail_tests/hello"
        )
    with pytest.raises(UnknownMailKind):
        services.send_mail_to(
            address="a@example.com", kind="Spam!", subject="x", template="mail_tests/hello"
        )
    with pytest.raises(TemplateDoesNotExist):
        services.send_mail_to(
            address="a@example.com", kind="transactional", subject="x", template="mail_tests/none"
        )
    assert OutboxMessage.objects.count() == 0


def test_p5_the_outbox_forgets_messages_done_with_a_year_ago() -> None:
    old = timezone.now() - timedelta(days=OUTBOX_RETENTION_DAYS + 1)
    expired = OutboxMessageFactory(state=State.SENT, sent_at=old, created_at=old)
    waiting = OutboxMessageFactory(state=State.QUEUED, created_at=old)
    recent = OutboxMessageFactory(state=State.SUPPRESSED)

    assert services.prune_outbox() == 1

    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {waiting.pk, recent.pk}
    assert not OutboxMessage.objects.filter(pk=expired.pk).exists()


@pytest.mark.parametrize("model", [OutboxMessage, MailPreferences])
def test_every_field_is_in_the_data_map(model) -> None:
    labels = [f"{model._meta.label}.{field.name}" for field in checked_fields(model)]
    assert [label for label in labels if not data_map.is_declared(label)] == []
    # The positive control: a field the map does not know is caught.
    assert not data_map.is_declared(f"{model._meta.label}.no_such_field")


def test_p2_message_ids_carry_no_long_run_of_digits_a_card_scan_would_flag() -> None:
    ids = [services.new_message_id(domain="bungu.test") for _ in range(2000)]

    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"<[a-z2-7]{32}@bungu\.test>", value) for value in ids)
    assert find_pans("\n".join(ids)) == []
    # Positive control: the standard library's ids end in a 19-digit number, which the scan
    # flags whenever it passes the Luhn check (about one in ten).
    stdlib = [make_msgid(domain="bungu.test") for _ in range(200)]
    assert find_pans("\n".join(stdlib)) != []
