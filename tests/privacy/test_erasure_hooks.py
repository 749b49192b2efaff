"""P22: what apps declare must happen when their rows are erased (``ERASURE``), and the
replay of the erasure journal after a backup restore, which must leave exactly what the
erasure left: the review gone, the product's rating summary computed without it, the
session ended."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core import serializers
from django.test import Client
from django.utils import timezone

from bungu import privacy
from bungu.catalog.models import Product
from bungu.privacy import DataMap, ErasedBy, checks as privacy_checks, data_map
from bungu.privacy.rights.deletion import request_account_deletion, run_due_deletions
from bungu.privacy.rights.erasure import erasure_hook_problems
from bungu.reviews.models import Review
from tests.accounts.factories import CustomerFactory
from tests.reviews.factories import approved_review

pytestmark = pytest.mark.django_db

# Kept apart from backups: the journal is what a restore is replayed from. The catalogue
# generation only names cached pages; any change of it is as good as another.
NOT_IN_BACKUP = {"privacy.ErasureJournalEntry", "catalog.CatalogState"}

Snapshot = dict[str, dict[Any, dict[str, Any]]]


def _snapshot() -> Snapshot:
    """Every row of the database, by model and primary key, as Django serialises it: the
    same on SQLite and PostgreSQL."""
    rows: Snapshot = {}
    for model in apps.get_models():
        label = model._meta.label
        if label in NOT_IN_BACKUP:
            continue
        rows[label] = {
            item["pk"]: item["fields"]
            for item in serializers.serialize("python", model._base_manager.order_by("pk"))
        }
    return rows


def _restore(backup: Snapshot) -> int:
    """Bring back every row of the backup as it was (rows written since stay); returns how
    many rows were put back."""
    restored = 0
    current = _snapshot()
    for label, rows in backup.items():
        for pk, fields in rows.items():
            if current[label].get(pk) == fields:
                continue
            item = {"model": label, "pk": pk, "fields": fields}
            [row] = serializers.deserialize("python", [item])
            row.save()
            restored += 1
    return restored


def _summary(product_id: int) -> tuple[int, Decimal | None]:
    product = Product.objects.get(pk=product_id)
    return product.rating_count, product.rating_average


def test_p22_a_replay_after_a_restore_leaves_exactly_what_the_erasure_left(
    settings: Any,
) -> None:
    settings.EMAIL_BACKEND = "bungu.mail.backends.OutboxBackend"
    leaving, staying = CustomerFactory(email="leaving@example.com"), CustomerFactory()
    mine = approved_review(author=leaving, rating=1, body="As a left-handed teacher...")
    approved_review(author=staying, product=mine.product, rating=5)
    browser = Client()
    browser.force_login(leaving)
    assert browser.get("/account/").status_code == 200  # a signed-in session, recorded
    session = Session.objects.get(session_key=browser.session.session_key)
    assert _summary(mine.product_id) == (2, Decimal("3.00"))
    backup = _snapshot()

    request_account_deletion(subject=leaving)
    assert run_due_deletions(now=timezone.now() + datetime.timedelta(days=15)) == 1
    erased = _snapshot()
    assert not Review.objects.filter(pk=mine.pk).exists()
    assert _summary(mine.product_id) == (1, Decimal("5.00"))
    assert not Session.objects.filter(pk=session.pk).exists()

    # The restore brings the customer, the review, the old summary and the session back.
    assert _restore(backup) > 0
    assert Review.objects.filter(pk=mine.pk).exists()
    assert _summary(mine.product_id) == (2, Decimal("3.00"))
    assert Session.objects.filter(pk=session.pk).exists()

    assert privacy.replay_erasures() > 0

    assert _snapshot() == erased
    assert _summary(mine.product_id) == (1, Decimal("5.00"))
    # The restored session was ended again: the browser holding it is signed out.
    assert browser.get("/account/").status_code == 302
    # And once more changes nothing.
    assert privacy.replay_erasures() == 0
    assert _snapshot() == erased


def test_p22_a_restore_without_the_hooks_would_leave_a_stale_summary(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Positive control: without the reviews' ERASURE hook, the replay deletes the restored
    review but leaves the restored summary, which the comparison above would catch."""
    leaving = CustomerFactory()
    mine = approved_review(author=leaving, rating=1)
    approved_review(product=mine.product, rating=5)
    backup = _snapshot()
    privacy.erase_subject(subject=leaving, actor="job:test")
    _restore(backup)
    without = data_map.copy()
    without.declare_erasure("reviews.Review", None)
    monkeypatch.setattr("bungu.privacy.rights.erasure.data_map", without)

    privacy.replay_erasures()

    assert not Review.objects.filter(pk=mine.pk).exists()
    assert _summary(mine.product_id) == (2, Decimal("3.00"))


# ---------------------------------------------------------------- privacy.E005
@pytest.fixture
def planted(monkeypatch: pytest.MonkeyPatch) -> DataMap:
    copy = data_map.copy()
    monkeypatch.setattr(privacy_checks, "data_map", copy)
    return copy


def test_p22_every_declared_erasure_hook_can_do_its_work() -> None:
    assert erasure_hook_problems(data_map) == []
    assert set(data_map.erasure_hooks()) == {"reviews.Review", "usersessions.UserSession"}


def test_p22_a_hook_that_cannot_be_imported_fails_the_check(planted: DataMap) -> None:
    planted.declare_erasure("reviews.Review", ErasedBy("bungu.reviews.services.no_such_hook"))

    [error] = privacy_checks.check_data_map()

    assert error.id == "privacy.E005"
    assert error.msg == (
        "reviews.Review is erased by bungu.reviews.services.no_such_hook, which cannot be imported."
    )


def test_p22_a_hook_on_a_model_whose_rows_stay_fails_the_check(planted: DataMap) -> None:
    # The account row is anonymised, never deleted: no app may take its erasure over.
    planted.declare_erasure("accounts.User", ErasedBy("bungu.reviews.services.erase_reviews"))

    [error] = privacy_checks.check_data_map()

    assert error.id == "privacy.E005"
    assert "accounts.User is erased by" in error.msg
    assert "not every personal field of it is declared Erase.DELETE" in error.msg
