"""The production profile: clean under `check --deploy`, TLS everywhere, refuses to start unsafe.

Settings are read once per process, so each case runs the `bungu` command in a subprocess.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

PRINT_SETTINGS = """
import json
import django
from django.conf import settings
django.setup()
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "SECURE_PROXY_SSL_HEADER": settings.SECURE_PROXY_SSL_HEADER,
    "SESSION_COOKIE_NAME": settings.SESSION_COOKIE_NAME,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": settings.SESSION_COOKIE_HTTPONLY,
    "CSRF_COOKIE_NAME": settings.CSRF_COOKIE_NAME,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "upgrade-insecure-requests": settings.CONTENT_SECURITY_POLICY["DIRECTIVES"].get(
        "upgrade-insecure-requests"
    ),
}))
"""


def _env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BUNGU_", "DATABASE_URL", "SECRET_KEY", "DJANGO_"))
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "bungu.settings",
        "BUNGU_PROFILE": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BUNGU_ALLOWED_HOSTS": "shop.example.com",
        "BUNGU_VAR_DIR": str(tmp_path),
        "BUNGU_PROCESSOR_API_KEY": secrets.token_urlsafe(30),
        "BUNGU_PROCESSOR_WEBHOOK_SECRETS": secrets.token_urlsafe(30),
    }
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_check_deploy_is_clean_in_production(tmp_path):
    result = _run(["-m", "bungu", "check", "--deploy", "--fail-level", "WARNING"], _env(tmp_path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_production_is_tls_only_with_host_only_secure_cookies(tmp_path):
    result = _run(["-c", PRINT_SETTINGS], _env(tmp_path))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 63_072_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "CSRF_COOKIE_SECURE": True,
        "ALLOWED_HOSTS": ["shop.example.com"],
        "upgrade-insecure-requests": True,
    }


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY must be set in the production profile."),
        ("BUNGU_ALLOWED_HOSTS", "BUNGU_ALLOWED_HOSTS must be set in the production profile."),
        (
            "BUNGU_PROCESSOR_API_KEY",
            "BUNGU_PROCESSOR_API_KEY must be set in the production profile.",
        ),
        (
            "BUNGU_PROCESSOR_WEBHOOK_SECRETS",
            "BUNGU_PROCESSOR_WEBHOOK_SECRETS must be set in the production profile.",
        ),
    ],
)
def test_production_refuses_to_start_without_its_secrets(tmp_path, missing, message):
    result = _run(["-m", "bungu", "check"], _env(tmp_path, **{missing: None}))

    assert result.returncode != 0
    assert f"django.core.exceptions.ImproperlyConfigured: {message}" in result.stderr
    # Nothing was generated to stand in for the missing secret.
    assert not (tmp_path / "secret_key").exists()


def test_production_with_another_gateway_needs_no_sandbox_key(tmp_path):
    env = _env(
        tmp_path,
        BUNGU_PAYMENT_GATEWAY="bungu.payments.interface.Gateway",
        BUNGU_PROCESSOR_API_KEY=None,
        BUNGU_PROCESSOR_WEBHOOK_SECRETS=None,
    )
    result = _run(["-m", "bungu", "check"], env)

    assert result.returncode == 0, result.stderr


def test_an_unknown_profile_is_refused(tmp_path):
    result = _run(["-m", "bungu", "check"], _env(tmp_path, BUNGU_PROFILE="staging"))

    assert result.returncode != 0
    refused = "BUNGU_PROFILE must be development, production or cluster, not 'staging'"
    assert refused in result.stderr
