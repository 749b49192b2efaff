"""The shop and the sandbox processor share no code, so their matching development key and
webhook secret are checked here: `make run` works with neither set."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.processor import SRC

READ = """
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{module}")
import django
from django.conf import settings
django.setup()
print(json.dumps([getattr(settings, name) for name in {names!r}]))
"""


def _read(module: str, names: list[str], env: dict[str, str]) -> list[object]:
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", READ.format(module=module, names=names)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=env["HOME_FOR_TEST"],
    )
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


def test_the_shop_and_the_processor_default_to_the_same_key_and_secret(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BUNGU_", "CARDSANDBOX_", "DJANGO_", "PROCESSOR_", "PORT"))
    } | {
        "PYTHONPATH": str(SRC),
        "BUNGU_VAR_DIR": str(tmp_path / "shop"),
        "CARDSANDBOX_VAR_DIR": str(tmp_path / "processor"),
        "HOME_FOR_TEST": str(tmp_path),
    }

    shop_key, shop_secrets, shop_url = _read(
        "bungu.settings",
        ["BUNGU_PROCESSOR_API_KEY", "BUNGU_PROCESSOR_WEBHOOK_SECRETS", "BUNGU_PROCESSOR_URL"],
        env,
    )
    processor_key, processor_secrets, processor_url = _read(
        "cardsandbox.settings", ["API_KEY", "WEBHOOK_SECRETS", "PUBLIC_URL"], env
    )

    assert shop_key == processor_key
    assert shop_secrets == processor_secrets[:1]
    assert shop_url == processor_url == "http://127.0.0.1:8001"
