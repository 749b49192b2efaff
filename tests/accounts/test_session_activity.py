"""P3: the signed-in session's record follows its address and browser, without a database
write on every page view."""

from __future__ import annotations

import pytest
from allauth.usersessions.models import UserSession
from django.core.cache import cache
from django.test import Client

from tests.accounts.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_session_is_recorded_at_once_then_written_again_only_when_it_changes():
    client = Client(HTTP_USER_AGENT="Firefox")
    client.force_login(CustomerFactory())

    client.get("/account/")
    record = UserSession.objects.get()
    first_seen = record.last_seen_at
    client.get("/account/")
    assert UserSession.objects.get().last_seen_at == first_seen

    client.get("/account/", HTTP_USER_AGENT="Safari")

    changed = UserSession.objects.get()
    assert changed.user_agent == "Safari"
    assert changed.last_seen_at > first_seen


def test_after_the_minute_the_last_seen_time_moves_on():
    client = Client()
    client.force_login(CustomerFactory())
    client.get("/account/")
    first_seen = UserSession.objects.get().last_seen_at

    # The minute is over: what the cache remembered has expired.
    cache.clear()
    client.get("/account/")

    assert UserSession.objects.get().last_seen_at > first_seen
