"""The task engine under the Tasks API: the database by default, RQ on Redis with
BUNGU_TASKS_URL (the RQ side with a real Redis is in tests/cluster/test_tasks_rq.py)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from bungu.mail.tasks import deliver_message
from bungu.operations import task_engine
from bungu.operations.tasks import housekeeping, next_housekeeping, schedule_housekeeping
from tests.checkout.conftest import shared_database
from tests.processor import SRC, free_port
from tests.worker import DATABASE_TASKS

__all__ = ["shared_database"]

ROOT = SRC.parent
IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
PRINT_TASK_SETTINGS = """
import json
import django
from django.conf import settings
from django.core.management import call_command
django.setup()
call_command("check")
print(json.dumps({
    "TASKS": settings.TASKS,
    "RQ_QUEUES": getattr(settings, "RQ_QUEUES", None),
    "RQ": getattr(settings, "RQ", None),
    "TASK_RETRY_SECONDS": settings.TASK_RETRY_SECONDS,
    "django_rq": "django_rq" in settings.INSTALLED_APPS,
}))
"""


def _run(tmp_path: Path, args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BUNGU_", "DJANGO_")) and key not in {"DATABASE_URL", "SECRET_KEY"}
    }
    return subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, *args],
        cwd=ROOT,
        env=clean
        | {
            "PYTHONPATH": os.pathsep.join([str(SRC), str(ROOT)]),
            "DJANGO_SETTINGS_MODULE": "bungu.settings",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "BUNGU_VAR_DIR": str(tmp_path / "var"),
            "BUNGU_CACHE_URL": "locmem://",
        }
        | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_unset_the_tasks_stay_in_the_database_as_before(tmp_path: Path) -> None:
    result = _run(tmp_path, ["-c", PRINT_TASK_SETTINGS])

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {
        "TASKS": DATABASE_TASKS,
        "RQ_QUEUES": None,
        "RQ": None,
        "TASK_RETRY_SECONDS": [10, 60, 300],
        "django_rq": False,
    }


def test_a_redis_url_puts_the_same_tasks_on_rq(tmp_path: Path) -> None:
    url = "redis://127.0.0.1:6390/3"
    result = _run(
        tmp_path,
        ["-c", PRINT_TASK_SETTINGS],
        BUNGU_TASKS_URL=url,
        BUNGU_TASK_RETRY_SECONDS="5,30",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {
        "TASKS": {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}},
        "RQ_QUEUES": {"default": {"URL": url, "DEFAULT_TIMEOUT": 3600}},
        "RQ": {
            "JOB_CLASS": "django_tasks_rq.backend.Job",
            "QUEUE_CLASS": "bungu.operations.task_engine.RetryingQueue",
        },
        "TASK_RETRY_SECONDS": [5, 30],
        "django_rq": True,
    }


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("BUNGU_TASKS_URL", "amqp://guest:hunter2@broker/", "not a 'amqp' URL"),
        ("BUNGU_TASK_RETRY_SECONDS", "10,0", "whole seconds (1 or more), not '10,0'"),
        ("BUNGU_TASK_RETRY_SECONDS", "soon", "whole seconds (1 or more), not 'soon'"),
    ],
)
def test_a_bad_task_setting_is_refused_with_the_reason(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    result = _run(tmp_path, ["-m", "bungu", "check"], **{variable: value})

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {variable}" in result.stderr
    assert message in result.stderr
    assert "hunter2" not in result.stderr


@pytest.mark.django_db
def test_the_database_engine_is_ready_and_says_what_waits(settings: object) -> None:
    settings.TASKS = DATABASE_TASKS  # type: ignore[attr-defined]
    assert task_engine.tasks_engine_ready() == (True, "database task queue: 0 task(s) waiting")

    deliver_message.enqueue(message_id=1)

    assert task_engine.tasks_engine_ready() == (True, "database task queue: 1 task(s) waiting")


@pytest.mark.django_db
def test_an_unreadable_database_queue_is_not_ready(
    settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TASKS = DATABASE_TASKS  # type: ignore[attr-defined]

    def broken(*args: object, **kwargs: object) -> None:
        raise DatabaseError("no such table")

    monkeypatch.setattr(DBTaskResult.objects, "filter", broken)

    assert task_engine.tasks_engine_ready() == (
        False,
        "database task queue unreadable (DatabaseError)",
    )


def test_an_engine_inside_the_process_is_ready(settings: object) -> None:
    settings.TASKS = IMMEDIATE_TASKS  # type: ignore[attr-defined]

    assert task_engine.tasks_engine_ready() == (True, "ImmediateBackend: no separate engine")


def test_an_unreachable_redis_is_not_ready_and_its_password_is_not_told(
    settings: object,
) -> None:
    port = free_port()  # nothing listens there
    settings.TASKS = {  # type: ignore[attr-defined]
        "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}
    }
    settings.RQ_QUEUES = {"default": {"URL": f"redis://:hunter2@127.0.0.1:{port}/2"}}  # type: ignore[attr-defined]

    assert task_engine.tasks_engine_ready() == (
        False,
        f"RQ: Redis at 127.0.0.1:{port}/2 does not answer (ConnectionError)",
    )


@pytest.mark.django_db
def test_housekeeping_keeps_one_run_waiting_in_the_database(settings: object) -> None:
    settings.TASKS = DATABASE_TASKS  # type: ignore[attr-defined]
    assert next_housekeeping() is None

    assert schedule_housekeeping() is True
    assert schedule_housekeeping() is False

    assert next_housekeeping() is not None
    assert DBTaskResult.objects.filter(task_path=housekeeping.module_path).count() == 1


def test_the_worker_refuses_a_backend_without_one(settings: object) -> None:
    settings.TASKS = IMMEDIATE_TASKS  # type: ignore[attr-defined]

    with pytest.raises(CommandError, match="ImmediateBackend has no worker"):
        call_command("worker")


@pytest.mark.django_db(transaction=True)
def test_bungu_worker_runs_the_database_s_tasks_by_default(
    shared_database: str, settings: object, tmp_path: Path
) -> None:
    settings.TASKS = DATABASE_TASKS  # type: ignore[attr-defined]
    result = deliver_message.enqueue(message_id=424242)  # no such message: "skipped"

    finished = _run(tmp_path, ["-m", "bungu", "worker", "--burst"], DATABASE_URL=shared_database)

    assert finished.returncode == 0, finished.stderr
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value == "skipped"


def test_scheduling_housekeeping_with_redis_down_says_so(settings: object) -> None:
    settings.TASKS = {  # type: ignore[attr-defined]
        "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}
    }
    settings.RQ_QUEUES = {"default": {"URL": f"redis://127.0.0.1:{free_port()}/0"}}  # type: ignore[attr-defined]

    with pytest.raises(CommandError, match=r"^The task engine \(RQ on Redis\) does not answer"):
        call_command("housekeeping", "--schedule")
