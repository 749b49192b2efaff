"""factory_boy factories for the mail tests."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from bungu.mail.models import OutboxMessage, State


class OutboxMessageFactory(DjangoModelFactory):
    class Meta:
        model = OutboxMessage

    to_address = factory.Sequence(lambda n: f"someone{n}@example.com")
    kind = "transactional"
    from_address = "Bungu <shop@bungu.test>"
    subject = "Your order"
    text_body = "Thank you."
    message_id = factory.Sequence(lambda n: f"<{n}.test@bungu.test>")
    state = State.QUEUED
