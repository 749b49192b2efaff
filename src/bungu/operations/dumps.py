"""The database's part of a backup, engine by engine: copy it out, and put it back.

SQLite: sqlite3's online backup API, in one step, so the copy is one consistent snapshot
while the shop goes on writing (in WAL mode writers do not wait for the reader). PostgreSQL:
``pg_dump -Fc`` (one transaction's snapshot) and back with ``pg_restore`` piped into ``psql``
in a single transaction, so a failed restore leaves the database as it was.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection

SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"
TOOL_TIMEOUT_SECONDS = 6 * 3600


class BackupFailed(Exception):  # noqa: N818  # domain nouns (style.md)
    """A backup or restore could not be done; the message says why, for a person."""


def engine() -> str:
    """``sqlite`` or ``postgresql``: the engine the shop runs on."""
    return str(connection.vendor)


def database_file() -> str:
    return SQLITE_FILE if engine() == "sqlite" else POSTGRES_FILE


def ensure_reachable() -> None:
    """Raise BackupFailed unless the database answers."""
    try:
        connection.ensure_connection()
    except DatabaseError as error:
        raise BackupFailed(f"The database cannot be reached: {error}".strip()) from error


def list_tables() -> list[str]:
    """The tables the database holds now (none in a new, empty database)."""
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def applied_migrations_now() -> dict[str, list[str]]:
    """The Django migrations the database records as applied, per app."""
    if "django_migrations" not in list_tables():
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return _by_app(cursor.fetchall())


def _by_app(rows: list[tuple[Any, ...]]) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in rows:
        applied.setdefault(str(app), []).append(str(name))
    return applied


# ---------------------------------------------------------------- SQLite
def _sqlite_path() -> Path:
    return Path(settings.DATABASES["default"]["NAME"])


def check_sqlite_file() -> None:
    """Raise BackupFailed when the database file is missing (connecting would make an empty
    one, and back that up)."""
    live = _sqlite_path()
    if not live.is_file():
        raise BackupFailed(f"The database file {live} does not exist.")


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=20)


def dump_sqlite(*, target: Path) -> dict[str, list[str]]:
    """Copy the live database into ``target`` with the online backup API; returns the
    migrations the copy records (read from the copy: the same snapshot)."""
    check_sqlite_file()
    source = _read_only(_sqlite_path())
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # every page in one step: one read snapshot
        # One self-contained file: no write-ahead log beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        if copy.execute("PRAGMA quick_check").fetchone() != ("ok",):
            raise BackupFailed("The copy of the database failed SQLite's integrity check.")
        tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master")}
        rows = []
        if "django_migrations" in tables:
            rows = copy.execute("SELECT app, name FROM django_migrations ORDER BY 1, 2").fetchall()
    except sqlite3.Error as error:
        raise BackupFailed(f"SQLite could not copy the database: {error}") from error
    finally:
        copy.close()
        source.close()
    return _by_app(rows)


def load_sqlite(*, source: Path) -> None:
    """Replace the live database's content with the backup's (the shop must be stopped)."""
    live = _sqlite_path()
    live.parent.mkdir(parents=True, exist_ok=True)
    connection.close()
    backup = _read_only(source)
    target = sqlite3.connect(live, timeout=20)
    try:
        backup.backup(target)
    except sqlite3.Error as error:
        raise BackupFailed(f"SQLite could not restore the database: {error}") from error
    finally:
        target.close()
        backup.close()


# ---------------------------------------------------------------- PostgreSQL
def postgres_tool(name: str) -> str:
    """The path of a PostgreSQL client program: on PATH, or in ``BUNGU_PG_BIN_DIR``."""
    found = shutil.which(name)
    if found:
        return found
    candidate = Path(settings.BUNGU_PG_BIN_DIR) / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    raise BackupFailed(
        f"{name} was not found on PATH nor in {settings.BUNGU_PG_BIN_DIR} "
        "(install Debian's postgresql-client-15, or set BUNGU_PG_BIN_DIR)."
    )


def _postgres_environment() -> dict[str, str]:
    """The connection of DATABASE_URL as libpq's variables (the password never on a
    command line)."""
    database: dict[str, Any] = dict(settings.DATABASES["default"])
    environment = dict(os.environ)
    for variable, key in [
        ("PGDATABASE", "NAME"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
    ]:
        if database.get(key):
            environment[variable] = str(database[key])
    if database.get("OPTIONS", {}).get("sslmode"):
        environment["PGSSLMODE"] = str(database["OPTIONS"]["sslmode"])
    return environment


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(  # noqa: S603 - PostgreSQL's own programs, arguments as a list
            command,
            env=_postgres_environment(),
            capture_output=True,
            timeout=TOOL_TIMEOUT_SECONDS,
            check=False,
            **kwargs,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BackupFailed(f"{Path(command[0]).name} could not run: {error}") from error


def _failed(tool: str, result: subprocess.CompletedProcess[bytes]) -> BackupFailed:
    message = result.stderr.decode(errors="replace").strip() or f"exit status {result.returncode}"
    return BackupFailed(f"{tool} failed: {message}")


def dump_postgres(*, target: Path) -> dict[str, list[str]]:
    """``pg_dump -Fc`` of the shop's database into ``target``; returns the migrations the
    database records (migrations do not run during a backup)."""
    tool = postgres_tool("pg_dump")
    ensure_reachable()
    migrations = applied_migrations_now()
    result = _run([tool, "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"])
    if result.returncode != 0:
        raise _failed("pg_dump", result)
    return migrations


def load_postgres(*, source: Path) -> None:
    """Replace the database's content with the dump's, in one transaction: every table
    dropped, then the dump's objects made and filled (the shop must be stopped). The dump
    becomes a whole SQL script first, so a failing ``pg_restore`` never feeds ``psql`` half."""
    pg_restore, psql = postgres_tool("pg_restore"), postgres_tool("psql")
    tables = list_tables()
    connection.close()
    with tempfile.TemporaryDirectory(prefix="bungu-restore-") as work:
        prelude, script = Path(work) / "prelude.sql", Path(work) / "dump.sql"
        names = ", ".join(connection.ops.quote_name(name) for name in tables)
        prelude.write_text(f"DROP TABLE IF EXISTS {names} CASCADE;\n" if tables else "")
        result = _run(
            [
                pg_restore,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                f"--file={script}",
                str(source),
            ]
        )
        if result.returncode != 0:
            raise _failed("pg_restore", result)
        result = _run(
            [
                psql,
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "--single-transaction",
                "-f",
                str(prelude),
                "-f",
                str(script),
            ]
        )
    if result.returncode != 0:
        raise _failed("psql (restoring the dump)", result)
