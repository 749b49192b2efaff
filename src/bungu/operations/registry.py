"""Finding the periodic jobs: every installed app's ``jobs.py`` (``bungu.periodic``), read
the way the admin reads ``admin.py``, in the order of INSTALLED_APPS."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import module_has_submodule

from bungu.periodic import DECLARATIONS_MODULE, Job


def housekeeping_interval() -> timedelta:
    """How often a job that does not say otherwise is due (BUNGU_HOUSEKEEPING_MINUTES)."""
    return timedelta(minutes=int(getattr(settings, "BUNGU_HOUSEKEEPING_MINUTES", 60)))


def interval_of(job: Job) -> timedelta:
    return job.every or housekeeping_interval()


def declared_jobs() -> list[Job]:
    """Every job the installed apps declare. Raises ImproperlyConfigured for a ``JOBS`` that
    holds something else than Jobs, or a name declared twice (the runner tells jobs apart by
    name)."""
    found: dict[str, Job] = {}
    for app_config in apps.get_app_configs():
        if not module_has_submodule(app_config.module, DECLARATIONS_MODULE):
            continue
        module = import_module(f"{app_config.name}.{DECLARATIONS_MODULE}")
        for job in getattr(module, "JOBS", ()):
            if not isinstance(job, Job):
                raise ImproperlyConfigured(f"{module.__name__}.JOBS holds {job!r}, not a Job.")
            if job.name in found:
                raise ImproperlyConfigured(f"Two jobs are named {job.name!r}.")
            found[job.name] = job
    return list(found.values())
