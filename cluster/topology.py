"""The several-machine form of Bungu, on one machine's loopback: PostgreSQL 15 with a
streaming standby, Redis, three shop nodes (gunicorn) behind nginx with TLS, each with its
metrics listener (``bungu metrics``) on a loopback port of its own, task workers on two of
them, the sandbox card processor and an SMTP sink. Once it runs, a supervisor thread starts
a node, worker or metrics listener that dies again (``cluster/supervisor.py``).

Every part gets the environment a real deployment gives it (``Cluster.shop_env``); nothing
here changes the shop's code or settings module. ``make cluster`` runs it until Ctrl-C
(``python -m cluster``); the tests of ``tests/cluster/`` use it as a library::

    with Cluster() as cluster:
        httpx.get(cluster.url, verify=cluster.tls_context())
"""

from __future__ import annotations

import os
import secrets
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from . import front, postgres
from .mail import MailSink
from .processes import HOST, REPO, ClusterError, Part, free_port, port_open, run, start, wait_until
from .supervisor import RestartPolicy, Supervisor

# The settings profile of the nodes: production's rules, and system checks that refuse
# single-node parts (SQLite, a per-node cache, media on a node's own disk).
PROFILE = "cluster"
# What a task worker runs (`python -m bungu ...`): the worker of the engine BUNGU_TASKS_URL
# configures (RQ on the cluster's Redis).
WORKER_COMMAND: tuple[str, ...] = ("worker",)
NODE_NAMES = ("a", "b", "c")
# Task workers run on these nodes only, as on a deployment where one node only serves pages.
WORKER_NODES = ("a", "b")
GUNICORN_WORKERS = 2
PROCESSOR_API_KEY_PREFIX = "sk_test_cluster_"
STAFF_EMAIL = "staff@bungu.test"


@dataclass(frozen=True)
class Node:
    """One shop node: its port, its metrics listener's port (loopback only, never behind
    nginx) and its own var directory, as if on its own disk."""

    name: str
    port: int
    var_dir: Path
    metrics_port: int

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def metrics_url(self) -> str:
        return f"http://{HOST}:{self.metrics_port}/metrics"


