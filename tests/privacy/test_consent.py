"""The consent ledger and the rule of P25 (design.md's worked example)."""

import datetime

import pytest

from bungu.privacy import (
    AppendOnlyViolation,
    ConsentMethod,
    UnknownPractice,
    may_use,
    record_consent,
    withdraw_consent,
)
from bungu.privacy.models import ConsentEvent, Notice
from tests.accounts.factories import CustomerFactory

from .factories import (
    AFFILIATE_KEY,
    AFFILIATE_RECOMMENDATIONS,
    V1_PRACTICES,
    at,
    scenario_notice,
)

pytestmark = pytest.mark.django_db

ORDERS = "user.behavior.purchase_history"
RECOMMENDATIONS = "personalize.recommendations"


def publish(version: int, year: int, practices: str) -> Notice:
    return scenario_notice(
        version=version,
        effective=datetime.date(year, 1, 1),
        text=f"v{version}",
        practices=practices,
    )


@pytest.fixture
def v2() -> Notice:
    """v1 shares nothing with affiliates; v2 (2027) adds recommendations by an affiliate."""
    return publish(2, 2027, V1_PRACTICES + AFFILIATE_RECOMMENDATIONS)


def to_affiliate(customer: object, *, collected: datetime.datetime, now: datetime.datetime) -> bool:
    return may_use(
        subject=customer,
        data_category=ORDERS,
        purpose=RECOMMENDATIONS,
        recipient="affiliate",
        collected_at=collected,
        now=now,
    ).allowed


# ---------------------------------------------------------------- the ledger
def test_a_consent_is_recorded_with_who_what_when_how_and_where() -> None:
    customer = CustomerFactory()

    event = record_consent(
        subject=customer, method=ConsentMethod.FORM, page="/account/privacy/", at=at(2026, 12, 1)
    )

    assert (event.subject, event.kind, event.notice.version, event.practice) == (
        customer,
        "given",
        1,
        "",
    )
    assert (event.method, event.page, event.at) == ("form", "/account/privacy/", at(2026, 12, 1))


def test_p24_the_ledger_refuses_changes_and_deletions() -> None:
    event = record_consent(subject=CustomerFactory(), method="page")

    event.kind = "withdrawn"
    with pytest.raises(AppendOnlyViolation, match=r"never changed"):
        event.save()
    with pytest.raises(AppendOnlyViolation, match=r"never deleted"):
        event.delete()
    with pytest.raises(AppendOnlyViolation, match=r"never changed"):
        ConsentEvent.objects.update(kind="withdrawn")
    with pytest.raises(AppendOnlyViolation, match=r"never deleted"):
        ConsentEvent.objects.all().delete()
    assert list(ConsentEvent.objects.values_list("kind", flat=True)) == ["given"]


def test_a_consent_to_a_practice_the_notice_lacks_is_refused() -> None:
    with pytest.raises(
        UnknownPractice, match=r"v1 has no practice 'personalize.recommendations@affiliate'"
    ):
        record_consent(subject=CustomerFactory(), method="form", practice=AFFILIATE_KEY)
    assert ConsentEvent.objects.count() == 0


# ---------------------------------------------------------------- the worked example
def test_p25_data_collected_under_v1_is_not_shared_under_v2_without_consent(v2: Notice) -> None:
    customer = CustomerFactory()

    assert not to_affiliate(customer, collected=at(2026, 12, 1), now=at(2027, 6, 1))
    decision = may_use(
        subject=customer,
        data_category=ORDERS,
        purpose=RECOMMENDATIONS,
        recipient="affiliate",
        collected_at=at(2026, 12, 1),
        now=at(2027, 6, 1),
    )
    assert decision.reason == (
        "The data was collected under v1, which did not allow this, and the customer has not "
        "consented to a later notice that does."
    )


def test_p25_consenting_to_v2_makes_older_data_usable(v2: Notice) -> None:
    customer = CustomerFactory()
    record_consent(subject=customer, method="page", at=at(2027, 2, 1))

    decision = may_use(
        subject=customer,
        data_category=ORDERS,
        purpose=RECOMMENDATIONS,
        recipient="affiliate",
        collected_at=at(2026, 12, 1),
        now=at(2027, 6, 1),
    )
    assert decision.allowed
    assert (decision.practice, decision.basis_version) == (AFFILIATE_KEY, 2)
    # Not before the consent was given.
    assert not to_affiliate(customer, collected=at(2026, 12, 1), now=at(2027, 1, 15))


def test_p25_consenting_to_the_practice_alone_is_enough(v2: Notice) -> None:
    customer = CustomerFactory()
    record_consent(subject=customer, method="form", practice=AFFILIATE_KEY, at=at(2027, 2, 1))

    assert to_affiliate(customer, collected=at(2026, 12, 1), now=at(2027, 6, 1))


def test_p25_withdrawing_the_consent_to_v2_puts_older_data_back_under_v1(v2: Notice) -> None:
    customer = CustomerFactory()
    record_consent(subject=customer, method="page", at=at(2027, 2, 1))
    withdraw_consent(subject=customer, method="page", notice_version=2, at=at(2027, 3, 1))

    assert not to_affiliate(customer, collected=at(2026, 12, 1), now=at(2027, 6, 1))


