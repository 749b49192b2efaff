"""What the real-browser checkout tests share: the shop wired to the real sandbox processor
(its return and its webhooks come back to the live server), the mail delivered to a real SMTP
server on loopback, and the checks that the card shows as brand and last four only (P2)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from importlib import import_module
from typing import Any

from django.apps import apps
from playwright.sync_api import expect

from bungu.checkout.models import CheckoutAttempt
from bungu.orders.models import Order
from tests.catalog.factories import ProductFactory, SKUFactory
from tests.e2e.timeouts import MAIL_SECONDS, WEBHOOK_SECONDS

APPROVED = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
CHALLENGE = "4000 0025 0000 3155"
ALWAYS_CHALLENGE = "4000 0027 6000 3184"
EXPIRY, CVC = "12/34", "123"


@dataclass(frozen=True)
class LiveShop:
    """The live server, the processor it pays through, the SMTP server its mail reaches and
    the log records captured meanwhile."""

    url: str
    processor: Any
    smtp: Any
    caplog: Any


def digits(number: str) -> str:
    return number.replace(" ", "")


def seed_shop_tables() -> None:
    """The shipping methods and tax rates the data migration seeds; a transactional test
    starts from empty tables (the seed is idempotent)."""
    import_module("bungu.checkout.migrations.0002_seed_shipping_and_tax").seed(apps, None)


def make_notebook(stock: int = 10) -> None:
    product = ProductFactory(name="MD Notebook", slug="md-notebook", skus=0)
    SKUFactory(
        product=product,
        code="MD-A5",
        paper_size="A5",
        tip_size="",
        ink_colour="",
        price=Decimal("18.00"),
        stock=stock,
    )
    product.refresh_listing_fields()


def payment_id_of(page) -> str:  # type: ignore[no-untyped-def]
    """The processor's payment id, from its hosted page's address (``/pay/<id>``)."""
    return str(page.url.split("/pay/", 1)[1].split("/")[0].split("?")[0])


def expect_card_shown_as_last_four(page, *, brand: str, number: str) -> None:  # type: ignore[no-untyped-def]
    """P2: the page names the card by brand and last four, and never holds the number."""
    expect(page.locator(".order-card")).to_have_text(f"{brand} ending in {digits(number)[-4:]}")
    html = page.content()
    assert digits(number) not in html.replace(" ", "").replace("-", "")


def wait_for_mail(smtp_server, count: int, *, timeout: float = MAIL_SECONDS) -> list[Any]:  # type: ignore[no-untyped-def]
    """The confirmation may be sent by the webhook's request, a moment after the page."""
    deadline = time.monotonic() + timeout
    while len(smtp_server.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(smtp_server.messages) == count, [m["Subject"] for m in smtp_server.messages]
    return list(smtp_server.messages)


def expect_confirmation_mail(mail, *, to: str, order: Order, brand: str, number: str) -> None:  # type: ignore[no-untyped-def]
    """P2: the confirmation e-mail shows the card as brand and last four only."""
    assert mail.rcpt_tos == [to]
    assert order.number in str(mail["Subject"]) + mail.text
    assert f"Paid with: {brand} ending in {digits(number)[-4:]}." in mail.text
    for body in (mail.text, mail.html, mail.message.as_string()):
        assert digits(number) not in body.replace(" ", "").replace("-", "")


def wait_for_webhooks(  # type: ignore[no-untyped-def]
    card_processor, payment_ids: list[str], *, timeout: float = WEBHOOK_SECONDS
) -> None:
    """Every event of these payments reached the shop's webhook and was accepted (a 2xx), so
    no request is still running when the test's database is emptied."""
    deadline = time.monotonic() + timeout
    pending: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        events = [e for p in payment_ids for e in card_processor.events(p)]
        pending = [e for e in events if e["delivery"] != "delivered"]
        if events and not pending:
            return
        time.sleep(0.1)
    raise AssertionError(f"webhooks not accepted by the shop: {pending}")


def attempt_of(payment_id: str) -> CheckoutAttempt:
    return CheckoutAttempt.objects.get(payment_id=payment_id)
