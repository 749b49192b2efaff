"""What the cluster's checks do to the shop beside browsing: run a command of the
deployment, stock SKUs and audit the books (the benchmark's ``bench/shop_state.py``), and
buy the whole way through the front (the benchmark's buyers, over this run's TLS)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from cluster import Cluster

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))
buyers: Any = importlib.import_module("buyers")


def shell(cluster: Cluster, code: str) -> str:
    """Run Python under the shop's settings (``bungu shell -c``); what it printed."""
    return cluster.manage_output("shell", "-c", code)


def shop_state(cluster: Cluster, *arguments: str) -> dict[str, Any]:
    out = cluster.run_dir / f"shop-state-{arguments[0]}.json"
    finished = subprocess.run(  # noqa: S603 - the benchmark's own script
        [sys.executable, str(BENCH / "shop_state.py"), *arguments, "--out", str(out)],
        env=cluster.shop_env(cluster.run_dir / "setup"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    document: dict[str, Any] = json.loads(out.read_text())
    return document


def buyer(cluster: Cluster, product_path: str, *, base_url: str | None = None) -> Any:
    """A guest with a browser of their own, buying ``product_path`` through the front."""
    person = buyers.Buyer(shop_url=base_url or cluster.url, product_path=product_path)
    person.client.close()
    person.client = httpx.Client(
        verify=cluster.tls_context(), timeout=buyers.REQUEST_TIMEOUT, follow_redirects=False
    )
    return person


def make_customer(cluster: Cluster, email: str, password: str) -> None:
    """A customer account with a verified address (as after the confirmation e-mail)."""
    shell(
        cluster,
        "from allauth.account.models import EmailAddress\n"
        "from bungu.accounts.models import User\n"
        f"user = User.objects.create_user(email={email!r}, password={password!r})\n"
        f"EmailAddress.objects.create(user=user, email={email!r}, primary=True, verified=True)\n",
    )
