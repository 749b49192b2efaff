"""The bench-only baseline page exists only when asked for, and never in production."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Runs in a fresh interpreter because the URL configuration reads the flag once, at import.
_FETCH_BARE_PAGE = """
import django
django.setup()
from django.test import Client
response = Client().get("/__bench__/bare/")
print(response.status_code, response.content.decode())
"""


def _run_django(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BUNGU_", "SECRET_KEY"))}
    return subprocess.run(  # noqa: S603 - our own interpreter running a fixed script
        [sys.executable, "-c", _FETCH_BARE_PAGE],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "bungu.settings",
            "BUNGU_VAR_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.django_db
def test_bare_page_is_absent_by_default(client):
    assert client.get("/__bench__/bare/").status_code == 404


def test_flag_serves_the_bare_page_through_the_whole_stack(tmp_path):
    result = _run_django({"BUNGU_BENCH_BASELINE": "1"}, tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "200 ok\n"


def test_flag_is_refused_in_production(tmp_path):
    result = _run_django(
        {
            "BUNGU_BENCH_BASELINE": "1",
            "BUNGU_PROFILE": "production",
            "SECRET_KEY": "x" * 60,
            "BUNGU_ALLOWED_HOSTS": "shop.example.com",
        },
        tmp_path,
    )

    assert result.returncode == 1
    assert "BUNGU_BENCH_BASELINE is for `make bench`, never for production." in result.stderr
    assert result.stdout == ""
