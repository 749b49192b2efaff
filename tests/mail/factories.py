"""factory_boy factories for the mail tests."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from bungu.mail.models import OutboxMessage, State


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()

    email = factory.Sequence(lambda n: f"reader{n}@example.com")
    name = factory.Sequence(lambda n: f"Reader {n}")
    # Unusable: tests sign in with force_login, and hashing a password is slow.
    password = "!"


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
