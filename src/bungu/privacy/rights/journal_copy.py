"""P22: the copy of the erasure journal that outlives a database restore.

The journal table (``ErasureJournalEntry``) is written in the erasure's own transaction, so
it is exactly as true as the database. But a restore puts back the table as it was when the
backup was taken, and forgets every erasure done since: the customers erased after the backup
would come back. So each committed erasure is also written, once its transaction commits, to
a file of its own under ``BUNGU_ERASURE_JOURNAL_DIR``, outside the database (on storage that
survives the database's loss and, with several nodes, shared by them). One file per erasure
(named by time and digest) rather than one appended file: several nodes may write at once,
and a file is complete or absent (written aside, then renamed).

A file holds only what a replay needs: when, which account (its number), which model, fields,
rule, action and row numbers. Never a value, a name or an address, nor who asked.

A write that fails after the commit (the process killed in between) is caught up from the
table before each backup and before each restore (``sync_journal_copy``); each entry carries a
digest of its content, so an entry is never copied twice.

Each restore is recorded in the same directory. A restore starts a new history from the
backup's moment; the row numbers used after it may be used again, for other rows, in the
history it abandoned. A backup taken in an abandoned stretch of history (after the moment of
a later-restored older backup, before that restore) is therefore refused: replaying the
erasures written since it would touch rows of other customers (``check_restorable``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from bungu.privacy.exceptions import RestoreRefused
from bungu.privacy.models import ErasureJournalEntry

FORMAT = 1
ERASURE_SUFFIX = "-erasure.json"
RESTORE_SUFFIX = "-restore.json"


@dataclass(frozen=True)
class CopiedEntry:
    """One journal entry as the copy keeps it."""

    digest: str
    at: datetime
    account_ref: int
    model: str
    fields: tuple[str, ...]
    rule: str
    action: str
    row_ids: tuple[Any, ...]
    written_at: datetime


@dataclass(frozen=True)
class RestoreMark:
    restored_at: datetime
    backup: str
    taken_at: datetime


def journal_dir() -> Path:
    """Where the copy lives (``BUNGU_ERASURE_JOURNAL_DIR``)."""
    return Path(settings.BUNGU_ERASURE_JOURNAL_DIR)


def _content(entry: ErasureJournalEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "account_ref": entry.account_ref,
        "model": entry.model,
        "fields": list(entry.fields),
        "rule": entry.rule,
        "action": entry.action,
        "row_ids": list(entry.row_ids),
    }


def _digest(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def entry_digest(entry: ErasureJournalEntry) -> str:
    """The digest that names an entry in the copy (its content, not its number)."""
    return _digest(_content(entry))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


def _write_file(*, suffix: str, document: dict[str, Any], name_part: str) -> Path:
    """Write one file of the copy completely or not at all (aside, synced, renamed)."""
    folder = journal_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / f"{_stamp(timezone.now())}-{name_part}{suffix}"
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".writing-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle, sort_keys=True, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def write_journal_copy(entries: Iterable[ErasureJournalEntry]) -> Path | None:
    """Write these committed entries to the copy as one file; None when there are none."""
    contents = [{**_content(entry), "digest": entry_digest(entry)} for entry in entries]
    if not contents:
        return None
    document = {
        "format": FORMAT,
        "kind": "erasure",
        "written_at": timezone.now().isoformat(),
        "entries": contents,
    }
    return _write_file(
        suffix=ERASURE_SUFFIX, document=document, name_part=contents[0]["digest"][:16]
    )


def keep_journal_copy(entries: list[ErasureJournalEntry]) -> None:
    """Once the erasure commits, write its entries to the copy (nothing if it rolls back).
    A failed write is logged, not raised: the erasure is done, and the next backup or
    restore catches the copy up from the table (``sync_journal_copy``)."""
    if entries:
        transaction.on_commit(lambda: write_journal_copy(entries), robust=True)


def _read(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RestoreRefused(
            f"The erasure journal's file {path} cannot be read: {error}"
        ) from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise RestoreRefused(f"The erasure journal's file {path} is not in a known format.")
    return document


def _files(suffix: str) -> Iterator[Path]:
    folder = journal_dir()
    if folder.is_dir():
        yield from sorted(path for path in folder.iterdir() if path.name.endswith(suffix))


def read_journal_copy() -> list[CopiedEntry]:
    """Every entry of the copy, oldest first, each once. Raises RestoreRefused on a file it
    cannot read (a restore must not go on without knowing what to erase again)."""
    found: dict[str, CopiedEntry] = {}
    for path in _files(ERASURE_SUFFIX):
        document = _read(path)
        try:
            written_at = datetime.fromisoformat(document["written_at"])
            for item in document["entries"]:
                entry = CopiedEntry(
                    digest=str(item["digest"]),
                    at=datetime.fromisoformat(item["at"]),
                    account_ref=int(item["account_ref"]),
                    model=str(item["model"]),
                    fields=tuple(item["fields"]),
                    rule=str(item["rule"]),
                    action=str(item["action"]),
                    row_ids=tuple(item["row_ids"]),
                    written_at=written_at,
                )
                earlier = found.get(entry.digest)
                if earlier is None or earlier.written_at > written_at:
                    found[entry.digest] = entry
        except (KeyError, TypeError, ValueError) as error:
            raise RestoreRefused(
                f"The erasure journal's file {path} is damaged: {error!r}"
            ) from error
    return sorted(found.values(), key=lambda entry: (entry.at, entry.written_at, entry.digest))


def sync_journal_copy() -> int:
    """Copy the entries of the journal table that the copy lacks (a write lost between
    commit and file); returns how many. Nothing when the table cannot be read. Makes the
    copy's directory if it is missing (a backup does so: a restore refuses without it)."""
    journal_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
    known = {entry.digest for entry in read_journal_copy()}
    try:
        missing = [
            entry
            for entry in ErasureJournalEntry.objects.order_by("at", "id").iterator()
            if entry_digest(entry) not in known
        ]
    except DatabaseError:
        return 0
    write_journal_copy(missing)
    return len(missing)


