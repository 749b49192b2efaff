"""The accounts app's periodic jobs (bungu.operations finds this module and runs them)."""

from __future__ import annotations

from datetime import datetime
from importlib import import_module

from django.conf import settings

from bungu.periodic import Job

from .sessions import purge_ended_sessions


def clear_sessions(*, now: datetime) -> str:
    """P3, P5: ended and expired sessions go, with the records of them the customer sees."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
    return f"{purge_ended_sessions()} ended session record(s) deleted"


JOBS = [Job("sessions (P3, P5)", clear_sessions)]
