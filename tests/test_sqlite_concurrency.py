"""SQLite is set up for several gunicorn workers writing at once: WAL, IMMEDIATE, a timeout."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the SQLite settings apply to SQLite only"
)


@pytest.fixture(autouse=True)
def _own_database_files(django_db_blocker):  # type: ignore[no-untyped-def]
    # These tests open their own SQLite files, never the test database.
    with django_db_blocker.unblock():
        yield


def _wrapper(path: Path) -> DatabaseWrapper:
    settings_dict = {**settings.DATABASES["default"], "NAME": str(path)}
    return DatabaseWrapper(settings_dict, alias=f"concurrency-{threading.get_ident()}")


def test_sqlite_file_database_uses_write_ahead_log_and_immediate_transactions(
    tmp_path: Path,
) -> None:
    db = _wrapper(tmp_path / "shop.sqlite3")
    db.connect()
    assert db.transaction_mode == "IMMEDIATE"
    with db.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    db.close()


def test_concurrent_read_then_write_transactions_wait_instead_of_failing(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite3"
    setup = _wrapper(path)
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
        cursor.execute("INSERT INTO counter VALUES (1, 0)")
    setup.close()

    errors: list[BaseException] = []
    rounds = 40

    def worker() -> None:
        db = _wrapper(path)
        try:
            for _ in range(rounds):
                # A read followed by a write in one transaction: with deferred transactions
                # two of these deadlock and one fails at once with "database is locked".
                with db.cursor() as cursor:
                    cursor.execute(f"BEGIN {db.transaction_mode}")
                    cursor.execute("SELECT value FROM counter WHERE id = 1")
                    value = cursor.fetchone()[0]
                    cursor.execute("UPDATE counter SET value = ? WHERE id = 1", [value + 1])
                    cursor.execute("COMMIT")
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    check = _wrapper(path)
    with check.cursor() as cursor:
        cursor.execute("SELECT value FROM counter WHERE id = 1")
        assert cursor.fetchone()[0] == 4 * rounds
    check.close()