def list_restores() -> list[RestoreMark]:
    """The restores recorded in the copy's directory, oldest first."""
    marks = []
    for path in _files(RESTORE_SUFFIX):
        document = _read(path)
        try:
            marks.append(
                RestoreMark(
                    restored_at=datetime.fromisoformat(document["restored_at"]),
                    backup=str(document["backup"]),
                    taken_at=datetime.fromisoformat(document["taken_at"]),
                )
            )
        except (KeyError, TypeError, ValueError) as error:
            raise RestoreRefused(
                f"The erasure journal's file {path} is damaged: {error!r}"
            ) from error
    return sorted(marks, key=lambda mark: mark.restored_at)


def check_restorable(*, taken_at: datetime) -> None:
    """Raise RestoreRefused when a backup of this moment lies in a stretch of history that a
    later restore of an older backup abandoned (see the module's docstring)."""
    for mark in list_restores():
        if mark.taken_at < taken_at < mark.restored_at:
            raise RestoreRefused(
                f"This backup ({taken_at:%Y-%m-%d %H:%M:%S} UTC) was taken in a stretch of "
                f"history that the restore of {mark.backup} on {mark.restored_at:%Y-%m-%d %H:%M} "
                "UTC abandoned; row numbers may have been used again since, so the erasure "
                f"journal cannot be replayed onto it safely. Restore {mark.backup}, one taken "
                f"after {mark.restored_at:%Y-%m-%d %H:%M} UTC, or one taken before "
                f"{mark.taken_at:%Y-%m-%d %H:%M} UTC."
            )


def record_restore(*, backup: str, taken_at: datetime) -> Path:
    """Record in the copy's directory that a backup of this moment was restored now."""
    document = {
        "format": FORMAT,
        "kind": "restore",
        "restored_at": timezone.now().isoformat(),
        "backup": backup,
        "taken_at": taken_at.isoformat(),
    }
    return _write_file(suffix=RESTORE_SUFFIX, document=document, name_part=Path(backup).name)
