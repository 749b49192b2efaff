"""(13) The backup drill on the cluster (P22), as the README tells an operator to run it:

``bungu backup`` of the PostgreSQL primary (on node c, a machine like any other), then a
customer erased the real way (asked through nginx, erased by ``bungu privacy
run-due-deletions`` on node a once the grace period is over), then the database lost. The
operator stops the nodes and the workers, runs ``bungu restore --yes`` (on node c again),
and starts them. The erasure made on node a reaches the restore through the erasure
journal's copy that every node shares: the customer stays erased, every other row of every
table is the backup's (row digests, the normal drill's helper in tests/operations), and the
shop works through nginx (home page, a product page, another customer signs in and sees
their order).

The backup's own content is read independently of ``bungu restore``: its dump loaded with
``pg_restore`` into a scratch database beside the shop's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from cluster import Cluster
from cluster.processes import HOST, REPO
from tests.cluster import checkout, figures, shop
from tests.cluster.browser import Browser
from tests.operations.backup_drill import ERASED, KEPT

PASSWORD = "a long enough password 13"
SCRATCH = "bungu_backup_check"
NODES = ("a", "b", "c")
WORKERS = ("a", "b")
# What `bungu restore` replays: journal files written since a little before the backup.
CLOCK_SKEW = timedelta(minutes=10)
CHECK = "(13) backup drill"


def _step(cluster: Cluster, name: str, *arguments: str, database: str | None = None) -> Any:
    """A step of the normal drill (``tests/operations/backup_drill.py``) run on node c's
    settings, against the shop's database or ``database`` on the primary."""
    assert cluster.primary is not None
    env = cluster.shop_env(cluster.node("c").var_dir)
    if database is not None:
        env["DATABASE_URL"] = cluster.primary.url.rsplit("/", 1)[0] + f"/{database}"
    finished = subprocess.run(  # noqa: S603 - the drill's own steps
        [sys.executable, "-m", "tests.operations.backup_drill", name, *arguments],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    return json.loads(finished.stdout.strip().splitlines()[-1])


@contextmanager
def _backup_loaded_aside(cluster: Cluster, dump: Path) -> Iterator[str]:
    """The backup's dump loaded by ``pg_restore`` into a scratch database; dropped after."""
    assert cluster.primary is not None
    admin = {"host": HOST, "port": cluster.primary.port, "user": "postgres"}
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {SCRATCH}")
    try:
        loaded = subprocess.run(  # noqa: S603 - PostgreSQL's own program
            [
                str(Path(cluster.shop_env(cluster.run_dir)["BUNGU_PG_BIN_DIR"]) / "pg_restore"),
                f"--host={HOST}",
                f"--port={cluster.primary.port}",
                "--username=postgres",
                f"--dbname={SCRATCH}",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                str(dump),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        yield SCRATCH
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")


def _session_keys(cluster: Cluster, database: str, session_ids: set[str]) -> set[str]:
    """The session-store keys of these rows of the sessions' table."""
    assert cluster.primary is not None
    with psycopg.connect(
        host=HOST, port=cluster.primary.port, user="postgres", dbname=database
    ) as connection:
        rows = connection.execute(
            "SELECT session_key FROM usersessions_usersession WHERE id = ANY(%s)",
            ([int(pk) for pk in session_ids],),
        ).fetchall()
    return {str(row[0]) for row in rows}


def _sign_in(browser: Browser, email: str) -> None:
    form = browser.get("/account/login/")
    browser.post(
        "/account/login/",
        {"csrfmiddlewaretoken": browser.csrf(form), "login": email, "password": PASSWORD},
    )


def _signed_in(browser: Browser) -> bool:
    return browser.get("/account/", follow=False).status_code == 200


def _buy(cluster: Cluster, browser: Browser, product_path: str) -> str:
    """The signed-in customer buys through nginx; the order's number."""
    fields = checkout.to_review(browser, product_path, node=None)
    back = checkout.pay_at_processor(cluster, checkout.place(browser, fields, node=None))
    placed = browser.get(back, follow=False)
    assert placed.status_code == 302, placed.text[:300]
    assert cluster.primary is not None
    with psycopg.connect(cluster.primary.url, connect_timeout=10) as connection:
        row = connection.execute(
            "SELECT number FROM orders_order WHERE attempt_id = %s", (fields["attempt"],)
        ).fetchone()
    assert row is not None
    return str(row[0])


def _customer(cluster: Cluster, person: Mapping[str, str]) -> int:
    shop.make_customer(cluster, person["email"], PASSWORD)
    printed = shop.shell(
        cluster,
        "from bungu.accounts.models import User\n"
        f"user = User.objects.get(email={person['email']!r})\n"
        f"user.name = {person['name']!r}\n"
        "user.save()\n"
        "print(user.pk)\n",
    )
    return int(printed.strip().splitlines()[-1])


def _changed(
    before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]
) -> dict[str, set[str]]:
    """Per table, the keys of the rows that differ (changed, gone or new)."""
    changed = {}
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table, {}), after.get(table, {})
        keys = {key for key in set(old) | set(new) if old.get(key) != new.get(key)}
        if keys:
            changed[table] = keys
    return changed


def _stop_the_shop(cluster: Cluster) -> None:
    """What the README asks before a restore: the workers, then the nodes, stopped."""
    for name in [*(f"worker-{n}" for n in WORKERS), *(f"node-{n}" for n in NODES)]:
        cluster.stop_part(name)


def _start_the_shop(cluster: Cluster) -> None:
    for name in NODES:
        cluster.start_node(name)
    for name in WORKERS:
        cluster.start_worker(name)


def test_p22_backup_erase_through_a_node_restore_keeps_the_customer_erased(
    cluster: Cluster, stock: dict[str, Any]
) -> None:
    product = stock["plenty"][0]["path"]
    kept_id = _customer(cluster, KEPT)
    erased_id = _customer(cluster, ERASED)
    kept, erased = Browser(cluster), Browser(cluster)
    try:
        _sign_in(kept, KEPT["email"])
        _sign_in(erased, ERASED["email"])
        assert _signed_in(kept)
        assert _signed_in(erased)
        kept_order = _buy(cluster, kept, product)
        _buy(cluster, erased, product)

        # The nightly backup, on node c.
        began = time.monotonic()
        printed = cluster.manage_output("backup", node="c", timeout=600)
        backup_seconds = time.monotonic() - began
        backup = Path(printed.strip().splitlines()[-1].split(" (")[0])
        assert backup.parent == cluster.backup_dir
        manifest = json.loads((backup / "manifest.json").read_text())
        assert manifest["engine"] == "postgresql"
        size = sum(item.stat().st_size for item in backup.iterdir())
        taken_at = datetime.fromisoformat(manifest["taken_at"])

        # The customer asks through nginx; once the grace period is over, node a erases them.
        page = erased.get("/privacy/delete-account/")
        assert page.status_code == 200
        asked = erased.post(
            "/privacy/delete-account/",
            {"csrfmiddlewaretoken": erased.csrf(page), "confirm": "on"},
            follow=False,
        )
        assert asked.status_code == 302, asked.text[:300]
    finally:
        kept.close()
        erased.close()
    shop.shell(
        cluster,
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from bungu.privacy.models import AccountDeletion\n"
        f"AccountDeletion.objects.filter(subject_id={erased_id}, completed_at=None)"
        ".update(due_at=timezone.now() - timedelta(seconds=1))\n",
    )
    done = cluster.manage_output("privacy", "run-due-deletions", node="a")
    assert done.strip() == "Deleted 1 account(s)."

    # Node a wrote the erasure to the journal's copy every node shares, not to its own disk,
    # and without the customer's data.
    copies = [
        path
        for path in sorted(cluster.journal_dir.glob("*-erasure.json"))
        if datetime.fromisoformat(json.loads(path.read_text())["written_at"]) >= taken_at
    ]
    assert copies
    copied = " ".join(path.read_text() for path in copies).lower()
    assert ERASED["email"] not in copied
    assert ERASED["name"].lower() not in copied
    assert not (cluster.node("a").var_dir / "erasure-journal").exists()
    assert {
        cluster.shop_env(node.var_dir)["BUNGU_ERASURE_JOURNAL_DIR"] for node in cluster.nodes
    } == {str(cluster.journal_dir)}

    # The database is lost; the operator stops the shop and restores last night's backup.
    _stop_the_shop(cluster)
    try:
        assert _step(cluster, "wipe")["dropped"] > 0
        began = time.monotonic()
        restored = cluster.manage_output("restore", str(backup), "--yes", node="c", timeout=900)
        restore_seconds = time.monotonic() - began
        assert "1 account(s) erased again" in restored, restored

        # Before any node writes: the customer is nowhere, and every other row is the backup's.
        assert _step(cluster, "find", ERASED["email"], ERASED["name"]) == []
        after = _step(cluster, "digests")
    finally:
        _start_the_shop(cluster)
    journal = _step(cluster, "journal_rows", (taken_at - CLOCK_SKEW).isoformat())
    named = {table: set(ids) for table, ids in journal["rows"]}
    with _backup_loaded_aside(cluster, backup / manifest["database"]) as scratch:
        at_backup = _step(cluster, "digests", database=scratch)
        # The positive control: the backup does hold the customer (the replay took them out).
        in_backup = _step(cluster, "find", ERASED["email"], ERASED["name"], database=scratch)
        ended = _session_keys(cluster, scratch, named.get("usersessions_usersession", set()))
    assert "accounts_user" in in_backup
    # The journal names the customer's sessions; ending one (the sessions' own erasure hook)
    # also removes its row in the session store, which the backup held signed in.
    assert ended
    named.setdefault("django_session", set()).update(ended)
    changed = _changed(at_backup, after)
    rows_compared = sum(len(rows) for rows in at_backup.values())
    figures.record(CHECK, "backup size (bytes) / seconds", f"{size} / {backup_seconds:.1f}")
    figures.record(
        CHECK,
        "restore seconds / journal entries replayed",
        f"{restore_seconds:.1f} / {journal['entries']}",
    )
    figures.record(CHECK, "tables / rows compared by digest", f"{len(at_backup)} / {rows_compared}")
    figures.record(
        CHECK,
        "rows differing (all named by the journal)",
        sum(len(keys) for keys in changed.values()),
    )
    assert changed, "the replay changed nothing: the comparison proves nothing"
    assert {table: keys - named.get(table, set()) for table, keys in changed.items()} == {
        table: set() for table in changed
    }
    assert str(erased_id) in changed["accounts_user"]
    assert str(kept_id) not in changed["accounts_user"]
    assert set(after) == set(at_backup)

    # The shop works again through nginx.
    visitor = Browser(cluster)
    try:
        assert visitor.get("/").status_code == 200
        assert visitor.get(product).status_code == 200
        _sign_in(visitor, ERASED["email"])
        assert not _signed_in(visitor)
        _sign_in(visitor, KEPT["email"])
        assert _signed_in(visitor)
        orders = visitor.get("/orders/")
        assert orders.status_code == 200
        assert kept_order in orders.text
    finally:
        visitor.close()
