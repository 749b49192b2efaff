"""A guest's checkout step by step, each step on the node the check chooses (the cluster's
``Browser``), paying on the sandbox processor's page; and the books of one attempt: its
orders in the shop's database and its payments at the processor."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import psycopg

from cluster import Cluster
from tests.cluster.browser import Browser
from tests.cluster.shop import buyers

MONEY_HELD = {"authorised", "captured", "partially_refunded", "refunded"}


def _submit(
    browser: Browser, page: httpx.Response, path: str, node: str | None, answers: dict[str, str]
) -> httpx.Response:
    form = buyers.form_posting_to(page.text, path, page_url=str(page.url), step=path)
    answer = browser.post(path, form.filled(answers), node=node)
    assert answer.status_code == 200, f"{path}: {answer.status_code}"
    return answer


def to_review(browser: Browser, product_path: str, *, node: str | None) -> dict[str, str]:
    """Cart, address, shipping: the fields of the review page's "Place order" form."""
    product = browser.get(product_path, node=node)
    assert product.status_code == 200
    _submit(browser, product, "/cart/add/", node, {"quantity": "1"})
    address = browser.get("/checkout/", node=node)
    assert address.status_code == 200
    shipping = _submit(browser, address, "/checkout/address/", node, buyers.GUEST_DETAILS)
    review = _submit(browser, shipping, "/checkout/shipping/", node, {})
    form = buyers.form_posting_to(
        review.text, "/checkout/pay/", page_url=str(review.url), step="review"
    )
    return form.filled()


def place(browser: Browser, fields: dict[str, str], *, node: str | None) -> str:
    """ "Place order": the processor's payment page the shop sends the guest to."""
    answer = browser.post("/checkout/pay/", fields, node=node, follow=False)
    assert answer.status_code == 302, f"place order: {answer.status_code} {answer.text[:300]}"
    return str(answer.headers["location"])


def pay_at_processor(cluster: Cluster, payment_page: str) -> str:
    """Pay with the approved card on the processor's page; the shop's path it sends back to."""
    with httpx.Client(timeout=30) as processor:
        page = processor.get(payment_page)
        assert page.status_code == 200
        path = urlsplit(payment_page).path
        form = buyers.form_posting_to(page.text, path, page_url=payment_page, step="pay")
        paid = processor.post(
            urljoin(payment_page, form.action or path),
            data=form.filled(buyers.APPROVED_CARD),
            headers={"Origin": cluster.processor_url, "Referer": payment_page},
        )
    assert paid.status_code in {302, 303}, f"pay: {paid.status_code}"
    back = urlsplit(paid.headers["location"])
    return back.path + (f"?{back.query}" if back.query else "")


def pay(
    cluster: Cluster, browser: Browser, payment_page: str, *, node: str | None
) -> httpx.Response:
    """Pay on the processor's page, then come back to the shop (on ``node``)."""
    return browser.get(pay_at_processor(cluster, payment_page), node=node)


def orders_of(cluster: Cluster, attempt: str) -> int:
    assert cluster.primary is not None
    with psycopg.connect(cluster.primary.url, connect_timeout=10) as connection:
        row = connection.execute(
            "SELECT count(*) FROM orders_order WHERE attempt_id = %s", (attempt,)
        ).fetchone()
    return int(row[0]) if row else 0


def payments_of(cluster: Cluster, attempt: str) -> list[dict[str, Any]]:
    """Every payment the processor holds for the attempt (its reference)."""
    found: list[dict[str, Any]] = []
    with httpx.Client(
        base_url=cluster.processor_url,
        headers={"Authorization": f"Bearer {cluster.processor_api_key}"},
        timeout=30,
    ) as processor:
        after = ""
        for _ in range(100):
            query = f"/v1/payments?limit=100{'&starting_after=' + after if after else ''}"
            page = processor.get(query).json()
            found += [one for one in page["data"] if one["reference"] == attempt]
            if not page["has_more"] or not page["data"]:
                break
            after = page["data"][-1]["id"]
    return found
