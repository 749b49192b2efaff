"""P22: the erasure journal's copy outside the database, which a restore replays."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from bungu import privacy
from bungu.accounts.models import Address, User
from bungu.privacy.models import ErasureJournalEntry
from bungu.privacy.rights.journal_copy import (
    list_restores,
    read_journal_copy,
    write_journal_copy,
)
from tests.accounts.factories import AddressFactory, CustomerFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2027, 3, 1, 9, tzinfo=datetime.UTC)


def _copies() -> list[Path]:
    return sorted(privacy.journal_dir().glob("*-erasure.json"))


def test_p22_a_committed_erasure_is_copied_with_numbers_only(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    customer = CustomerFactory(email="copied@example.com", name="Hana Copied")
    AddressFactory(customer=customer, recipient="Hana Copied", line1="9 Copy Street")

    with django_capture_on_commit_callbacks(execute=True):
        entries = privacy.erase_subject(subject=customer, actor="staff:someone", now=NOW)

    [copy] = _copies()
    text = copy.read_text()
    for value in ["copied@example.com", "Hana Copied", "9 Copy Street", "staff:someone"]:
        assert value not in text
    document = json.loads(text)
    assert {tuple(sorted(item)) for item in document["entries"]} == {
        ("account_ref", "action", "at", "digest", "fields", "model", "row_ids", "rule")
    }
    assert sorted((entry.model, list(entry.row_ids)) for entry in read_journal_copy()) == sorted(
        (entry.model, entry.row_ids) for entry in entries
    )


def test_p22_a_rolled_back_erasure_is_not_copied(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    customer = CustomerFactory()

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        privacy.erase_subject(subject=customer, actor="job", now=NOW)
        transaction.set_rollback(True)

    assert _copies() == []
    assert ErasureJournalEntry.objects.count() == 0


def test_p22_sync_copies_what_the_table_has_and_the_copy_lacks_once() -> None:
    customer = CustomerFactory()
    # Erased without running the commit hook: the process died between commit and file.
    entries = privacy.erase_subject(subject=customer, actor="job", now=NOW)

    assert privacy.sync_journal_copy() == len(entries)
    assert privacy.sync_journal_copy() == 0
    assert len(read_journal_copy()) == len(entries)


def test_p22_replaying_the_copy_erases_restored_data_again() -> None:
    customer = CustomerFactory(email="back@example.com", name="Hana Back")
    address = AddressFactory(customer=customer, line1="1 Restored Road")
    entries = privacy.erase_subject(subject=customer, actor="job", now=NOW)
    write_journal_copy(entries)
    # A restore brings the rows and values back.
    Address.objects.create(pk=address.pk, customer=customer, label="Home", line1="1 Restored Road")
    User.objects.filter(pk=customer.pk).update(email="back@example.com", name="Hana Back")

    report = privacy.replay_journal_copy(written_since=timezone.now() - datetime.timedelta(hours=1))

    assert (report.accounts, report.entries) == (1, len(entries))
    assert report.rows >= 2
    assert not Address.objects.filter(pk=address.pk).exists()
    assert not User.objects.filter(email="back@example.com").exists()
    # Entries written before the backup's moment are not replayed (they are in it already).
    later = timezone.now() + datetime.timedelta(hours=1)
    assert privacy.replay_journal_copy(written_since=later).entries == 0


def test_p22_a_damaged_journal_file_stops_a_restore() -> None:
    privacy.journal_dir().mkdir(parents=True)
    (privacy.journal_dir() / "20270101T000000.000000Z-x-erasure.json").write_text("{not json")

    with pytest.raises(privacy.RestoreRefused, match="cannot be read"):
        privacy.replay_journal_copy(written_since=NOW)


def test_p22_a_backup_from_an_abandoned_history_is_refused() -> None:
    older = timezone.now() - datetime.timedelta(days=30)
    privacy.record_restore(backup="bungu-older", taken_at=older)
    [mark] = list_restores()
    abandoned = older + (mark.restored_at - older) / 2

    with pytest.raises(privacy.RestoreRefused, match="abandoned"):
        privacy.check_restorable(taken_at=abandoned)
    # The same backup again, an older one, or one taken after that restore, are fine.
    privacy.check_restorable(taken_at=older)
    privacy.check_restorable(taken_at=older - datetime.timedelta(days=1))
    privacy.check_restorable(taken_at=mark.restored_at + datetime.timedelta(seconds=1))


@pytest.mark.parametrize(
    ("name", "document", "read"),
    [
        ("x-erasure.json", {"format": 1, "written_at": "2027-01-01T00:00"}, read_journal_copy),
        ("x-erasure.json", {"format": 99, "entries": []}, read_journal_copy),
        ("x-restore.json", {"format": 1, "backup": "bungu-x"}, list_restores),
    ],
)
def test_p22_a_journal_file_missing_its_parts_stops_a_restore(
    name: str,
    document: dict[str, object],
    read: Callable[[], object],
) -> None:
    privacy.journal_dir().mkdir(parents=True)
    (privacy.journal_dir() / f"20270101T000000.000000Z-{name}").write_text(json.dumps(document))

    with pytest.raises(privacy.RestoreRefused, match=r"damaged|not in a known format"):
        read()
