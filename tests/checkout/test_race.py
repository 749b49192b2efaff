"""The race for the last units, through the real flow: each buyer a process of its own.

Twelve buyers (``tests/checkout/buyer.py``), each with its own cart, its own process and its
own database connection, as customers on several gunicorn workers are, go for the last five
units of a pen on the shared database (a WAL file on SQLite; the test database itself on
PostgreSQL), pay on the real sandbox processor's page and come back. Exactly five orders,
nothing oversold, everybody else told plainly, and no authorisation left without an order.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from bungu.catalog import services as catalog_services
from bungu.checkout.reconcile import release_expired_holds
from bungu.orders.models import Order
from bungu.payments import PaymentState
from tests.catalog.factories import SKUFactory
from tests.processor import SRC, CardProcessor

from .ledger import audit, units_ordered

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shop_tables")]

BUYERS = 12
PROCESSES = 4  # of three buyers each, like gunicorn workers with threads
UNITS = 5
ROOT = SRC.parent
SOLD_OUT = r"is sold out: remove it from your cart|someone else just bought the last of"


class Crowd:
    """The buyers, in ``PROCESSES`` processes of a few threads each; ``ask`` has some of them
    do a step at the same moment and returns each one's answer."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.logs = [logs / f"buyers{n}.log" for n in range(PROCESSES)]
        self.log_files = [path.open("wb") for path in self.logs]
        self.processes = [
            subprocess.Popen(  # noqa: S603 - our own interpreter running our own module
                [
                    sys.executable,
                    "-m",
                    "tests.checkout.buyer",
                    *(str(b) for b in range(BUYERS) if b % PROCESSES == n),
                ],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.log_files[n],
                text=True,
            )
            for n in range(PROCESSES)
        ]

    def ask(self, command: str, who: list[int] | None = None) -> dict[int, dict[str, Any]]:
        command, *args = command.split()
        who = list(range(BUYERS)) if who is None else who
        for n, process in enumerate(self.processes):
            assert process.stdin is not None
            mine = [b for b in who if b % PROCESSES == n]
            process.stdin.write(json.dumps({"who": mine, "command": command, "args": args}))
            process.stdin.write("\n")
            process.stdin.flush()
        answers: dict[int, dict[str, Any]] = {}
        for n, process in enumerate(self.processes):
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line, self.logs[n].read_text()[-3000:]
            answers |= {int(b): answer for b, answer in json.loads(line).items()}
        for answer in answers.values():
            assert "error" not in answer, answer["error"]
        return answers

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None and process.stdin is not None:
                process.stdin.write('{"command": "quit"}\n')
                process.stdin.close()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
            if process.stdout is not None:
                process.stdout.close()
        for log in self.log_files:
            log.close()


@pytest.fixture
def crowd(shared_database, card_processor: CardProcessor, sandbox_gateway, tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BUNGU_", "DJANGO_", "CARDSANDBOX_"))
        and key not in {"DATABASE_URL", "SECRET_KEY"}
    } | {
        "PYTHONPATH": os.pathsep.join([str(SRC), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "bungu.settings",
        "DATABASE_URL": shared_database,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "BUNGU_VAR_DIR": str(tmp_path / "var"),
        "BUNGU_CACHE_URL": "locmem://",
        "BUNGU_PAYMENT_GATEWAY": "bungu.payments.sandbox.SandboxGateway",
        "BUNGU_PROCESSOR_URL": card_processor.base_url,
        "BUNGU_PROCESSOR_API_KEY": card_processor.api_key,
        "BUNGU_PROCESSOR_WEBHOOK_SECRETS": ",".join(card_processor.webhook_secrets),
    }
    logs = tmp_path / "buyers"
    logs.mkdir()
    started = Crowd(env, logs)
    yield started
    started.stop()


@pytest.fixture
def since() -> datetime:
    """When the test began: the processor's payments since are this test's."""
    return timezone.now()


def _assert_books_balance(sandbox_gateway, since, sku) -> None:  # type: ignore[no-untyped-def]
    books = audit(sandbox_gateway, since=since)
    assert books.violations == []
    sku.refresh_from_db()
    assert sku.allocated <= sku.stock
    assert units_ordered(sku) == UNITS
    assert Order.objects.count() == UNITS


def test_twelve_buyers_at_place_order_for_the_last_five_units(crowd, sandbox_gateway, since):
    sku = SKUFactory(price=Decimal("18.00"), stock=UNITS)
    assert all(a["ready"] for a in crowd.ask(f"prepare {sku.pk} 1").values())

    placed = crowd.ask("place")

    going_to_pay = sorted(n for n, answer in placed.items() if "payment_id" in answer)
    assert len(going_to_pay) == UNITS
    for number, answer in placed.items():
        if number not in going_to_pay:
            # Told by the review's price check or by the hold itself, whichever came first.
            assert re.search(SOLD_OUT, answer["told"]), answer["told"]
    paid = crowd.ask("pay", going_to_pay)
    assert all(answer["order"] for answer in paid.values())
    numbers = {answer["order"] for answer in paid.values()}
    assert numbers == set(Order.objects.values_list("number", flat=True))
    _assert_books_balance(sandbox_gateway, since, sku)
    # The buyers told at "Place order" never reached the processor.
    assert audit(sandbox_gateway, since=since).states() == {"authorised": UNITS}


def test_twelve_buyers_back_from_the_processor_for_the_last_five_units(
    crowd, sandbox_gateway, since
):
    sku = SKUFactory(price=Decimal("18.00"), stock=BUYERS)
    crowd.ask(f"prepare {sku.pk} 1")
    placed = crowd.ask("place")
    assert all("payment_id" in answer for answer in placed.values())
    # They all linger on the processor's page past their holds, which the reconciler gives
    # back; meanwhile the shop sells seven of the twelve. All pay and come back at once.
    assert release_expired_holds(now=timezone.now() + timedelta(hours=2)) == BUYERS
    catalog_services.hold_stock(lines={sku.pk: BUYERS - UNITS})

    back = crowd.ask("pay")

    won = [n for n, answer in back.items() if answer.get("order")]
    assert len(won) == UNITS
    for number, answer in back.items():
        if number not in won:
            assert "the last of an item in your order was sold" in answer["told"]
            assert "nothing will be charged" in answer["told"]
    books = audit(sandbox_gateway, since=since)
    assert books.states() == {"authorised": UNITS, "voided": BUYERS - UNITS}
    voided = {p.id for p in books.payments if p.state == PaymentState.VOIDED}
    assert voided == {placed[n]["payment_id"] for n in back if n not in won}
    _assert_books_balance(sandbox_gateway, since, sku)
    sku.refresh_from_db()
    assert (sku.stock, sku.allocated) == (BUYERS, BUYERS)
