"""PostgreSQL 15 for the cluster: a primary and a streaming hot standby made from it with
``pg_basebackup -R``, each a ``postgres`` server process of the supervisor's own.

The server refuses to run as root: as root, the data directories belong to the
``postgres`` user and every command runs through ``runuser -u postgres --``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from .processes import HOST, ClusterError, Part, free_port, run, start, wait_until

PG_BIN = Path("/usr/lib/postgresql/15/bin")
DATABASE = "bungu"
# The standby replays each commit this long after the primary made it, so that reading
# from it right after a write would show the old state (the lag the router must avoid).
REPLICA_APPLY_DELAY_MS = 100


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _own(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(path, user="postgres", group="postgres")


def check_installed() -> None:
    if not (PG_BIN / "initdb").exists():
        raise ClusterError(
            f"PostgreSQL 15 is not installed ({PG_BIN}/initdb is missing): "
            "`make cluster` installs Debian's postgresql-15, or run apt-get install postgresql-15."
        )


@dataclass
class Server:
    """One PostgreSQL server: its data directory, port and running process."""

    name: str
    root: Path
    port: int
    options: list[str] = field(default_factory=list)
    part: Part | None = None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@{HOST}:{self.port}/{DATABASE}"

    def _postmaster_pid(self) -> int:
        # The server writes its own pid on the first line; the process we started is runuser.
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def start(self) -> Part:
        command = [
            *_as_postgres(),
            str(PG_BIN / "postgres"),
            "-D",
            str(self.data),
            "-c",
            f"listen_addresses={HOST}",
            "-p",
            str(self.port),
            "-c",
            f"unix_socket_directories={self.root}",
            "-c",
            "max_connections=200",
            *self.options,
        ]
        part = start(f"postgres-{self.name}", command, env=dict(os.environ), log=self.root / "log")
        part.crash_pid = self._postmaster_pid
        self.part = part
        wait_until(self.accepts, part=part, what=f"PostgreSQL {self.name}", timeout=120)
        return part

    def accepts(self, database: str = "postgres") -> bool:
        try:
            with psycopg.connect(
                host=HOST, port=self.port, user="postgres", dbname=database, connect_timeout=2
            ):
                return True
        except psycopg.Error:
            return False


def make_primary(root: Path) -> Server:
    """initdb a fresh primary under ``root`` (trust on loopback, replication allowed)."""
    check_installed()
    _own(root)
    run(
        "initdb",
        [
            *_as_postgres(),
            str(PG_BIN / "initdb"),
            "-D",
            str(root / "data"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-locale",
            "-E",
            "UTF8",
        ],
        env=dict(os.environ),
        log=root / "initdb.log",
        timeout=180,
    )
    # wal_level=replica, max_wal_senders and the loopback replication lines of pg_hba.conf
    # are initdb's defaults; the WAL kept lets a standby that fell behind catch up.
    return Server(
        name="primary", root=root, port=free_port(), options=["-c", "wal_keep_size=256MB"]
    )


def create_database(primary: Server) -> None:
    with psycopg.connect(
        host=HOST, port=primary.port, user="postgres", dbname="postgres", autocommit=True
    ) as connection:
        connection.execute(f"CREATE DATABASE {DATABASE}")


def make_standby(primary: Server, root: Path) -> Server:
    """A hot standby streaming from ``primary``, replaying with a small delay."""
    _own(root)
    run(
        "pg_basebackup",
        [
            *_as_postgres(),
            str(PG_BIN / "pg_basebackup"),
            "-h",
            HOST,
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(root / "data"),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        ],
        env=dict(os.environ),
        log=root / "basebackup.log",
        timeout=300,
    )
    return Server(
        name="standby",
        root=root,
        port=free_port(),
        options=[
            "-c",
            "hot_standby=on",
            "-c",
            f"recovery_min_apply_delay={REPLICA_APPLY_DELAY_MS}ms",
        ],
    )


def replica_lag_bytes(primary: Server) -> int | None:
    """How far the standby's replay is behind the primary's WAL, from the primary's view."""
    with psycopg.connect(
        host=HOST, port=primary.port, user="postgres", dbname="postgres", connect_timeout=5
    ) as connection:
        row = connection.execute(
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication"
        ).fetchone()
    return None if row is None or row[0] is None else int(row[0])
