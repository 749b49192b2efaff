"""``bungu backup`` and ``bungu restore`` (P22: a restored backup never brings back an erased
customer), run as real processes on a database of their own: a SQLite file, or a PostgreSQL
database made for the test on the server of DATABASE_URL when the suite runs on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from django.conf import settings

from bungu.operations import backups
from bungu.operations.dumps import BackupFailed
from tests.operations import backup_drill

ROOT = Path(__file__).resolve().parents[2]
BUNGU = str(Path(sys.executable).with_name("bungu"))
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
STEP_TIMEOUT = 240


@dataclass
class Shop:
    """A shop of its own for one test: environment, directories, database."""

    env: dict[str, str]
    root: Path

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(  # noqa: S603 - the shop's own commands
            list(command),
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
            check=False,
        )
        if check:
            assert result.returncode == 0, result.stderr[-3000:]
        return result

    def bungu(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(BUNGU, *arguments, check=check)

    def step(self, name: str, *arguments: str) -> Any:
        result = self.run(sys.executable, "-m", "tests.operations.backup_drill", name, *arguments)
        return json.loads(result.stdout.strip().splitlines()[-1])

    def backup(self) -> Path:
        output = self.bungu("backup").stdout.strip()
        return Path(output.split(" (")[0])

    @property
    def journal(self) -> Path:
        return Path(self.env["BUNGU_ERASURE_JOURNAL_DIR"])


def _postgres_database() -> Iterator[str]:
    """A database of its own on the suite's PostgreSQL server; dropped afterwards."""
    import psycopg  # noqa: PLC0415 - only on PostgreSQL

    server = settings.DATABASES["default"]
    name = f"bungu_drill_{uuid4().hex[:12]}"
    params = {
        "host": server.get("HOST") or None,
        "port": server.get("PORT") or None,
        "user": server.get("USER") or None,
        "password": server.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    user = params["user"] or ""
    secret = f":{params['password']}" if params["password"] else ""
    try:
        yield f"postgres://{user}{secret}@{params['host']}:{params['port']}/{name}"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _sqlite_database(var: Path) -> Iterator[str]:
    yield f"sqlite:///{var}/shop.sqlite3"


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    """A migrated shop of its own, on the suite's engine."""
    var = tmp_path / "var"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BUNGU_", "PYTEST", "DATABASE_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bungu.settings",
        BUNGU_VAR_DIR=str(var),
        BUNGU_CACHE_URL="locmem://",
        BUNGU_ERASURE_JOURNAL_DIR=str(tmp_path / "journal"),
        BUNGU_BACKUP_DIR=str(tmp_path / "backups"),
    )
    databases = _postgres_database() if ON_POSTGRES else _sqlite_database(var)
    env["DATABASE_URL"] = next(databases)
    drill = Shop(env=env, root=tmp_path)
    drill.bungu("migrate", "--noinput", "-v0")
    yield drill
    databases.close()


def _changed(
    before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]
) -> dict[str, set[str]]:
    """Per table, the keys of the rows that differ (changed, gone or new)."""
    changed = {}
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table, {}), after.get(table, {})
        keys = {key for key in set(old) | set(new) if old.get(key) != new.get(key)}
        if keys:
            changed[table] = keys
    return changed


# ---------------------------------------------------------------- the drill
def test_p22_drill_backup_erase_restore_replay_keeps_the_customer_erased(shop: Shop) -> None:
    seeded = shop.step("seed")
    backup = shop.backup()
    at_backup = shop.step("digests")

    erased = shop.step("erase", str(seeded["erased"]))
    # Only the last e-mail, "your account has been deleted", still holds the address until it
    # is delivered (then the outbox blanks it and journals that too).
    assert shop.step("find", backup_drill.ERASED["email"], backup_drill.ERASED["name"]) == [
        "mail_outboxmessage"
    ]
    # The erasure reached the journal's copy outside the database, without the customer's data.
    copies = sorted(shop.journal.glob("*-erasure.json"))
    assert copies
    copied = " ".join(path.read_text() for path in copies).lower()
    assert backup_drill.ERASED["email"] not in copied
    assert backup_drill.ERASED["name"].lower() not in copied

    restored = shop.bungu("restore", str(backup), "--yes").stdout
    assert "1 account(s) erased again" in restored

    # The customer stays erased: nowhere in the restored database.
    assert shop.step("find", backup_drill.ERASED["email"], backup_drill.ERASED["name"]) == []
    # Everything else is the backup, row for row: only rows the journal names differ.
    named: dict[str, set[str]] = {}
    for table, row_ids in erased["rows"]:
        named.setdefault(table, set()).update(row_ids)
    changed = _changed(at_backup, shop.step("digests"))
    assert changed, "the erasure changed nothing: the comparison proves nothing"
    assert {table: keys - named.get(table, set()) for table, keys in changed.items()} == {
        table: set() for table in changed
    }
    assert "accounts_user" in changed
    assert str(seeded["kept"]) not in changed["accounts_user"]

    smoke = shop.step("smoke", seeded["product_url"], seeded["photo"])
    assert smoke == {
        "home": 200,
        "product": 200,
        "product_names_photo": True,
        "photo_file": True,
        "kept_sign_in": 302,
        "account": 200,
        "account_names_them": True,
        "erased_sign_in": 200,
        "erased_signed_in": False,
    }


