"""P5: what the data map says about retention is what the shop does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from bungu.accounts.models import PriorVersion
from bungu.cart.models import Cart
from bungu.privacy import (
    Clock,
    DataMap,
    PurgedBy,
    checks as privacy_checks,
    data_map,
    enforce_retention,
)
from bungu.privacy.models import AccessLogEntry
from bungu.privacy.rights.retention import retention_problems
from tests.accounts.factories import CustomerFactory
from tests.cart.factories import anonymous_cart

pytestmark = pytest.mark.django_db

NOW = timezone.now()
LONG_AGO = NOW - timedelta(days=731)  # past the two years declared for these records
LATELY = NOW - timedelta(days=729)


@pytest.fixture
def gap(monkeypatch: pytest.MonkeyPatch) -> DataMap:
    copy = data_map.copy()
    monkeypatch.setattr(privacy_checks, "data_map", copy)
    return copy


def test_p5_every_declared_retention_can_be_enforced() -> None:
    assert retention_problems(data_map) == []


def test_p5_a_retention_with_no_clock_fails_the_check(gap: DataMap) -> None:
    gap.declare_retention("accounts.PriorVersion", None)

    errors = privacy_checks.check_data_map()

    assert {e.id for e in errors} == {"privacy.E004"}
    assert (
        "accounts.PriorVersion.snapshot is kept for 730 days, but nothing says how old it is."
        in [e.msg for e in errors]
    )
    with pytest.raises(ImproperlyConfigured):
        enforce_retention(datamap=gap)


def test_p5_a_clock_that_is_not_a_date_fails_the_check(gap: DataMap) -> None:
    gap.declare_retention("accounts.PriorVersion", Clock("kind"))

    [error] = privacy_checks.check_data_map()

    assert error.id == "privacy.E004"
    assert error.msg == (
        "accounts.PriorVersion: its retention clock 'kind' is not a date field of the model."
    )


def test_p5_a_purge_that_cannot_be_imported_fails_the_check(gap: DataMap) -> None:
    gap.declare_retention("cart.CartLine", PurgedBy("bungu.cart.services.no_such_purge"))

    [error] = privacy_checks.check_data_map()

    assert error.id == "privacy.E004"
    assert "bungu.cart.services.no_such_purge" in error.msg


def _prior_version(changed_at: object) -> PriorVersion:
    return PriorVersion.objects.create(
        customer=CustomerFactory(),
        kind=PriorVersion.Kind.PROFILE,
        change=PriorVersion.Change.CHANGED,
        snapshot={"phone": "+81 3 1234 5678"},
        changed_at=changed_at,
    )


def test_p5_rows_older_than_their_retention_are_deleted_and_younger_ones_kept() -> None:
    old = _prior_version(LONG_AGO)
    recent = _prior_version(LATELY)

    done = enforce_retention(now=NOW)

    assert list(PriorVersion.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not PriorVersion.objects.filter(pk=old.pk).exists()
    assert "accounts.PriorVersion: deleted: 1" in [str(item) for item in done]


def test_p5_a_field_that_is_its_own_clock_is_emptied_when_too_old() -> None:
    dormant = CustomerFactory(last_login=LONG_AGO)
    active = CustomerFactory(last_login=LATELY)

    enforce_retention(now=NOW)

    dormant.refresh_from_db()
    active.refresh_from_db()
    assert dormant.last_login is None
    assert active.last_login == LATELY
    # Only the expired field: the account itself stays.
    assert dormant.email.endswith("@example.com")


def _access_log_entry(at: object) -> AccessLogEntry:
    return AccessLogEntry.objects.create(
        subject=CustomerFactory(),
        actor_label="Customer service",
        purpose="customer_service",
        fields=["accounts.User.email"],
        granted=True,
        at=at,
    )


def test_p5_an_append_only_ledger_loses_its_expired_rows() -> None:
    old = _access_log_entry(LONG_AGO)
    recent = _access_log_entry(LATELY)

    enforce_retention(now=NOW)

    assert list(AccessLogEntry.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk not in AccessLogEntry.objects.values_list("pk", flat=True)


def _log_entry(action_time: object, customer_email: str) -> LogEntry:
    customer = CustomerFactory(email=customer_email)
    return LogEntry.objects.create(
        user=CustomerFactory(is_staff=True),
        content_type=ContentType.objects.get_for_model(customer),
        object_id=str(customer.pk),
        object_repr=customer_email,
        action_flag=CHANGE,
        change_message=f"Changed e-mail to {customer_email}",
        action_time=action_time,
    )


def test_p5_anonymised_fields_keep_their_row_without_the_person() -> None:
    old = _log_entry(LONG_AGO, "hana@example.com")
    recent = _log_entry(LATELY, "kenji@example.com")

    enforce_retention(now=NOW)

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.object_repr, old.change_message) == ("[erased]", "")
    assert old.action_flag == CHANGE
    assert recent.object_repr == "kenji@example.com"


def test_p5_app_purges_declared_in_the_map_are_run() -> None:
    cart, _ = anonymous_cart()
    Cart.objects.filter(pk=cart.pk).update(updated_at=NOW - timedelta(days=400))

    done = enforce_retention(now=NOW)

    assert not Cart.objects.filter(pk=cart.pk).exists()
    assert "cart.Cart, cart.CartLine: purged by bungu.cart.services.purge_expired_carts: 1" in [
        str(item) for item in done
    ]


def test_running_again_finds_nothing_more_to_do() -> None:
    _prior_version(LONG_AGO)
    CustomerFactory(last_login=LONG_AGO)
    _log_entry(LONG_AGO, "hana@example.com")
    enforce_retention(now=NOW)

    again = enforce_retention(now=NOW)

    assert [item.count for item in again] == [0] * len(again)
