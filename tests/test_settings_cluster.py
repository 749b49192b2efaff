"""The cluster profile read from a real environment, as each node reads it: the production
profile's rules hold, the replica is wired, and `bungu check` refuses single-node parts.

Settings are read once per process, so each case runs the `bungu` command in a subprocess.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_settings_production import _env, _run

PRINT_SETTINGS = """
import json
import django
from django.conf import settings
django.setup()
print(json.dumps({
    "PRODUCTION": settings.PRODUCTION,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_NAME": settings.SESSION_COOKIE_NAME,
    "DATABASES": {alias: db["ENGINE"] for alias, db in settings.DATABASES.items()},
    "REPLICA_TEST": settings.DATABASES.get("replica", {}).get("TEST"),
    "DATABASE_ROUTERS": settings.DATABASE_ROUTERS,
    "MIDDLEWARE": settings.MIDDLEWARE,
    "CACHE": settings.CACHES["default"]["BACKEND"],
    "SESSION_ENGINE": settings.SESSION_ENGINE,
}))
"""


def _cluster_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    shared: dict[str, str | None] = {
        "BUNGU_PROFILE": "cluster",
        # Never connected to by `check`: only the engines are read.
        "DATABASE_URL": "postgres://bungu@127.0.0.1:1/bungu",
        "DATABASE_REPLICA_URL": "postgres://bungu@127.0.0.1:2/bungu",
        "BUNGU_CACHE_URL": "redis://127.0.0.1:3/0",
        "BUNGU_MEDIA_SHARED": "1",
        # Outside the node's own BUNGU_VAR_DIR (tmp_path): storage every node mounts.
        "BUNGU_ERASURE_JOURNAL_DIR": str(tmp_path.with_name(f"{tmp_path.name}-shared")),
    }
    return _env(tmp_path, **(shared | overrides))


def test_a_cluster_of_shared_parts_is_clean_under_check_deploy(tmp_path):
    result = _run(
        ["-m", "bungu", "check", "--deploy", "--fail-level", "WARNING"], _cluster_env(tmp_path)
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_the_cluster_profile_is_the_production_profile_with_a_replica(tmp_path):
    result = _run(["-c", PRINT_SETTINGS], _cluster_env(tmp_path))

    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["PRODUCTION"] is True
    assert found["SECURE_SSL_REDIRECT"] is True
    assert found["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert found["DATABASES"] == {
        "default": "django.db.backends.postgresql",
        "replica": "django.db.backends.postgresql",
    }
    # The test suite runs on one database: the replica mirrors it.
    assert found["REPLICA_TEST"]["MIRROR"] == "default"
    assert found["DATABASE_ROUTERS"] == ["bungu.db_routing.ReplicaRouter"]
    middleware = found["MIDDLEWARE"]
    assert middleware.index("bungu.db_routing.ReplicaReadsMiddleware") == (
        middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1
    )
    assert found["CACHE"] == "django.core.cache.backends.redis.RedisCache"


def test_without_a_replica_no_router_is_installed(tmp_path):
    result = _run(["-c", PRINT_SETTINGS], _cluster_env(tmp_path, DATABASE_REPLICA_URL=None))

    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["DATABASE_ROUTERS"] == []
    assert "bungu.db_routing.ReplicaReadsMiddleware" not in found["MIDDLEWARE"]


def test_a_node_with_single_node_parts_is_refused_by_check(tmp_path):
    env = _cluster_env(
        tmp_path,
        DATABASE_URL=None,
        DATABASE_REPLICA_URL=None,
        BUNGU_CACHE_URL=None,
        BUNGU_MEDIA_SHARED=None,
        BUNGU_ERASURE_JOURNAL_DIR=None,
    )
    result = _run(["-m", "bungu", "check"], env)

    assert result.returncode != 0
    for error in ("bungu.E001", "bungu.E002", "bungu.E003", "bungu.E006"):
        assert error in result.stderr, result.stderr
    assert "bungu.E004" not in result.stderr


def test_the_cluster_profile_still_requires_a_secret_key(tmp_path):
    result = _run(["-m", "bungu", "check"], _cluster_env(tmp_path, SECRET_KEY=None))

    assert result.returncode != 0
    assert "SECRET_KEY must be set in the production profile." in result.stderr


def test_sessions_live_in_the_database_alone_with_a_shared_cache(tmp_path):
    """With Redis as the cache, no session is read from it (a login or a sign-out with Redis
    down would fail, and an ended session could come back from it); with the machine's own
    file cache (the control), sessions are read from the cache."""
    shared = _run(["-c", PRINT_SETTINGS], _cluster_env(tmp_path))
    own = _run(["-c", PRINT_SETTINGS], _env(tmp_path))

    assert shared.returncode == 0, shared.stderr
    assert own.returncode == 0, own.stderr
    assert json.loads(shared.stdout)["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
    assert json.loads(own.stdout)["SESSION_ENGINE"] == (
        "django.contrib.sessions.backends.cached_db"
    )