def test_p22_restore_without_the_replay_would_bring_the_customer_back(shop: Shop) -> None:
    """The positive control of the drill: the backup does hold the customer, and restoring it
    when both the database and the journal's copy are lost brings them back (which is why
    restore refuses to go on without the copy unless told to)."""
    seeded = shop.step("seed")
    backup = shop.backup()
    shop.step("erase", str(seeded["erased"]))
    for path in shop.journal.iterdir():
        path.unlink()
    shop.journal.rmdir()
    shop.step("wipe")

    refused = shop.bungu("restore", str(backup), check=False)
    assert refused.returncode == 1
    assert "erasure journal's copy is not at" in refused.stderr
    assert shop.step("digests") == {}

    # An empty database needs no --yes.
    shop.bungu("restore", str(backup), "--without-journal")
    assert "accounts_user" in shop.step("find", backup_drill.ERASED["email"])


def test_p22_the_database_about_to_be_replaced_adds_its_journal_to_the_copy(shop: Shop) -> None:
    """An erasure whose file was lost (the copy's directory gone) but whose database is still
    there when the restore starts is replayed too: the restore catches the copy up first."""
    seeded = shop.step("seed")
    backup = shop.backup()
    shop.step("erase", str(seeded["erased"]))
    for path in shop.journal.iterdir():
        path.unlink()

    restored = shop.bungu("restore", str(backup), "--yes").stdout

    assert "1 account(s) erased again" in restored
    assert shop.step("find", backup_drill.ERASED["email"]) == []


# ---------------------------------------------------------------- refusals
def _copy(backup: Path, to: Path) -> Path:
    to.mkdir()
    for item in backup.iterdir():
        (to / item.name).write_bytes(item.read_bytes())
    return to


