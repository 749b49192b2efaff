"""The shop's tasks on RQ (issue 14, items 6 and 12), with real processes on loopback: a
real Redis (``tests/redis_server.py``), ``bungu worker`` on two "nodes" sharing the database (a WAL
file on SQLite, the test database on PostgreSQL) and Redis.

- 1,000 tasks, two workers competing: each runs once (effects counted in the database).
- Ten times a node killed (SIGKILL, the whole process tree) mid-task: no task stays stuck.
  RQ's clean-up of the started-job registry finds the dead worker's job once its heartbeat
  lapses and *retries* it (the shop's retry policy); with no retry left it is marked failed,
  and the Tasks API shows it FAILED.
- A task that raises is retried after growing pauses, then left failed and visible.
- Periodic jobs: housekeeping runs fired on both nodes at once run each due job once per due
  time (the claim in the shared database); with the claim switched off it runs several times.
- A campaign sent by both nodes, one killed mid-send: each recipient gets one message.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus, default_task_backend
from rq.queue import Queue
from rq.registry import BaseRegistry, FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.worker import Worker

from bungu.marketing.lifecycle import begin_campaign
from bungu.marketing.models import Campaign, CampaignRecipient, CampaignState, RecipientState
from bungu.marketing.tasks import schedule_sending
from bungu.operations import task_engine
from bungu.operations.models import JobRun
from bungu.operations.registry import declared_jobs
from bungu.operations.tasks import housekeeping, next_housekeeping, schedule_housekeeping
from tests.accounts.factories import CustomerFactory
from tests.checkout.conftest import shared_database
from tests.marketing.factories import CampaignFactory
from tests.redis_server import RedisServer, redis_server

from .rq_nodes import Node, node_environment, wait_for
from .rq_workload import effects
from .rq_workload.jobs import NAME as PERIODIC_JOB
from .rq_workload.tasks import fail_at_first, record_effect

__all__ = ["redis_server", "shared_database"]

pytestmark = pytest.mark.django_db(transaction=True)

TASKS = 1000
KILLS = 10
# The nodes' SECRET_KEY: the campaigns' Message-IDs carry a return tag keyed from it (P21).
NODE_SECRET = "s" * 50


@pytest.fixture
def rq_settings(settings: object, redis_server: RedisServer) -> RedisServer:
    """This process enqueues through the RQ backend, as a node with BUNGU_TASKS_URL does."""
    settings.TASKS = {  # type: ignore[attr-defined]
        "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}
    }
    settings.RQ_QUEUES = {"default": {"URL": redis_server.url, "DEFAULT_TIMEOUT": 3600}}  # type: ignore[attr-defined]
    settings.RQ = {  # type: ignore[attr-defined]
        "JOB_CLASS": "django_tasks_rq.backend.Job",
        "QUEUE_CLASS": "bungu.operations.task_engine.RetryingQueue",
    }
    settings.TASK_RETRY_SECONDS = [1, 2]  # type: ignore[attr-defined]
    return redis_server


@pytest.fixture
def workload(shared_database: str) -> Iterator[str]:
    effects.create_table()
    yield shared_database
    effects.drop_table()


@pytest.fixture
def nodes(workload: str, rq_settings: RedisServer, tmp_path: Path) -> Iterator[dict[str, Node]]:
    """Two nodes, not started, on the shared database and Redis."""
    made = {
        name: Node(
            name,
            node_environment(
                database_url=workload,
                redis_url=rq_settings.url,
                var_dir=tmp_path / name,
                SECRET_KEY=NODE_SECRET,
            ),
            tmp_path / f"{name}.log",
        )
        for name in ("node-a", "node-b")
    }
    yield made
    for node in made.values():
        node.stop()


def _queue() -> Queue:
    return task_engine.rq_queue("default")


def _ids(registry: type[BaseRegistry]) -> list[str]:
    """What a registry holds, as it is: the test looks, and leaves RQ's clean-ups (finding
    abandoned jobs) to the workers."""
    return registry(queue=_queue()).get_job_ids(cleanup=False)  # type: ignore[no-untyped-call]


def _idle(*, scheduled: bool = True) -> bool:
    """Nothing queued or running (nor, unless ``scheduled`` is False, held for later)."""
    return (
        _queue().count == 0
        and not _ids(StartedJobRegistry)
        and (not scheduled or not _ids(ScheduledJobRegistry))
    )


def _logs(nodes: dict[str, Node]) -> str:
    return "\n".join(f"--- {name}\n{node.tail()}" for name, node in nodes.items())


def test_each_of_1000_tasks_runs_once_with_two_workers_competing(
    nodes: dict[str, Node],
) -> None:
    for node in nodes.values():
        node.start()
    results = [record_effect.enqueue(key=f"k{n:04d}") for n in range(TASKS)]

    wait_for(
        lambda: sum(effects.counts("effect").values()) >= TASKS and _idle(),
        seconds=600,
        what=f"{TASKS} effects\n{_logs(nodes)}",
    )

    counted = effects.counts("effect")
    assert set(counted) == {f"k{n:04d}" for n in range(TASKS)}
    assert [key for key, times in counted.items() if times != 1] == []
    assert effects.counts("attempt") == counted
    # Both nodes took part: they competed for the same queue.
    workers = Counter(worker.rsplit("-", 1)[0] for _, worker, _ in effects.rows("effect"))
    assert set(workers) == {"node-a", "node-b"}, workers
    statuses = Counter(default_task_backend.get_result(r.id).status for r in results)
    assert statuses == {TaskResultStatus.SUCCESSFUL: TASKS}

    # Positive control: a task that did run twice is caught by the same count.
    record_effect.enqueue(key="k0007")
    wait_for(lambda: effects.counts("effect")["k0007"] == 2 and _idle(), seconds=60, what="k0007")
    assert [key for key, times in effects.counts("effect").items() if times != 1] == ["k0007"]


def _running_job(worker_name: str) -> str | None:
    queue = _queue()
    worker = Worker.find_by_key(
        Worker.redis_worker_namespace_prefix + worker_name, queue.connection
    )
    return None if worker is None else worker.get_current_job_id()


def _mid_task(worker_name: str, key_of: dict[str, str]) -> str | None:
    """The job the worker runs, once it recorded its attempt and not yet its effect."""
    job_id = _running_job(worker_name)
    if job_id is None or job_id not in key_of:
        return None
    key = key_of[job_id]
    attempted = any(k == key and w == worker_name for k, w, _ in effects.rows("attempt"))
    return job_id if attempted and effects.counts("effect")[key] == 0 else None


def test_a_node_killed_mid_task_ten_times_leaves_no_task_stuck(
    nodes: dict[str, Node], settings: object
) -> None:
    """Killed jobs are retried (found by RQ's clean-up of the started-job registry once their
    heartbeat is 60 s old); the first one has no retry left and ends failed, visibly."""
    settings.TASK_RETRY_SECONDS = []  # type: ignore[attr-defined]
    fragile = record_effect.enqueue(key="fragile", pause=30)
    settings.TASK_RETRY_SECONDS = [1, 2]  # type: ignore[attr-defined]
    keys = [f"slow{n:03d}" for n in range(200)]
    results = {key: record_effect.enqueue(key=key, pause=0.5) for key in keys}
    key_of = {result.id: key for key, result in results.items()} | {fragile.id: "fragile"}
    killed: list[tuple[str, str]] = []
    killed_at: dict[str, float] = {}
    attempts = 0
    while len(killed) < KILLS:
        attempts += 1
        assert attempts <= 3 * KILLS, f"only {len(killed)} kills landed mid-task"
        kill = len(killed)
        victim = nodes["node-a"] if kill % 2 == 0 else nodes["node-b"]
        survivor = nodes["node-b"] if victim is nodes["node-a"] else nodes["node-a"]
        if victim.process is None:
            victim.start()
        name = victim.worker_names[-1]
        # The first kill takes the fragile job, the first in the queue, with node B down.
        if kill > 0 and survivor.process is None:
            survivor.start()
        wait_for(
            lambda n=name: _mid_task(n, key_of),
            seconds=60,
            what=f"{name} mid-task\n{_logs(nodes)}",
        )
        job_id = _mid_task(name, key_of)
        victim.kill()
        assert job_id is not None
        if kill > 0 and effects.counts("effect")[key_of[job_id]]:
            # On a busy machine the job ended between being seen and the kill: that kill
            # took no task of ours mid-way (whatever it did take is retried like the rest).
            continue
        killed.append((job_id, name))
        killed_at[job_id] = time.time()
        # Stopped mid-task: started in RQ's registry, no effect written.
        assert job_id in _ids(StartedJobRegistry)
        assert effects.counts("effect")[key_of[job_id]] == 0
    assert killed[0][0] == fragile.id
    for node in nodes.values():
        if node.process is None:
            node.start()

    wait_for(
        lambda: sum(effects.counts("effect").values()) >= len(keys) and _idle(),
        seconds=400,
        what=f"every task done or failed\n{_logs(nodes)}",
    )

    # Each task's effect once; none stuck: every result is final.
    assert effects.counts("effect") == Counter(dict.fromkeys(keys, 1))
    statuses = Counter(default_task_backend.get_result(r.id).status for r in results.values())
    assert statuses == {TaskResultStatus.SUCCESSFUL: len(keys)}
    queue = _queue()
    effect_by = {key: worker for key, worker, _ in effects.rows("effect")}
    for job_id, worker_name in killed[1:]:
        job = queue.fetch_job(job_id)
        assert job is not None
        assert "rq.exceptions.AbandonedJobError" in job.meta["_django_tasks_rq_exceptions"]
        assert effect_by[key_of[job_id]] != worker_name
    assert len({job_id for job_id, _ in killed}) == KILLS
    done_at = {key: at for key, _, at in effects.rows("effect")}
    # The figure for the cluster report (shown with -s or -rP): how late a dead node's task was.
    late = max(done_at[key_of[job_id]] - killed_at[job_id] for job_id, _ in killed[1:])
    print(f"cluster figure: worst seconds from a node's kill to its task done: {late:.1f}")  # noqa: T201 - a figure for the report
    # The one without a retry left: failed, and visible as such through the Tasks API.
    failed = default_task_backend.get_result(fragile.id)
    assert failed.status == TaskResultStatus.FAILED
    assert "AbandonedJobError" in failed.errors[-1].traceback
    assert failed.errors[-1].exception_class_path == "rq.exceptions.AbandonedJobError"
    assert _ids(FailedJobRegistry) == [fragile.id]
    assert effects.counts("effect")["fragile"] == 0


def test_a_task_that_raises_is_retried_with_growing_pauses_then_left_failed(
    nodes: dict[str, Node], settings: object
) -> None:
    settings.TASK_RETRY_SECONDS = [1, 4]  # type: ignore[attr-defined]
    nodes["node-a"].start()
    recovers = fail_at_first.enqueue(key="recovers", failures=2)
    never = fail_at_first.enqueue(key="never", failures=99)

    wait_for(
        lambda: (
            len(effects.counts("attempt")) == 2
            and sum(effects.counts("attempt").values()) == 6
            and _idle()
        ),
        seconds=120,
        what=f"three attempts each\n{_logs(nodes)}",
    )

    tries = [at for key, _, at in effects.rows("attempt") if key == "recovers"]
    # RQ holds a retry until a whole second and its scheduler looks every second: a pause
    # is its length within a second or so either way.
    first, second = tries[1] - tries[0], tries[2] - tries[1]
    assert 0 < first < 3
    assert 3 <= second < 7
    assert second > first + 1
    assert effects.counts("effect") == {"recovers": 1}
    assert default_task_backend.get_result(recovers.id).status == TaskResultStatus.SUCCESSFUL
    failed = default_task_backend.get_result(never.id)
    assert failed.status == TaskResultStatus.FAILED
    assert "failing on purpose" in failed.errors[-1].traceback
    assert _ids(FailedJobRegistry) == [never.id]


def _fire_housekeeping(runs: int) -> None:
    """Due time: the schedulers of both nodes fire (``runs`` housekeeping runs at once)."""
    for _ in range(runs):
        housekeeping.enqueue()


def _periodic_runs() -> int:
    return effects.counts("periodic")[PERIODIC_JOB]


def _only_the_planted_job_due() -> None:
    now = timezone.now()
    JobRun.objects.bulk_create([JobRun(job=job.name, started_at=now) for job in declared_jobs()])


def test_a_periodic_job_runs_once_per_due_time_across_two_nodes(nodes: dict[str, Node]) -> None:
    _only_the_planted_job_due()
    for node in nodes.values():
        node.start()
    for slot in range(1, 4):
        _fire_housekeeping(8)
        # Each run queues the next for the job's next due time: that one waits.
        wait_for(lambda: _idle(scheduled=False), seconds=120, what=f"slot {slot}\n{_logs(nodes)}")
        assert _periodic_runs() == slot
        # The next due time: its last start an interval ago.
        JobRun.objects.filter(job=PERIODIC_JOB).update(
            started_at=timezone.now() - timedelta(minutes=1, seconds=1)
        )
    workers = {worker for _, worker, _ in effects.rows("periodic")}
    assert workers <= {*nodes["node-a"].worker_names, *nodes["node-b"].worker_names}


def test_positive_control_without_the_claim_a_due_job_runs_several_times(
    nodes: dict[str, Node],
) -> None:
    _only_the_planted_job_due()
    for node in nodes.values():
        node.env["RQ_TEST_UNCLAIMED"] = "1"
        node.start()

    _fire_housekeeping(8)
    wait_for(lambda: _idle(scheduled=False), seconds=120, what=f"the runs\n{_logs(nodes)}")

    assert _periodic_runs() > 1


def test_housekeeping_keeps_one_run_waiting_in_redis(rq_settings: RedisServer) -> None:
    assert next_housekeeping() is None
    later = timezone.now() + timedelta(minutes=5)

    assert schedule_housekeeping(run_after=later) is True
    assert schedule_housekeeping() is False

    waiting = next_housekeeping()
    assert waiting is not None
    assert abs((waiting - later).total_seconds()) < 1
    assert len(_ids(ScheduledJobRegistry)) == 1
    out = StringIO()
    call_command("housekeeping", "--schedule", stdout=out)
    assert out.getvalue() == (f"Housekeeping is already queued for {waiting:%Y-%m-%d %H:%M} UTC.\n")
    assert len(_ids(ScheduledJobRegistry)) == 1


def test_tasks_engine_ready_asks_redis(rq_settings: RedisServer) -> None:
    record_effect.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(key="later")
    record_effect.enqueue(key="now")

    assert task_engine.tasks_engine_ready() == (True, "RQ on Redis: 1 task(s) waiting")

    rq_settings.stop()
    ready, reason = task_engine.tasks_engine_ready()
    assert ready is False
    assert reason == (
        f"RQ: Redis at 127.0.0.1:{rq_settings.port}/0 does not answer (ConnectionError)"
    )


def test_a_campaign_sent_by_two_nodes_one_killed_mid_send_reaches_each_once(
    smtp_server,
    nodes: dict[str, Node],  # type: ignore[no-untyped-def]
) -> None:
    recipients = 90
    customers = [CustomerFactory(email=f"c{n:03d}@example.com") for n in range(recipients)]
    # 600 a minute for the campaign, shared by both nodes' workers: the kill lands mid-send.
    campaign = CampaignFactory(rate_per_minute=600)
    begin_campaign(campaign_id=campaign.pk, now=campaign.created_at)
    for node in nodes.values():
        node.env |= {
            "BUNGU_SMTP_HOST": smtp_server.host,
            "BUNGU_SMTP_PORT": str(smtp_server.port),
            "BUNGU_CAMPAIGN_LEASE_SECONDS": "2",
        }
        node.start()
    # Started on one node, taken up by the other's periodic run: both send.
    assert schedule_sending() is True
    assert schedule_sending() is True
    wait_for(
        lambda: len(smtp_server.messages) >= recipients // 3,
        seconds=120,
        what=f"a third sent\n{_logs(nodes)}",
    )
    # The workers draw their send times from one schedule, so each holds claimed rows about
    # half the time: kill node A while some row is claimed, so that rows are likely left
    # leased to the dead worker (their lease runs out and B sends them).
    wait_for(
        lambda: CampaignRecipient.objects.filter(state=RecipientState.CLAIMED).exists(),
        seconds=30,
        what=f"a claimed row\n{_logs(nodes)}",
    )
    nodes["node-a"].kill()
    # Killed mid-send: not everyone has their message yet.
    assert len(smtp_server.messages) < recipients
    assert Campaign.objects.get(pk=campaign.pk).state != CampaignState.DONE

    # Node B sends what it can claim; the dead node's job is found and retried (about a
    # minute), and the retry sends the rows whose lease ran out.
    wait_for(
        lambda: (
            Campaign.objects.get(pk=campaign.pk).state == CampaignState.DONE
            and _idle(scheduled=False)
        ),
        seconds=300,
        what=f"the campaign done\n{_logs(nodes)}",
    )

    rows = {row.customer_id: row for row in CampaignRecipient.objects.filter(campaign=campaign)}
    assert {row.state for row in rows.values()} == {RecipientState.SENT}
    with override_settings(SECRET_KEY=NODE_SECRET):
        expected = {
            customer.email: rows[customer.pk].message_id(
                domain="bungu.test", address=customer.email
            )
            for customer in customers
        }
    received: dict[str, set[str]] = {}
    for mail in smtp_server.messages:
        for address in mail.rcpt_tos:
            received.setdefault(address, set()).add(str(mail["Message-ID"]))
    assert received == {address: {message_id} for address, message_id in expected.items()}
    copies = Counter(address for mail in smtp_server.messages for address in mail.rcpt_tos)
    # Only a kill between the server's "250" and the row's UPDATE sends a copy (same
    # Message-ID): at most one per kill.
    assert sum(count - 1 for count in copies.values()) <= 1, copies
