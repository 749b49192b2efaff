"""P25 and P17 for many customers at once (a campaign's batch): the same answers as one by
one, with a number of queries that does not grow with the number of customers."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bungu.privacy import (
    find_gpc_signal,
    find_gpc_signals,
    may_use,
    may_use_many,
    record_consent,
    record_gpc_signal,
    withdraw_consent,
)
from bungu.privacy.models import Notice
from tests.accounts.factories import CustomerFactory

from .factories import AFFILIATE_KEY, AFFILIATE_RECOMMENDATIONS, V1_PRACTICES, at, scenario_notice

pytestmark = pytest.mark.django_db

ORDERS = "user.behavior.purchase_history"
RECOMMENDATIONS = "personalize.recommendations"


@pytest.fixture
def v2() -> Notice:
    return scenario_notice(
        version=2,
        effective=datetime.date(2027, 1, 1),
        text="v2",
        practices=V1_PRACTICES + AFFILIATE_RECOMMENDATIONS,
    )


def _customers(v2: Notice) -> dict[str, object]:
    consented, practice_only, opted_out, plain = CustomerFactory.create_batch(4)
    record_consent(subject=consented, method="page", at=at(2027, 2, 1))
    record_consent(subject=practice_only, method="page", practice=AFFILIATE_KEY, at=at(2027, 2, 1))
    record_consent(subject=opted_out, method="page", at=at(2027, 2, 1))
    withdraw_consent(subject=opted_out, method="page", practice=AFFILIATE_KEY, at=at(2027, 3, 1))
    return {
        "consented": consented,
        "practice_only": practice_only,
        "opted_out": opted_out,
        "plain": plain,
    }


def test_p25_may_use_many_answers_as_may_use_does_for_each(v2: Notice) -> None:
    customers = _customers(v2)
    collected = {c.pk: at(2026, 12, 1) for c in customers.values()}
    terms = {"data_category": ORDERS, "purpose": RECOMMENDATIONS, "recipient": "affiliate"}

    many = may_use_many(collected_at=collected, now=at(2027, 6, 1), **terms)

    for customer in customers.values():
        one = may_use(subject=customer, collected_at=at(2026, 12, 1), now=at(2027, 6, 1), **terms)
        assert many[customer.pk] == one
    # A positive control: the four do not all get the same answer.
    assert [bool(many[c.pk]) for c in customers.values()] == [True, True, False, False]


def test_may_use_many_reads_twice_however_many_customers(v2: Notice) -> None:
    few = CustomerFactory.create_batch(2)
    more = CustomerFactory.create_batch(12)
    terms = {"data_category": ORDERS, "purpose": RECOMMENDATIONS, "recipient": "affiliate"}

    counts = []
    for group in (few, more):
        with CaptureQueriesContext(connection) as queries:
            may_use_many(
                subjects=group,
                collected_at={c.pk: at(2026, 12, 1) for c in group},
                now=at(2027, 6, 1),
                **terms,
            )
        counts.append(len(queries))
    assert counts == [2, 2]


def test_p17_find_gpc_signals_finds_each_customers_latest_signal_in_one_query() -> None:
    signalled, quiet = CustomerFactory.create_batch(2)
    record_gpc_signal(subject=signalled)

    with CaptureQueriesContext(connection) as queries:
        found = find_gpc_signals(subjects=[signalled, quiet.pk])

    assert len(queries) == 1
    assert set(found) == {signalled.pk}
    assert found[signalled.pk] == find_gpc_signal(subject=signalled)
    assert find_gpc_signals(subjects=[]) == {}