def test_a_tampered_or_truncated_backup_is_refused_naming_the_file_and_nothing_changes(
    shop: Shop,
) -> None:
    shop.step("seed")
    backup = shop.backup()
    before = shop.step("digests")
    database = json.loads((backup / "manifest.json").read_text())["database"]

    flipped = _copy(backup, shop.root / "flipped")
    content = bytearray((flipped / database).read_bytes())
    content[len(content) // 2] ^= 0xFF
    (flipped / database).write_bytes(bytes(content))

    truncated = _copy(backup, shop.root / "truncated")
    (truncated / "media.tar").write_bytes((backup / "media.tar").read_bytes()[:-512])

    edited = _copy(backup, shop.root / "edited")
    manifest = json.loads((edited / "manifest.json").read_text())
    manifest["taken_at"] = "2020-01-01T00:00:00+00:00"
    (edited / "manifest.json").write_text(json.dumps(manifest))

    for tampered, named in [
        (flipped, f"{flipped / database} does not match its SHA-256"),
        (truncated, f"{truncated / 'media.tar'} has another size"),
        (edited, f"{edited / 'manifest.json'} was changed or damaged"),
    ]:
        refused = shop.bungu("restore", str(tampered), "--yes", check=False)
        assert refused.returncode == 1, refused.stdout
        assert named in refused.stderr
    assert shop.step("digests") == before
    # Positive control: the untouched backup restores.
    assert "Restored" in shop.bungu("restore", str(backup), "--yes").stdout


def test_restoring_another_engines_backup_is_refused_clearly(shop: Shop) -> None:
    backup = shop.backup()
    other = _copy(backup, shop.root / "other")
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["engine"] = "sqlite" if ON_POSTGRES else "postgresql"
    manifest["digest"] = backups._manifest_digest(manifest)
    (other / "manifest.json").write_text(json.dumps(manifest))
    before = shop.step("digests")

    refused = shop.bungu("restore", str(other), "--yes", check=False)

    assert refused.returncode == 1
    theirs, ours = ("SQLite", "PostgreSQL") if ON_POSTGRES else ("PostgreSQL", "SQLite")
    assert f"This is a backup of a {theirs} database, and this shop runs on {ours}" in (
        refused.stderr
    )
    assert shop.step("digests") == before


def test_restore_asks_for_yes_before_replacing_a_database_with_data(shop: Shop) -> None:
    backup = shop.backup()
    shop.step("seed")
    before = shop.step("digests")

    refused = shop.bungu("restore", str(backup), check=False)

    assert refused.returncode == 1
    assert "The database is not empty" in refused.stderr
    assert "--yes" in refused.stderr
    assert shop.step("digests") == before


# ---------------------------------------------------------------- consistency under writes
def test_a_backup_taken_while_the_shop_writes_is_consistent(shop: Shop) -> None:
    stop = shop.root / "stop-writing"
    writer = subprocess.Popen(  # noqa: S603 - the drill's own step
        [sys.executable, "-m", "tests.operations.backup_drill", "write_pairs", str(stop)],
        env=shop.env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "writing"
        backup = shop.backup()
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=STEP_TIMEOUT)
    assert writer.returncode == 0, err[-2000:]
    written = json.loads(out.strip().splitlines()[-1])["pairs"]

    shop.bungu("restore", str(backup), "--yes")

    in_backup = shop.step("pairs")
    assert in_backup["broken"] == 0
    # Taken while the writer was at it: some pairs, not all of them.
    assert 0 < in_backup["pairs"] < written, (in_backup, written)


# ---------------------------------------------------------------- failures, said plainly
def test_a_backup_never_overwrites_and_says_why(tmp_path: Path) -> None:
    existing = tmp_path / "bungu-20270131T020000Z"
    existing.mkdir()
    (existing / "kept.txt").write_text("earlier")
    moment = datetime.fromisoformat("2027-01-31T02:00:00+00:00")

    with pytest.raises(BackupFailed, match="already exists; a backup is never overwritten"):
        backups.take_backup(to=tmp_path, now=moment)
    assert [path.name for path in existing.iterdir()] == ["kept.txt"]


def test_a_backup_to_a_place_it_cannot_write_fails_clearly(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")

    with pytest.raises(BackupFailed, match="Cannot write the backup under"):
        backups.take_backup(to=blocker / "backups")


def _postgres_env(tmp_path: Path, **extra: str) -> Shop:
    env = {
        "PATH": str(Path(sys.executable).parent),
        "DJANGO_SETTINGS_MODULE": "bungu.settings",
        "BUNGU_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": "postgres://bungu@127.0.0.1:1/bungu",
        **extra,
    }
    return Shop(env=env, root=tmp_path)


def test_backup_fails_clearly_without_pg_dump(tmp_path: Path) -> None:
    shop = _postgres_env(tmp_path, BUNGU_PG_BIN_DIR=str(tmp_path / "no-such-dir"))

    missing = shop.bungu("backup", "--to", str(tmp_path / "b"), check=False)

    assert missing.returncode == 1
    assert "Backup failed: pg_dump was not found on PATH" in missing.stderr
    assert not list((tmp_path / "b").iterdir())


def test_backup_fails_clearly_when_the_database_cannot_be_reached(tmp_path: Path) -> None:
    if not (Path(settings.BUNGU_PG_BIN_DIR) / "pg_dump").is_file():
        pytest.skip("PostgreSQL's client programs are not installed")
    shop = _postgres_env(tmp_path, BUNGU_PG_BIN_DIR=settings.BUNGU_PG_BIN_DIR)

    unreachable = shop.bungu("backup", "--to", str(tmp_path / "b"), check=False)

    assert unreachable.returncode == 1
    assert "Backup failed: The database cannot be reached" in unreachable.stderr
    assert not list((tmp_path / "b").iterdir())
