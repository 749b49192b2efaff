"""The periodic jobs (P5, P22, P24) and the worker schedule that keeps them running."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from bungu import privacy
from bungu.accounts.models import PriorVersion
from bungu.mail.models import OutboxMessage
from bungu.marketing import jobs as marketing_jobs
from bungu.marketing.models import Campaign, CampaignKind, CampaignState, RecipientState
from bungu.operations import registry, services
from bungu.operations.tasks import housekeeping as housekeeping_task
from bungu.periodic import Job
from bungu.privacy.models import NoticeReminder
from tests.accounts.factories import CustomerFactory
from tests.privacy.factories import V1_PRACTICES
from tests.worker import DATABASE_TASKS, run_worker

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _due_deletion() -> object:
    customer = CustomerFactory(email="leaving@example.com")
    grace = datetime.timedelta(days=settings.BUNGU_DELETION_GRACE_DAYS)
    privacy.request_account_deletion(
        subject=customer, now=NOW - grace - datetime.timedelta(hours=1)
    )
    return customer


def test_p22_p5_one_run_erases_due_accounts_and_expired_records() -> None:
    leaving = _due_deletion()
    staying = CustomerFactory(email="staying@example.com")
    old = PriorVersion.objects.create(
        customer=staying,
        kind=PriorVersion.Kind.PROFILE,
        change=PriorVersion.Change.CHANGED,
        snapshot={"phone": "+81 3 1234 5678"},
        changed_at=NOW - datetime.timedelta(days=731),
    )
    Session.objects.create(
        session_key="e" * 32, session_data="x", expire_date=NOW - datetime.timedelta(days=1)
    )

    outcomes = services.run_jobs(now=NOW)

    leaving.refresh_from_db()
    assert leaving.email.endswith("@erased.invalid")
    assert get_user_model().objects.get(pk=staying.pk).email == "staying@example.com"
    assert not PriorVersion.objects.filter(pk=old.pk).exists()
    assert not Session.objects.filter(session_key="e" * 32).exists()
    assert [o.failed for o in outcomes] == [False] * len(registry.declared_jobs())
    assert str(outcomes[0]) == "account deletions (P22): 1 account(s) erased"


def test_a_failing_job_is_reported_and_the_others_still_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*, now: datetime.datetime) -> str:
        raise ConnectionError("mail server unreachable")

    jobs = [Job("broken", broken), *registry.declared_jobs()]
    monkeypatch.setattr(services, "declared_jobs", lambda: jobs)
    leaving = _due_deletion()

    with pytest.raises(CommandError, match=r"1 of \d+ jobs failed: broken"):
        call_command("housekeeping", stdout=StringIO())

    leaving.refresh_from_db()
    assert leaving.email.endswith("@erased.invalid")


def test_p24_a_new_notice_is_announced_once_and_an_old_one_not_again(settings: object) -> None:
    settings.EMAIL_BACKEND = "bungu.mail.backends.OutboxBackend"  # type: ignore[attr-defined]
    CustomerFactory(email="old@example.com", date_joined=NOW - datetime.timedelta(days=400))
    v2 = privacy.publish_notice(
        effective=timezone.localdate(NOW),
        text="## Version two",
        practices=V1_PRACTICES,
    )

    services.run_jobs(now=NOW)
    services.run_jobs(now=NOW)

    # The reminder is a campaign now (one per version), sent by the campaigns job that runs
    # after it: the customer is on it once, and was dealt with (here held back by P25: their
    # address predates every notice), never twice.
    (campaign,) = Campaign.objects.filter(kind=CampaignKind.NOTICE_REMINDER)
    assert (campaign.notice_version, campaign.state) == (v2.version, CampaignState.DONE)
    assert list(campaign.recipients.values_list("customer__email", "state")) == [
        ("old@example.com", RecipientState.SKIPPED)
    ]
    assert OutboxMessage.objects.count() == 0  # held back before it reached the outbox
    assert NoticeReminder.objects.filter(notice=v2).count() == 1
    later = NOW + marketing_jobs.NOTICE_REMINDER_WINDOW + datetime.timedelta(days=1)
    assert marketing_jobs.announce_current_notice(now=later) == "no new notice to announce"


def test_without_a_deferring_task_backend_scheduling_says_to_use_cron(settings: object) -> None:
    settings.TASKS = {  # type: ignore[attr-defined]
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    }
    with pytest.raises(CommandError, match="run `bungu housekeeping` from cron"):
        call_command("housekeeping", "--schedule", stdout=StringIO())


# The worker closes connections it finds inside a transaction: this test commits for real.
@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_housekeeping_and_queues_the_next_run(settings: object) -> None:
    settings.TASKS = DATABASE_TASKS  # type: ignore[attr-defined]
    leaving = _due_deletion()
    out = StringIO()

    call_command("housekeeping", "--schedule", stdout=out)
    call_command("housekeeping", "--schedule", stdout=out)

    assert DBTaskResult.objects.filter(status="READY").count() == 1
    assert "already queued" in out.getvalue()

    run_worker()

    leaving.refresh_from_db()
    assert leaving.email.endswith("@erased.invalid")
    done = DBTaskResult.objects.get(status="SUCCESSFUL")
    assert done.task_path == housekeeping_task.module_path
    assert "account deletions (P22): 1 account(s) erased" in done.return_value
    following = DBTaskResult.objects.get(status="READY")
    # The next run is queued for the job due soonest: payment reconciliation, every 10 minutes.
    assert following.run_after - done.finished_at == pytest.approx(
        datetime.timedelta(minutes=10), abs=datetime.timedelta(seconds=30)
    )
