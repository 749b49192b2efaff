"""The mail app's reads for many customers at once (a campaign's batch)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bungu.mail import services
from bungu.mail.kinds import Category
from bungu.mail.models import SuppressionKind
from bungu.mail.preferences import get_preferences, get_preferences_many, set_preferences
from tests.accounts.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_p21_preferences_of_many_customers_in_one_query() -> None:
    stopped, never_chose = CustomerFactory.create_batch(2)
    set_preferences(user=stopped, choices={Category.MARKETING: False}, method="form")

    with CaptureQueriesContext(connection) as queries:
        found = get_preferences_many(user_ids=[stopped.pk, never_chose.pk])

    assert len(queries) == 1
    assert not found[stopped.pk].allows(Category.MARKETING)
    assert found[never_chose.pk].allows(Category.MARKETING)
    assert found[never_chose.pk].pk is None
    assert found[stopped.pk] == get_preferences(user=stopped)


def test_suppressed_among_matches_any_letter_case_in_one_query() -> None:
    services.suppress_address(
        address="hard@example.com", kind=SuppressionKind.BOUNCE, source="agent:mail_delivery"
    )

    with CaptureQueriesContext(connection) as queries:
        found = services.suppressed_among(["Hard@Example.com", "fine@example.com"])

    assert len(queries) == 1
    assert found == {"Hard@Example.com"}
    assert services.suppressed_among([]) == set()
