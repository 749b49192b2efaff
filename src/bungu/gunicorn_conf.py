"""gunicorn's configuration for the shop: ``gunicorn -c python:bungu.gunicorn_conf bungu.wsgi``.

It puts gunicorn's workers in prometheus_client's multiprocess mode: each worker writes its
metrics (``bungu.metrics``) to files under ``$BUNGU_VAR_DIR/metrics`` (the settings'
``BUNGU_METRICS_DIR``), which ``bungu metrics`` adds up. The directory is emptied when gunicorn
starts, so a new run does not count the workers of the last one.

Read by gunicorn's master process before Django is set up: it imports nothing of the shop.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

METRICS_DIR = Path(os.environ.get("BUNGU_VAR_DIR", "var")).resolve() / "metrics"
# Set here, when gunicorn reads this file, so that it is in place before any worker (or the
# master with --preload) first imports prometheus_client, which reads it then.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(METRICS_DIR)


def on_starting(server: Any) -> None:
    """Before the first worker starts: forget the files of an earlier run."""
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
    METRICS_DIR.mkdir(parents=True)
