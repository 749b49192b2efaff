"""System checks for the several-node profile (``BUNGU_PROFILE=cluster``), and for the
replica's routing table in every profile.

Under the cluster profile each node is one of several behind a load balancer, so every part
that one node keeps to itself is refused: a request served by node A and the next by node B
must see the same database, cache, uploaded files, key and task queue.

* ``bungu.E001`` a SQLite database (a file on one node's disk).
* ``bungu.E002`` a cache kept per node (file, memory, dummy): the page cache's versions, the
  rate-limit counters and the sign-in limits must be the same on every node.
* ``bungu.E003`` uploads on a node's own disk: a filesystem storage without
  ``BUNGU_MEDIA_SHARED=1`` declaring its folder shared (NFS...). A non-filesystem storage
  (object storage through a storage library) passes.
* ``bungu.E004`` a secret key not given in the environment (one a node generated), or too
  short: sessions, carts and signed links made on one node must verify on the others.
* ``bungu.E005`` a task backend that runs jobs only where they are enqueued or nowhere
  (``ImmediateBackend``, ``DummyBackend``). The database backend is accepted: on PostgreSQL
  every node's worker takes jobs from the one shared table (on SQLite E001 refuses it).
* ``bungu.E006`` the erasure journal's copy (P22) inside the node's own ``BUNGU_VAR_DIR``:
  ``bungu restore``, run on any one machine, must replay the erasures made through every
  node, so the copy lives on storage they all mount (``BUNGU_ERASURE_JOURNAL_DIR``).

In every profile:

* ``bungu.E010`` the replica's allow-list (``bungu.db_routing.REPLICA_READS``) names a model
  that must always be read from the primary (stock, carts, payments, orders, accounts,
  sessions, privacy), or a model that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.apps import apps
from django.apps.config import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.utils.module_loading import import_string

from bungu import db_routing

# Caches every node reaches over the network.
SHARED_CACHES = frozenset(
    {
        "django.core.cache.backends.redis.RedisCache",
        "django.core.cache.backends.memcached.PyMemcacheCache",
        "django.core.cache.backends.memcached.PyLibMCCache",
        "django.core.cache.backends.db.DatabaseCache",
    }
)
NODE_ONLY_TASK_BACKENDS = frozenset(
    {
        "django_tasks.backends.immediate.ImmediateBackend",
        "django_tasks.backends.dummy.DummyBackend",
    }
)
MIN_SECRET_KEY_LENGTH = 50


def _cluster() -> bool:
    return getattr(settings, "PROFILE", "") == "cluster"


@register()
def check_database(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if not _cluster():
        return []
    return [
        Error(
            f"The database {alias!r} is SQLite, a file on one node's disk.",
            hint="Set DATABASE_URL (and DATABASE_REPLICA_URL) to a PostgreSQL server that "
            "every node reaches, e.g. postgres://bungu@db.internal/bungu.",
            id="bungu.E001",
        )
        for alias, database in settings.DATABASES.items()
        if "sqlite" in str(database.get("ENGINE", ""))
    ]


@register()
def check_cache(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if not _cluster():
        return []
    return [
        Error(
            f"The cache {alias!r} ({cache['BACKEND']}) is kept by each node on its own: pages, "
            "rate limits and catalogue versions would differ from node to node.",
            hint="Set BUNGU_CACHE_URL=redis://host:6379/0 to a Redis every node reaches.",
            id="bungu.E002",
        )
        for alias, cache in settings.CACHES.items()
        if cache.get("BACKEND") not in SHARED_CACHES
    ]


def _is_filesystem_storage(backend: str) -> bool:
    try:
        storage = import_string(backend)
    except ImportError:
        return False
    # FileSystemStorage and its subclasses, by name so any storage library can be named.
    return any(cls.__name__ == "FileSystemStorage" for cls in storage.__mro__)


@register()
def check_media(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if not _cluster() or settings.BUNGU_MEDIA_SHARED:
        return []
    backend = str(settings.STORAGES.get("default", {}).get("BACKEND", ""))
    if not _is_filesystem_storage(backend):
        return []
    return [
        Error(
            f"Uploaded photos go to {settings.MEDIA_ROOT}, which BUNGU_MEDIA_SHARED does not "
            "declare shared: a photo uploaded through one node would be missing on the others.",
            hint="Put BUNGU_MEDIA_ROOT on storage every node mounts (NFS) and set "
            "BUNGU_MEDIA_SHARED=1, or configure object storage in STORAGES['default'].",
            id="bungu.E003",
        )
    ]


@register()
def check_secret_key(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if not _cluster():
        return []
    key = str(getattr(settings, "SECRET_KEY", "") or "")
    if getattr(settings, "BUNGU_SECRET_KEY_FROM_ENVIRONMENT", False) and len(key) >= (
        MIN_SECRET_KEY_LENGTH
    ):
        return []
    return [
        Error(
            "SECRET_KEY is missing from the environment or shorter than "
            f"{MIN_SECRET_KEY_LENGTH} characters: sessions, carts and signed links made on "
            "one node would not verify on another.",
            hint="Give every node the same SECRET_KEY in its environment, e.g. from "
            "python -c 'import secrets; print(secrets.token_urlsafe(64))'.",
            id="bungu.E004",
        )
    ]


@register()
def check_tasks(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if not _cluster():
        return []
    tasks: dict[str, dict[str, Any]] = getattr(settings, "TASKS", {})
    return [
        Error(
            f"The task backend {alias!r} ({backend['BACKEND']}) runs jobs only in the process "
            "that enqueues them, or never: no node's worker would take them, retry them or "
            "run the periodic jobs once for all nodes.",
            hint="Use the database backend on PostgreSQL (django_tasks_db.DatabaseBackend) or "
            "the task engine on Redis (BUNGU_TASKS_URL).",
            id="bungu.E005",
        )
        for alias, backend in tasks.items()
        if backend.get("BACKEND") in NODE_ONLY_TASK_BACKENDS
    ]


@register()
def check_erasure_journal(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    if not _cluster():
        return []
    journal = Path(settings.BUNGU_ERASURE_JOURNAL_DIR).resolve()
    own = Path(settings.VAR_DIR).resolve()
    if not journal.is_relative_to(own):
        return []
    return [
        Error(
            f"The erasure journal's copy goes to {journal}, inside this node's own "
            "BUNGU_VAR_DIR: a restore run on another machine would not replay the erasures "
            "made through this node, and customers erased since the backup would come back.",
            hint="Set BUNGU_ERASURE_JOURNAL_DIR on every node to one directory on storage they "
            "all mount (beside the backups, not on the database's disk).",
            id="bungu.E006",
        )
    ]


@register()
def check_replica_reads(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    known = {model._meta.label_lower for model in apps.get_models()}
    errors: list[CheckMessage] = []
    for label in sorted(db_routing.REPLICA_READS):
        if db_routing.is_primary_only(label):
            errors.append(
                Error(
                    f"{label} is on the replica's allow-list but must always be read from the "
                    "primary (stock, carts, payments, orders, accounts, sessions, privacy).",
                    hint="Remove it from REPLICA_READS in bungu/db_routing.py.",
                    id="bungu.E010",
                )
            )
        elif label not in known:
            errors.append(
                Error(
                    f"{label} is on the replica's allow-list but is no model.",
                    hint="Name models as app_label.modelname in REPLICA_READS.",
                    id="bungu.E010",
                )
            )
    return errors
