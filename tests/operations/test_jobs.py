"""The periodic jobs each app declares in its jobs.py: found, run when due, failures reported."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.utils import timezone

from bungu.operations import registry, services
from bungu.operations.models import JobRun
from bungu.periodic import Job
from tests.operations.jobs_app import jobs as planted_jobs

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0)
PLANTED_APP = "tests.operations.jobs_app"
REAL_JOBS = [
    "account deletions (P22)",
    "retention (P5)",
    "stuck mail",
    "returned mail (P21)",
    "sessions (P3, P5)",
    "payment reconciliation",
    # P24: reminders are a campaign kind, started by the marketing app's job.
    "notice reminders (P24)",
    "campaigns (P17, P21, P25)",
    # P8: a PSI exchange's key and list of members go when it expires.
    "list comparison exchanges (P8)",
    "log retention (P5)",
]


@pytest.fixture
def planted_app(settings: object) -> Iterator[list[tuple[str, datetime.datetime]]]:
    """An app that declares two jobs in its jobs.py, installed like any other."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, PLANTED_APP]  # type: ignore[attr-defined]
    planted_jobs.RAN.clear()
    yield planted_jobs.RAN
    planted_jobs.RAN.clear()


def _names(outcomes: list[services.Outcome]) -> list[str]:
    return [outcome.job for outcome in outcomes]


def test_every_app_s_declared_jobs_are_found_in_the_order_of_the_apps() -> None:
    assert [job.name for job in registry.declared_jobs()] == REAL_JOBS


def test_a_job_declared_by_an_app_is_found_and_run(planted_app: list[object]) -> None:
    assert [job.name for job in registry.declared_jobs()] == [
        *REAL_JOBS,
        "planted: every ten minutes",
        "planted: broken",
    ]

    outcomes = services.run_jobs(now=T0)

    assert ("often", T0) in planted_app
    assert str(outcomes[-2]) == "planted: every ten minutes: counted"
    assert JobRun.objects.get(job="planted: every ten minutes").failed is False


def test_a_job_that_raises_is_reported_and_the_others_still_run(
    planted_app: list[object],
) -> None:
    outcomes = services.run_jobs(now=T0)

    assert _names(outcomes) == [*REAL_JOBS, "planted: every ten minutes", "planted: broken"]
    assert [o.job for o in outcomes if o.failed] == ["planted: broken"]
    assert str(outcomes[-1]) == (
        "planted: broken: FAILED: ConnectionError: payment processor unreachable"
    )
    assert JobRun.objects.get(job="planted: broken").failed is True
    finished = JobRun.objects.filter(failed=False, finished_at__isnull=False)
    assert finished.count() == len(REAL_JOBS) + 1
    total = len(REAL_JOBS) + 2
    with pytest.raises(CommandError, match=rf"^1 of {total} jobs failed: planted: broken$"):
        call_command("housekeeping", stdout=StringIO())


def test_each_job_runs_when_its_own_interval_has_passed(
    planted_app: list[object], settings: object
) -> None:
    settings.BUNGU_HOUSEKEEPING_MINUTES = 60  # type: ignore[attr-defined]
    every = [*REAL_JOBS, "planted: every ten minutes", "planted: broken"]

    assert _names(services.run_jobs(now=T0, only_due=True)) == every
    assert services.next_run_at(now=T0) == T0 + datetime.timedelta(minutes=10)
    assert services.run_jobs(now=T0 + datetime.timedelta(minutes=9), only_due=True) == []

    later = T0 + datetime.timedelta(minutes=10)
    assert _names(services.run_jobs(now=later, only_due=True)) == [
        "returned mail (P21)",
        "payment reconciliation",
        "campaigns (P17, P21, P25)",
        "planted: every ten minutes",
    ]
    assert services.next_run_at(now=later) == T0 + datetime.timedelta(minutes=20)

    # An hour on, the hourly jobs are due again, the failed one with them.
    hour = T0 + datetime.timedelta(minutes=60)
    assert _names(services.run_jobs(now=hour, only_due=True)) == every


def test_a_job_being_run_is_not_run_again_by_a_second_runner(planted_app: list[object]) -> None:
    services.run_jobs(now=T0, only_due=True)
    planted_app.clear()

    # Another worker, or cron, a second later: nothing is due.
    assert services.run_jobs(now=T0 + datetime.timedelta(seconds=1), only_due=True) == []
    assert planted_app == []


def test_the_command_lists_the_jobs_with_their_intervals_and_last_runs(
    planted_app: list[object],
) -> None:
    services.run_jobs(now=T0)
    out = StringIO()

    call_command("housekeeping", "--list", stdout=out)

    lines = out.getvalue().splitlines()
    when = f"{timezone.localtime(T0):%Y-%m-%d %H:%M}"
    assert lines[0] == f"account deletions (P22): every 1:00:00, last run {when} (ok)"
    assert lines[-2] == f"planted: every ten minutes: every 0:10:00, last run {when} (ok)"
    assert lines[-1] == f"planted: broken: every 1:00:00, last run {when} (failed)"


def test_the_command_runs_only_due_jobs_with_due(planted_app: list[object]) -> None:
    services.run_jobs(now=timezone.now())
    planted_app.clear()
    out = StringIO()

    call_command("housekeeping", "--due", stdout=out)

    assert out.getvalue() == ""
    assert planted_app == []


# ---------------------------------------------------------------- bad declarations
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": " "}, "A job needs a name"),
        ({"name": "x" * 101}, "A job needs a name"),
        ({"every": datetime.timedelta(seconds=30)}, "at most once a minute"),
    ],
)
def test_a_malformed_job_is_refused(fields: dict[str, object], message: str) -> None:
    declaration: dict[str, object] = {"name": "ok", "run": planted_jobs.count_something, **fields}

    with pytest.raises(ValueError, match=message):
        Job(**declaration)  # type: ignore[arg-type]


def test_jobs_that_are_not_jobs_or_share_a_name_are_refused(
    planted_app: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planted_jobs, "JOBS", [planted_jobs.count_something])
    with pytest.raises(ImproperlyConfigured, match=r"jobs_app\.jobs\.JOBS holds .*, not a Job"):
        registry.declared_jobs()

    twice = Job("stuck mail", planted_jobs.count_something)
    monkeypatch.setattr(planted_jobs, "JOBS", [twice])
    with pytest.raises(ImproperlyConfigured, match="Two jobs are named 'stuck mail'"):
        registry.declared_jobs()
