"""The table the workload writes to: one row per attempt or effect, with the worker's name
(RQ puts it in the job's process environment) and the time."""

from __future__ import annotations

import os
import time
from collections import Counter

from django.db import connection

TABLE = "rq_test_effect"


def create_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cursor.execute(
            f"CREATE TABLE {TABLE} (kind VARCHAR(20) NOT NULL, task_key VARCHAR(60) NOT NULL, "
            "worker VARCHAR(100) NOT NULL, at_time DOUBLE PRECISION NOT NULL)"
        )


def drop_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def record(kind: str, key: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (kind, task_key, worker, at_time) VALUES (%s, %s, %s, %s)",  # noqa: S608 - our constant
            [kind, key, os.environ.get("RQ_WORKER_ID", "?"), time.time()],
        )


def rows(kind: str) -> list[tuple[str, str, float]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT task_key, worker, at_time FROM {TABLE} WHERE kind = %s ORDER BY at_time",  # noqa: S608 - our constant
            [kind],
        )
        return [(str(key), str(worker), float(at)) for key, worker, at in cursor.fetchall()]


def counts(kind: str) -> Counter[str]:
    return Counter(key for key, _, _ in rows(kind))
