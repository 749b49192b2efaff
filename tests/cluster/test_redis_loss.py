"""(10) Redis stopped mid-run, through nginx: browsing fails open (the home page, a category,
a product page and search still answer 200, made from the database), while the limits that
must be kept fail closed: the privacy request form and the agents' API answer 503 with
Retry-After rather than letting requests through uncounted. Redis started again (empty, as
it keeps nothing on disk), everything recovers, as after any Redis restart: the nodes
reconnect, the workers carry on (one that died is started again, as a service manager
would), and ``bungu housekeeping --schedule`` queues the periodic jobs again.

The positive controls: with Redis up the same form POST and API call are accepted, and while
it is down the nodes' readiness probe says so."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cluster import Cluster
from cluster.processes import port_open
from tests.cluster import figures, shop
from tests.cluster.browser import Browser

WORKERS = ("a", "b")
# A customer's address: the form's request for it is confirmed by an e-mail that a worker
# delivers (a task on Redis), the proof that the task engine came back too.
CUSTOMER = "redis.back@example.com"
MAIL_WITHIN_SECONDS = 120
CHECK = "(10) Redis stopped mid-run"
_CATEGORY = re.compile(r'href="(/c/[^"]+/)"')


def _token(cluster: Cluster) -> str:
    company = "Redis Loss Co"
    cluster.manage_output(
        "agents", "add", "--company", company, "--functions", "search", "--contact", "Ops desk"
    )
    printed = cluster.manage_output(
        "agents", "issue-token", "--company", company, "--function", "search"
    )
    return printed.strip().splitlines()[-1].strip()


def _api(cluster: Cluster, token: str) -> httpx.Response:
    with httpx.Client(verify=cluster.tls_context(), timeout=30) as client:
        return client.get(
            f"{cluster.url}/api/v1/search/catalogue?per_page=1",
            headers={"Authorization": f"Bearer {token}"},
        )


def _ask(browser: Browser, email: str) -> httpx.Response:
    """The public privacy request form (P26), rate-limited per visitor and per address."""
    form = browser.get("/privacy/requests/by-email/")
    assert form.status_code == 200
    return browser.post(
        "/privacy/requests/by-email/",
        {
            "csrfmiddlewaretoken": browser.csrf(form),
            "email": email,
            "kind": "access",
            "description": "A copy of my data, please.",
        },
        follow=False,
    )


def _ready(cluster: Cluster, node: str) -> int:
    with httpx.Client(timeout=10) as client:
        return client.get(f"{cluster.node(node).url}/readyz").status_code


def _mail_to(cluster: Cluster, address: str) -> int:
    assert cluster.smtp is not None
    return sum(address in str(message["To"]) for message in cluster.smtp.messages)


def _pages(browser: Browser, paths: list[str]) -> dict[str, int]:
    return {path: browser.get(path).status_code for path in paths}


@pytest.fixture
def redis_restored(cluster: Cluster) -> Iterator[dict[str, int]]:
    """Redis running again after the check, whatever happened in it, and the shop back to
    work on it for the checks that come after."""
    restarted = {"workers": 0}
    yield restarted
    if not cluster.parts["redis"].alive():
        cluster.start_redis()
    for name in WORKERS:
        if not cluster.parts[f"worker-{name}"].alive():
            cluster.start_worker(name)
            restarted["workers"] += 1
    cluster.manage_output("housekeeping", "--schedule")


def test_redis_stopped_pages_fail_open_limits_fail_closed_and_all_recovers(
    cluster: Cluster, browser: Browser, stock: dict[str, Any], redis_restored: dict[str, int]
) -> None:
    product = stock["plenty"][1]["path"]
    home = browser.get("/")
    category = _CATEGORY.search(home.text)
    assert category is not None, "no category link on the home page"
    pages = ["/", category.group(1), product, "/search/?q=pen"]
    token = _token(cluster)
    shop.make_customer(cluster, CUSTOMER, "a long enough password 10")

    # Redis up: the pages answer, and the form and the API count their uses and accept.
    assert _pages(browser, pages) == dict.fromkeys(pages, 200)
    accepted = _ask(browser, "redis.up@example.com")
    assert accepted.status_code == 302, accepted.text[:300]
    assert _api(cluster, token).status_code == 200
    assert [_ready(cluster, node) for node in ("a", "b", "c")] == [200, 200, 200]

    cluster.stop_redis()
    try:
        assert not port_open(cluster.redis_port)
        # The positive control: the nodes do see Redis gone.
        assert [_ready(cluster, node) for node in ("a", "b", "c")] == [503, 503, 503]
        began = time.monotonic()
        down_pages = _pages(browser, pages)
        pages_seconds = time.monotonic() - began
        refused = _ask(browser, "redis.down@example.com")
        api_refused = _api(cluster, token)
    finally:
        cluster.start_redis()
    answered = sum(status == 200 for status in down_pages.values())
    figures.record(
        CHECK,
        "pages answering 200 while down",
        f"{answered} / {len(pages)} in {pages_seconds:.2f} s",
    )
    figures.record(
        CHECK,
        "privacy form POST / API call while down (Retry-After)",
        f"{refused.status_code} ({refused.headers.get('Retry-After')}) / "
        f"{api_refused.status_code} ({api_refused.headers.get('Retry-After')})",
    )
    assert down_pages == dict.fromkeys(pages, 200)
    assert refused.status_code == 503
    assert refused.headers.get("Retry-After") == "60"
    assert "Please try again in a minute" in refused.text
    assert api_refused.status_code == 503
    assert api_refused.headers.get("Retry-After") == "60"

    # Redis back: every node ready again, the same POST and call accepted.
    deadline = time.monotonic() + 60
    while [_ready(cluster, node) for node in ("a", "b", "c")] != [200, 200, 200]:
        assert time.monotonic() < deadline, "the nodes did not see Redis come back"
        time.sleep(0.5)
    assert _mail_to(cluster, CUSTOMER) == 0
    recovered = _ask(browser, CUSTOMER)
    asked_at = time.monotonic()
    api_back = _api(cluster, token)
    after_pages = _pages(browser, pages)
    while not _mail_to(cluster, CUSTOMER) and time.monotonic() - asked_at < MAIL_WITHIN_SECONDS:
        time.sleep(0.5)
    mail_seconds = time.monotonic() - asked_at
    workers_alive = sum(cluster.parts[f"worker-{name}"].alive() for name in WORKERS)
    figures.record(
        CHECK,
        "after restart: form POST / API call / pages 200 / workers alive",
        f"{recovered.status_code} / {api_back.status_code} / "
        f"{sum(status == 200 for status in after_pages.values())} / {workers_alive}",
    )
    figures.record(
        CHECK,
        "after restart: request's e-mail delivered by a worker (s)",
        f"{mail_seconds:.1f}" if _mail_to(cluster, CUSTOMER) else "never",
    )
    assert recovered.status_code == 302, recovered.text[:300]
    assert api_back.status_code == 200
    assert after_pages == dict.fromkeys(pages, 200)
    assert _mail_to(cluster, CUSTOMER) == 1
