"""The several-node profile's system checks (bungu.E001..E006): each refuses its single-node
part and is silent once that part is shared. Run through Django's check command."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

REDIS = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://127.0.0.1:6379/0",
}
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
NO_ISSUES = "System check identified no issues (0 silenced).\n"
# Outside any node's BUNGU_VAR_DIR: storage every node mounts.
SHARED_JOURNAL = Path(settings.VAR_DIR).parent / "shared-storage" / "erasure-journal"

pytestmark = [
    # The checks read DATABASES only; no connection is made to the overridden one.
    pytest.mark.filterwarnings("ignore:Overriding setting DATABASES:UserWarning"),
]


def _postgres() -> dict[str, Any]:
    return {"default": {**settings.DATABASES["default"], "ENGINE": "django.db.backends.postgresql"}}


def _cluster(**changes: Any) -> dict[str, Any]:
    """A cluster whose every part is shared, with ``changes`` applied."""
    good: dict[str, Any] = {
        "PROFILE": "cluster",
        "DATABASES": _postgres(),
        "CACHES": {"default": REDIS},
        "BUNGU_MEDIA_SHARED": True,
        "STORAGES": {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        },
        "SECRET_KEY": "k" * 64,
        "BUNGU_SECRET_KEY_FROM_ENVIRONMENT": True,
        "TASKS": DB_TASKS,
        "BUNGU_ERASURE_JOURNAL_DIR": SHARED_JOURNAL,
    }
    return good | changes


def _check(**overrides: Any) -> str:
    out = StringIO()
    with override_settings(**overrides):
        try:
            call_command("check", stdout=out, stderr=StringIO())
        except SystemCheckError as refused:
            return str(refused)
    return out.getvalue()


def test_a_cluster_of_shared_parts_passes_every_check() -> None:
    assert _check(**_cluster()) == NO_ISSUES


def test_a_single_node_profile_is_not_held_to_the_cluster_rules() -> None:
    # The development profile's SQLite, file cache and node-local media are what `make run` uses.
    sqlite = {"default": {**settings.DATABASES["default"], "ENGINE": "django.db.backends.sqlite3"}}
    single_node = {
        "DATABASES": sqlite,
        "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        "BUNGU_MEDIA_SHARED": False,
        "BUNGU_SECRET_KEY_FROM_ENVIRONMENT": False,
    }
    assert _check(**single_node, PROFILE="development") == NO_ISSUES
    assert _check(**single_node, PROFILE="production") == NO_ISSUES
    # Positive control: the same parts under the cluster profile are refused.
    refused = _check(**single_node, PROFILE="cluster")
    assert all(f"bungu.E00{n}" in refused for n in range(1, 5))


@pytest.mark.parametrize(
    ("changes", "error", "words"),
    [
        pytest.param(
            {
                "DATABASES": {
                    "default": {
                        **settings.DATABASES["default"],
                        "ENGINE": "django.db.backends.sqlite3",
                    }
                }
            },
            "bungu.E001",
            "is SQLite, a file on one node's disk",
            id="sqlite",
        ),
        pytest.param(
            {"CACHES": {"default": {"BACKEND": "bungu.file_cache.FileCache", "LOCATION": "cache"}}},
            "bungu.E002",
            "is kept by each node on its own",
            id="file-cache",
        ),
        pytest.param(
            {"CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}},
            "bungu.E002",
            "is kept by each node on its own",
            id="locmem-cache",
        ),
        pytest.param(
            {"BUNGU_MEDIA_SHARED": False},
            "bungu.E003",
            "which BUNGU_MEDIA_SHARED does not declare shared",
            id="media-on-own-disk",
        ),
        pytest.param(
            {"BUNGU_SECRET_KEY_FROM_ENVIRONMENT": False},
            "bungu.E004",
            "SECRET_KEY is missing from the environment",
            id="key-made-by-a-node",
        ),
        pytest.param(
            {"SECRET_KEY": "short"},
            "bungu.E004",
            "shorter than 50 characters",
            id="short-key",
        ),
        pytest.param(
            {"TASKS": {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}},
            "bungu.E005",
            "runs jobs only in the process that enqueues them",
            id="immediate-tasks",
        ),
        pytest.param(
            {"TASKS": {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}},
            "bungu.E005",
            "runs jobs only in the process that enqueues them",
            id="dummy-tasks",
        ),
        pytest.param(
            {"BUNGU_ERASURE_JOURNAL_DIR": Path(settings.VAR_DIR) / "erasure-journal"},
            "bungu.E006",
            "inside this node's own BUNGU_VAR_DIR",
            id="journal-on-own-disk",
        ),
    ],
)
def test_each_single_node_part_is_refused_with_its_own_error(
    changes: dict[str, Any], error: str, words: str
) -> None:
    output = _check(**_cluster(**changes))

    assert error in output
    assert words in output
    assert "HINT:" in output
    # Only the planted part is refused.
    others = {f"bungu.E00{n}" for n in range(1, 7)} - {error}
    assert not [other for other in others if other in output]


def test_media_on_object_storage_needs_no_declaration() -> None:
    storages = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    assert _check(**_cluster(BUNGU_MEDIA_SHARED=False, STORAGES=storages)) == NO_ISSUES


def test_a_filesystem_storage_subclass_is_still_a_node_s_own_disk() -> None:
    storages = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    assert "bungu.E003" in _check(**_cluster(BUNGU_MEDIA_SHARED=False, STORAGES=storages))
    assert _check(**_cluster(BUNGU_MEDIA_SHARED=True, STORAGES=storages)) == NO_ISSUES


def test_a_replica_on_sqlite_is_refused_too() -> None:
    databases = {
        **_postgres(),
        "replica": {**settings.DATABASES["default"], "ENGINE": "django.db.backends.sqlite3"},
    }
    output = _check(**_cluster(DATABASES=databases))

    assert "The database 'replica' is SQLite" in output
    assert "The database 'default'" not in output


def test_a_database_task_backend_on_postgresql_is_accepted() -> None:
    # Every node's worker takes jobs from the one shared table (docs/design.md).
    assert _check(**_cluster(TASKS=DB_TASKS)) == NO_ISSUES