class Cluster:
    """Start with ``start()`` (or ``with``); ``stop()`` stops every part it started."""

    def __init__(
        self,
        *,
        run_dir: Path | None = None,
        extra_env: Mapping[str, str] | None = None,
        say: Callable[[str], None] | None = None,
        restart_policy: RestartPolicy | None = None,
        catalogue_skus: int | None = None,
        catalogue_seed: int = 1,
        extra_routes: Mapping[str, Sequence[int]] | None = None,
    ) -> None:
        """``catalogue_skus`` loads a generated catalogue of that size (``catalogue_seed``)
        instead of the demo one; ``extra_routes`` sends exact paths to other loopback ports
        through the front (the benchmark's bare baseline)."""
        # A directory of its own making is removed at the end; one it was given is kept.
        self._own_run_dir = run_dir is None
        self.run_dir = Path(run_dir or tempfile.mkdtemp(prefix="bungu-cluster-")).resolve()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        # The postgres user (as root) and nginx's workers must reach their files below it.
        self.run_dir.chmod(0o755)
        self.extra_env = dict(extra_env or {})
        self.catalogue_skus = catalogue_skus
        self.catalogue_seed = catalogue_seed
        self.extra_routes = dict(extra_routes or {})
        self.say = say or (lambda line: None)
        self.https_port = free_port()
        self.http_port = free_port()
        self.processor_port = free_port()
        self.redis_port = free_port()
        self.secret_key = secrets.token_urlsafe(50)
        self.processor_api_key = PROCESSOR_API_KEY_PREFIX + secrets.token_hex(8)
        self.webhook_secret = "whsec_cluster_" + secrets.token_hex(8)
        self.media_root = self.run_dir / "media"
        # P22: the erasure journal's copy, on storage every node mounts (beside the media,
        # not on the database's disk), so `bungu restore` on any machine replays the
        # erasures made through every node; and where `bungu backup` puts its directories.
        self.journal_dir = self.run_dir / "shared" / "erasure-journal"
        self.backup_dir = self.run_dir / "shared" / "backups"
        self.nodes = [
            Node(
                name=name,
                port=free_port(),
                var_dir=self.run_dir / f"node-{name}",
                metrics_port=free_port(),
            )
            for name in NODE_NAMES
        ]
        self.parts: dict[str, Part] = {}
        # Watches the parts once all are up (``start``); ``stop`` ends it first.
        self.supervisor = Supervisor(
            parts=lambda: dict(self.parts),
            restart=self.restart,
            policy=restart_policy,
            say=self.say,
            log=self.run_dir / "supervisor.log",
        )
        # Taken by whatever starts or stops parts: the supervisor's thread and the caller's.
        self._parts_lock = threading.RLock()
        self.primary: postgres.Server | None = None
        self.standby: postgres.Server | None = None
        self.smtp: MailSink | None = None
        self.cert = self.run_dir / "tls" / "cert.pem"
        self.staff_password = ""

    # ------------------------------------------------------------ addresses
    @property
    def url(self) -> str:
        return f"https://{HOST}:{self.https_port}"

    @property
    def host(self) -> str:
        """The Host header every node expects (the public address)."""
        return f"{HOST}:{self.https_port}"

    @property
    def processor_url(self) -> str:
        return f"http://{HOST}:{self.processor_port}"

    def node(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)

    def tls_context(self) -> ssl.SSLContext:
        """Trusts the certificate this run made, and nothing else."""
        return ssl.create_default_context(cafile=str(self.cert))

    # ------------------------------------------------------------ environments
    def _base_env(self) -> dict[str, str]:
        """This process's environment without anything the shop or the sandbox reads."""
        return {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("BUNGU_", "CARDSANDBOX_", "DJANGO_", "DATABASE_"))
            and key not in {"SECRET_KEY", "PORT", "PROCESSOR_PORT"}
        }

    def shop_env(self, var_dir: Path) -> dict[str, str]:
        """The environment of a shop process (node, worker, one-off command): exactly the
        variables a deployment on several machines sets."""
        if self.primary is None or self.standby is None:
            raise ClusterError("the databases are not made yet")
        env = self._base_env()
        env.update(
            BUNGU_PROFILE=PROFILE,
            SECRET_KEY=self.secret_key,
            BUNGU_ALLOWED_HOSTS=f"{HOST},localhost",
            BUNGU_CSRF_TRUSTED_ORIGINS=self.url,
            BUNGU_SITE_URL=self.url,
            BUNGU_TRUSTED_PROXIES="1",
            DATABASE_URL=self.primary.url,
            DATABASE_REPLICA_URL=self.standby.url,
            BUNGU_CACHE_URL=f"redis://{HOST}:{self.redis_port}/0",
            BUNGU_TASKS_URL=f"redis://{HOST}:{self.redis_port}/1",
            BUNGU_VAR_DIR=str(var_dir),
            BUNGU_LOG_DIR=str(var_dir / "log"),
            BUNGU_MEDIA_ROOT=str(self.media_root),
            BUNGU_MEDIA_SHARED="1",
            BUNGU_ERASURE_JOURNAL_DIR=str(self.journal_dir),
            BUNGU_BACKUP_DIR=str(self.backup_dir),
            BUNGU_PG_BIN_DIR=str(postgres.PG_BIN),
            # nginx serves /media/ from the shared storage; a node asked directly serves it
            # too, from the same storage (what the photo check reads on every node).
            BUNGU_SERVE_MEDIA="1",
            BUNGU_PROCESSOR_URL=self.processor_url,
            BUNGU_PROCESSOR_API_KEY=self.processor_api_key,
            BUNGU_PROCESSOR_WEBHOOK_SECRETS=self.webhook_secret,
            BUNGU_SMTP_HOST=HOST,
            BUNGU_SMTP_PORT=str(self.smtp.port if self.smtp else 25),
        )
        env.update(self.extra_env)
        return env

    def processor_env(self) -> dict[str, str]:
        env = self._base_env()
        env.update(
            PROCESSOR_PORT=str(self.processor_port),
            CARDSANDBOX_VAR_DIR=str(self.run_dir / "cardsandbox"),
            CARDSANDBOX_API_KEY=self.processor_api_key,
            CARDSANDBOX_WEBHOOK_SECRETS=self.webhook_secret,
            # Its webhooks reach the shop the public way, through nginx over TLS; it trusts
            # this run's certificate (httpx reads SSL_CERT_FILE).
            CARDSANDBOX_WEBHOOK_URL=f"{self.url}/checkout/webhook/",
            SSL_CERT_FILE=str(self.cert),
        )
        return env

    def manage(self, *arguments: str, timeout: float = 600) -> None:
        """Run ``bungu ARGUMENTS`` as a one-off command of the deployment."""
        var_dir = self.run_dir / "setup"
        run(
            f"bungu {' '.join(arguments)}",
            [sys.executable, "-m", "bungu", *arguments],
            env=self.shop_env(var_dir),
            log=self.run_dir / "setup.log",
            timeout=timeout,
        )

    def manage_output(
        self,
        *arguments: str,
        node: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 300,
    ) -> str:
        """Run ``bungu ARGUMENTS`` (on ``node``, with ``env`` over the deployment's) and
        return what it printed; raises ClusterError if it fails."""
        var_dir = self.node(node).var_dir if node else self.run_dir / "setup"
        finished = subprocess.run(
            [sys.executable, "-m", "bungu", *arguments],
            env=self.shop_env(var_dir) | dict(env or {}),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if finished.returncode != 0:
            raise ClusterError(f"bungu {' '.join(arguments)} failed:\n{finished.stderr[-3000:]}")
        return finished.stdout

    # ------------------------------------------------------------ starting and stopping
    def __enter__(self) -> Cluster:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start every part, in order; if one fails, stop what started and raise."""
        postgres.check_installed()
        front.check_installed()
        if shutil.which("redis-server") is None:
            raise ClusterError("redis-server is not installed: `make cluster` installs it.")
        try:
            self._start_databases()
            self._start_redis()
            self._start_mail_and_processor()
            self._prepare_shop()
            for node in self.nodes:
                self.start_node(node.name)
            # After the nodes: gunicorn empties its metrics folder when it starts.
            for node in self.nodes:
                self.say(f"node {node.name}'s metrics on {node.metrics_url} ...")
                self.start_metrics(node.name)
            for name in WORKER_NODES:
                self.start_worker(name)
            self._start_front()
        except BaseException:
            self.stop()
            raise
        self.supervisor.start()

    def stop(self) -> None:
        """Stop every part this cluster started, the front first, the databases last."""
        # First the supervisor, so that nothing stopped here is started again.
        self.supervisor.stop()
        with self._parts_lock:
            for name in reversed(list(self.parts)):
                self.parts.pop(name).stop()
        if self.smtp is not None:
            self.smtp.stop()
            self.smtp = None
        if self._own_run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def _start_databases(self) -> None:
        self.say("PostgreSQL 15: primary ...")
        self.primary = postgres.make_primary(self.run_dir / "pg-primary")
        self.parts["postgres-primary"] = self.primary.start()
        postgres.create_database(self.primary)
        self.say("PostgreSQL 15: streaming standby (pg_basebackup -R) ...")
        self.standby = postgres.make_standby(self.primary, self.run_dir / "pg-standby")
        self.parts["postgres-standby"] = self.standby.start()
        standby = self.standby
        wait_until(
            lambda: standby.accepts(postgres.DATABASE),
            part=self.parts["postgres-standby"],
            what="the standby",
        )

    def _start_redis(self) -> None:
        self.say("Redis ...")
        directory = self.run_dir / "redis"
        directory.mkdir(exist_ok=True)
        part = start(
            "redis",
            [
                "redis-server",
                "--bind",
                HOST,
                "--port",
                str(self.redis_port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(directory),
                "--protected-mode",
                "yes",
            ],
            env=self._base_env(),
            log=directory / "log",
        )
        self.parts["redis"] = part
        wait_until(lambda: port_open(self.redis_port), part=part, what="Redis")

    def _start_mail_and_processor(self) -> None:
        self.say("SMTP sink and the sandbox card processor ...")
        self.smtp = MailSink(self.run_dir / "mail.log")
        self.smtp.start()
        front.make_certificate(self.cert.parent)
        part = start(
            "cardsandbox",
            [sys.executable, "-m", "cardsandbox"],
            env=self.processor_env(),
            log=self.run_dir / "cardsandbox.log",
        )
        self.parts["cardsandbox"] = part
        request = urllib.request.Request(  # noqa: S310 - our own loopback URL
            f"{self.processor_url}/v1/payments?limit=1",
            headers={"Authorization": f"Bearer {self.processor_api_key}"},
        )

        def answers() -> bool:
            try:
                with urllib.request.urlopen(request, timeout=2) as reply:  # noqa: S310
                    return bool(reply.status == 200)
            except (urllib.error.URLError, OSError):
                return False

        wait_until(answers, part=part, what="the sandbox processor")

    def _prepare_shop(self) -> None:
        """Migrate, load the demo catalogue once, the staff login and roles, the collected
        static files (one build, copied to every node and the front, as a release is)."""
        self.say("migrate, demo catalogue, staff, static files ...")
        # gunicorn runs no system checks: the deployment's own, once, before any node serves.
        self.manage("check", "--deploy", "--fail-level", "WARNING")
        self.manage("migrate", "--noinput")
        if self.catalogue_skus is None:
            self.manage("load_demo_catalog", "--if-empty")
        else:
            # About a minute per 10,000 SKUs; the bound only stops a runaway generator.
            self.manage(
                "load_demo_catalog",
                "--skus",
                str(self.catalogue_skus),
                "--seed",
                str(self.catalogue_seed),
                timeout=600 + self.catalogue_skus / 10,
            )
        self.manage("ensure_staff_user")
        self.manage("backoffice_roles")
        self.manage("collectstatic", "--noinput", "-v", "0")
        self.manage("housekeeping", "--schedule")
        self.staff_password = (self.run_dir / "setup" / "staff-password").read_text().strip()
        built = self.run_dir / "setup" / "static"
        for node in self.nodes:
            shutil.copytree(built, node.var_dir / "static", dirs_exist_ok=True)
        shutil.copytree(built, self.run_dir / "front" / "static", dirs_exist_ok=True)

    # A part started by a caller (the start, a check) starts with a clean slate in the
    # supervisor; one the supervisor restarts (``restart``) keeps its count of restarts.
    def start_node(self, name: str) -> Part:
        """Start (or start again) node ``name``'s gunicorn; returns once it answers. A
        node already running (the supervisor started it again) is waited for, not doubled."""
        self.supervisor.forget(f"node-{name}")
        return self._start_node(name)

    def start_worker(self, name: str) -> Part:
        """Start (or start again) node ``name``'s task worker, unless it runs."""
        self.supervisor.forget(f"worker-{name}")
        return self._start_worker(name)

    def start_metrics(self, name: str) -> Part:
        """Start (or start again) node ``name``'s ``bungu metrics`` on its own loopback
        port; returns once it answers."""
        self.supervisor.forget(f"metrics-{name}")
        return self._start_metrics(name)

    def restart(self, name: str) -> Part:
        """Start the part called ``name`` (``node-b``, ``worker-a``, ``metrics-c``) again:
        what the supervisor calls for a part that died."""
        kind, _, node = name.partition("-")
        starters: dict[str, Callable[[str], Part]] = {
            "node": self._start_node,
            "worker": self._start_worker,
            "metrics": self._start_metrics,
        }
        if kind not in starters or node not in NODE_NAMES:
            raise ClusterError(f"{name} is not a part the supervisor starts again")
        return starters[kind](node)

    def _running(self, name: str) -> Part | None:
        """The part called ``name`` if it runs; raises once the cluster is stopping."""
        if self.supervisor.stopping:
            raise ClusterError(f"the cluster is stopping: {name} is not started")
        part = self.parts.get(name)
        return part if part is not None and part.alive() else None

    def _start_node(self, name: str) -> Part:
        node = self.node(name)
        with self._parts_lock:
            part = self._running(f"node-{name}")
            if part is None:
                node.var_dir.mkdir(parents=True, exist_ok=True)
                part = start(
                    f"node-{name}",
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "bungu.wsgi",
                        "--config",
                        "python:bungu.gunicorn_conf",
                        "--bind",
                        f"{HOST}:{node.port}",
                        "--workers",
                        str(GUNICORN_WORKERS),
                        "--access-logfile",
                        "-",
                        "--logger-class",
                        "bungu.operations.logs.AccessLogger",
                        "--graceful-timeout",
                        "5",
                        "--no-control-socket",
                    ],
                    env=self.shop_env(node.var_dir),
                    log=node.var_dir / "gunicorn.log",
                )
                self.parts[f"node-{name}"] = part
            wait_until(lambda: port_open(node.port), part=part, what=f"node {name}", timeout=120)
            return part

    def _start_worker(self, name: str) -> Part:
        node = self.node(name)
        with self._parts_lock:
            running = self._running(f"worker-{name}")
            if running is not None:
                return running
            part = start(
                f"worker-{name}",
                [sys.executable, "-m", "bungu", *WORKER_COMMAND],
                env=self.shop_env(node.var_dir),
                log=node.var_dir / "worker.log",
            )
            self.parts[f"worker-{name}"] = part
            return part

    def _start_metrics(self, name: str) -> Part:
        node = self.node(name)
        with self._parts_lock:
            part = self._running(f"metrics-{name}")
            if part is None:
                # The node's own folder of gunicorn's files (BUNGU_VAR_DIR/metrics), served
                # on a loopback port nginx does not know.
                part = start(
                    f"metrics-{name}",
                    [sys.executable, "-m", "bungu", "metrics"],
                    env=self.shop_env(node.var_dir)
                    | {"BUNGU_METRICS_ADDRESS": f"{HOST}:{node.metrics_port}"},
                    log=node.var_dir / "metrics.log",
                )
                self.parts[f"metrics-{name}"] = part
            wait_until(
                lambda: port_open(node.metrics_port),
                part=part,
                what=f"node {name}'s metrics",
                timeout=120,
            )
            return part

    def _write_front_config(self, node_ports: Sequence[int]) -> Path:
        directory = self.run_dir / "front"
        return front.write_config(
            directory,
            http_port=self.http_port,
            https_port=self.https_port,
            node_ports=node_ports,
            cert=self.cert,
            key=self.cert.parent / "key.pem",
            media=self.media_root,
            static=directory / "static",
            extra_routes=self.extra_routes,
        )

    def _start_front(self) -> None:
        self.say("nginx (TLS, three nodes) ...")
        directory = self.run_dir / "front"
        config = self._write_front_config([node.port for node in self.nodes])
        self.media_root.mkdir(exist_ok=True)
        part = start("nginx", front.command(config), env=self._base_env(), log=directory / "log")
        self.parts["nginx"] = part
        wait_until(lambda: port_open(self.https_port), part=part, what="nginx")

    def route_front(
        self, names: Sequence[str], *, extra_routes: Mapping[str, Sequence[int]] | None = None
    ) -> None:
        """Send the front's traffic to nodes ``names`` only (the others keep running, idle),
        and ``extra_routes`` when given; returns once nginx serves the new configuration."""
        unknown = [name for name in names if name not in NODE_NAMES]
        if unknown or not names:
            raise ClusterError(f"no such nodes to route to: {', '.join(unknown) or '(none)'}")
        if extra_routes is not None:
            self.extra_routes = dict(extra_routes)
        self._write_front_config([self.node(name).port for name in names])
        front.reload(self.parts["nginx"].pid)

    # ------------------------------------------------------------ faults, for the checks
    def stop_redis(self) -> None:
        """Stop Redis (SIGTERM; it keeps nothing on disk, so it comes back empty). A shared
        part: the supervisor never starts it again; ``start_redis`` does."""
        with self._parts_lock:
            self.parts["redis"].stop()

    def start_redis(self) -> None:
        """Start Redis again after ``stop_redis``, on the same port; returns once it answers."""
        with self._parts_lock:
            if self.parts["redis"].alive():
                raise ClusterError("Redis is already running")
            self._start_redis()

    def stop_part(self, name: str) -> None:
        """Stop a part cleanly (``node-a``, ``worker-b`` ...), as an operator stops a service;
        it stays in ``parts``, and the supervisor leaves it stopped until ``start_node``,
        ``start_worker`` or ``start_metrics`` starts it again."""
        self.supervisor.hold(name)
        self.parts[name].stop()

    def crash(self, name: str) -> None:
        """kill -9 a part (``node-b``, ``postgres-primary`` ...); it stays in ``parts``. A
        node, worker or metrics listener is then started again by the supervisor."""
        self.parts[name].crash()
        self.parts[name].process.wait(timeout=30)

    def restart_primary(self) -> None:
        """Start the primary again on its data after a crash (it recovers from its WAL)."""
        if self.primary is None:
            raise ClusterError("no primary to restart")
        self.parts["postgres-primary"].stop()
        # The old server's backends leave once they notice it died; until then the new one
        # refuses their shared memory, so it is tried a few times.
        for attempt in range(5):
            try:
                self.parts["postgres-primary"] = self.primary.start()
                return
            except ClusterError:
                if attempt == 4:
                    raise
                time.sleep(2)
