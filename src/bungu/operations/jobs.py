"""The operations app's periodic job: the servers' log files kept no longer than the data
map declares (P5; bungu.operations finds this module like every app's)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from bungu import privacy
from bungu.periodic import Job


def delete_expired_logs(*, now: datetime) -> str:
    if settings.LOG_DIR is None:
        return "no log directory (BUNGU_LOG_DIR) to clean"
    deleted = privacy.delete_expired_log_files(
        directory=settings.LOG_DIR, today=timezone.localdate(now)
    )
    return f"{len(deleted)} log file(s) past their retention deleted"


JOBS = [Job("log retention (P5)", delete_expired_logs)]
