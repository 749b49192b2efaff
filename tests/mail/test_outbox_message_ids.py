"""A sender's own Message-ID kept by the outbox: a campaign's messages left in the outbox are
found by it, so a partner offer's report counts their opens (P7, P14), and queuing the same
message again after a crash adds no second copy."""

from __future__ import annotations

import pytest

from bungu.mail import services
from bungu.mail.models import OutboxMessage
from tests.accounts.factories import CustomerFactory

pytestmark = pytest.mark.django_db

OWN = "<campaign7.recipient9.bungu@bungu.test>"


def _queue(customer, **extra):  # type: ignore[no-untyped-def]
    return services.queue_message(
        to=customer.email,
        kind="partner.offer",
        subject="An offer",
        text_body="Hello",
        user=customer,
        **extra,
    )


def test_the_senders_message_id_is_kept_and_queuing_it_again_adds_nothing() -> None:
    customer = CustomerFactory()

    first = _queue(customer, message_id=OWN)
    again = _queue(customer, message_id=OWN)

    assert first.message_id == OWN
    assert again.pk == first.pk
    assert list(OutboxMessage.objects.values_list("message_id", flat=True)) == [OWN]


def test_without_one_each_message_gets_a_new_message_id() -> None:
    customer = CustomerFactory()

    first, second = _queue(customer), _queue(customer)

    assert first.message_id != second.message_id
    assert OutboxMessage.objects.count() == 2