def test_p25_data_collected_under_v2_is_usable_unless_its_owner_opted_out(v2: Notice) -> None:
    stays, leaves = CustomerFactory(), CustomerFactory()
    withdraw_consent(subject=leaves, method="gpc", practice=AFFILIATE_KEY, at=at(2027, 4, 1))

    assert to_affiliate(stays, collected=at(2027, 3, 1), now=at(2027, 6, 1))
    assert not to_affiliate(leaves, collected=at(2027, 3, 1), now=at(2027, 6, 1))
    # Before the opt-out the use was allowed: the ledger is read as of the moment asked.
    assert to_affiliate(leaves, collected=at(2027, 3, 1), now=at(2027, 3, 15))


def test_p25_when_v3_drops_the_practice_neither_old_nor_new_data_may_go(v2: Notice) -> None:
    customer = CustomerFactory()
    record_consent(subject=customer, method="page", at=at(2027, 2, 1))
    publish(3, 2028, V1_PRACTICES)

    assert not to_affiliate(customer, collected=at(2026, 12, 1), now=at(2028, 6, 1))
    assert not to_affiliate(customer, collected=at(2027, 3, 1), now=at(2028, 6, 1))
    decision = may_use(
        subject=customer,
        data_category=ORDERS,
        purpose=RECOMMENDATIONS,
        recipient="affiliate",
        collected_at=at(2027, 3, 1),
        now=at(2028, 6, 1),
    )
    assert decision.reason == "The notice in force (v3) does not allow this."


# ---------------------------------------------------------------- choices and retention
def test_p21_an_opt_out_of_marketing_e_mail_is_honoured() -> None:
    customer = CustomerFactory()
    key = "marketing.communications.email@shop"

    def allowed() -> bool:
        return may_use(
            subject=customer,
            data_category="user.contact.email",
            purpose="marketing.communications.email",
            recipient="shop",
            collected_at=at(2026, 11, 2),
            now=at(2026, 11, 20),
        ).allowed

    assert allowed()
    withdraw_consent(subject=customer, method="email", practice=key, at=at(2026, 11, 10))
    assert not allowed()
    record_consent(subject=customer, method="form", practice=key, at=at(2026, 11, 15))
    assert allowed()


def test_p25_an_opt_in_practice_needs_a_consent_to_that_practice() -> None:
    opt_in = AFFILIATE_RECOMMENDATIONS.replace('"opt-out"', '"opt-in"')
    publish(2, 2027, V1_PRACTICES + opt_in)
    customer = CustomerFactory()
    record_consent(
        subject=customer, method="page", at=at(2027, 2, 1)
    )  # the notice, not the practice

    assert not to_affiliate(customer, collected=at(2027, 3, 1), now=at(2027, 6, 1))
    record_consent(subject=customer, method="form", practice=AFFILIATE_KEY, at=at(2027, 4, 1))
    assert to_affiliate(customer, collected=at(2027, 3, 1), now=at(2027, 6, 1))


def test_p25_a_weakened_choice_does_not_reach_back_to_older_data() -> None:
    publish(2, 2027, V1_PRACTICES + AFFILIATE_RECOMMENDATIONS.replace('"opt-out"', '"opt-in"'))
    publish(3, 2028, V1_PRACTICES + AFFILIATE_RECOMMENDATIONS)
    customer = CustomerFactory()

    # Collected under v2 (opt-in): v3's weaker opt-out does not apply without consent.
    assert not to_affiliate(customer, collected=at(2027, 3, 1), now=at(2028, 6, 1))
    assert to_affiliate(customer, collected=at(2028, 3, 1), now=at(2028, 6, 1))


def test_p5_a_use_ends_when_its_retention_period_has_passed() -> None:
    customer = CustomerFactory()

    def search_agent_may_use(now: datetime.datetime) -> str:
        return may_use(
            subject=customer,
            data_category="user.behavior.search_history",
            purpose="essential.service.search",
            recipient="agent:search",
            collected_at=at(2026, 11, 2),
            now=now,
        ).reason

    assert search_agent_may_use(at(2026, 11, 30)).startswith("Allowed by v1")
    assert search_agent_may_use(at(2026, 12, 3)) == "The 30 days this use may last have passed."


def test_unknown_terms_and_future_collection_are_programming_errors() -> None:
    customer = CustomerFactory()
    arguments = {
        "subject": customer,
        "data_category": ORDERS,
        "purpose": RECOMMENDATIONS,
        "recipient": "shop",
        "collected_at": at(2026, 11, 2),
        "now": at(2026, 11, 3),
    }

    with pytest.raises(ValueError, match=r"is not a valid DataCategory"):
        may_use(**{**arguments, "data_category": "user.shoe_size"})
    with pytest.raises(ValueError, match=r"unknown recipient 'broker'"):
        may_use(**{**arguments, "recipient": "broker"})
    with pytest.raises(ValueError, match=r"collected_at is later than now"):
        may_use(**{**arguments, "collected_at": at(2026, 11, 4)})
