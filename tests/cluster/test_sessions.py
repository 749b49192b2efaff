"""(3) Sessions, carts and signed links made on one node work on the others; signing out on
one node ends the session on all of them."""

from __future__ import annotations

import re
import time
from typing import Any

from cluster import Cluster
from tests.cluster import figures, shop
from tests.cluster.browser import Browser

NODES = ("a", "b", "c")
_GUEST_LINK = re.compile(r"https://[^\s\"'<>]+/orders/guest/[^\s\"'<>/]+/")


def _wait_for_guest_link(cluster: Cluster, *, after: int, seconds: float = 60) -> str:
    """The guest-order link of the newest confirmation e-mail the sink received after its
    first ``after`` messages (not an earlier check's order: every buyer has one address)."""
    assert cluster.smtp is not None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for message in reversed(cluster.smtp.messages[after:]):
            body = message.get_body(preferencelist=("plain",))
            text = str(body.get_content()) if body is not None else ""  # type: ignore[attr-defined]
            found = _GUEST_LINK.search(text)
            if found:
                return found.group(0)
        time.sleep(0.5)
    return ""


def _signed_in(browser: Browser, node: str) -> bool:
    page = browser.get("/account/", node=node, follow=False)
    if page.status_code == 302:
        assert "/account/login/" in page.headers["location"]
        return False
    assert page.status_code == 200
    return True


def test_a_session_made_on_a_works_on_b_and_c_and_signing_out_on_b_ends_it_everywhere(
    cluster: Cluster, browser: Browser
) -> None:
    shop.make_customer(cluster, "hana@example.com", "a long enough password 1")
    # The positive control: not signed in, every node sends the visitor to sign in.
    assert [_signed_in(browser, node) for node in NODES] == [False, False, False]
    form = browser.get("/account/login/", node="a")
    answer = browser.post(
        "/account/login/",
        {
            "csrfmiddlewaretoken": browser.csrf(form),
            "login": "hana@example.com",
            "password": "a long enough password 1",
        },
        node="a",
    )
    assert answer.status_code == 200
    assert [_signed_in(browser, node) for node in NODES] == [True, True, True]
    page = browser.get("/account/", node="b")
    before = dict(browser.cookies)
    answer = browser.post("/account/logout/", {"csrfmiddlewaretoken": browser.csrf(page)}, node="b")
    assert answer.status_code == 200
    assert [_signed_in(browser, node) for node in NODES] == [False, False, False]
    # The old session cookie, played back on purpose, is refused by every node.
    replay = Browser(cluster)
    try:
        replay.cookies = before
        assert [_signed_in(replay, node) for node in NODES] == [False, False, False]
    finally:
        replay.close()
    figures.record("(3) sessions", "nodes honouring a session made on A", 3)
    figures.record("(3) sessions", "nodes still signed in after sign-out on B", 0)


def test_a_cart_filled_on_a_is_the_same_on_b_and_c(
    cluster: Cluster, browser: Browser, stock: dict[str, Any]
) -> None:
    path = stock["plenty"][1]["path"]
    product = browser.get(path, node="a")
    form = shop.buyers.form_posting_to(
        product.text, "/cart/add/", page_url=str(product.url), step="add"
    )
    answer = browser.post("/cart/add/", form.filled({"quantity": "3"}), node="a")
    assert answer.status_code == 200
    code = stock["plenty"][1]["code"]
    for node in NODES:
        cart = browser.get("/cart/", node=node)
        assert cart.status_code == 200
        assert code in cart.text or 'value="3"' in cart.text, f"node {node} lost the cart"
    # The positive control: another browser (no cart cookie) sees an empty cart.
    stranger = Browser(cluster)
    try:
        assert 'value="3"' not in stranger.get("/cart/", node="b").text
    finally:
        stranger.close()
    figures.record("(3) carts", "nodes showing a cart filled on A", 3)


def test_the_signed_link_to_a_guest_order_works_on_every_node(
    cluster: Cluster, stock: dict[str, Any]
) -> None:
    assert cluster.smtp is not None
    received_before = len(cluster.smtp.messages)
    person = shop.buyer(cluster, stock["plenty"][2]["path"])
    try:
        outcome = person.buy()
    finally:
        person.close()
    assert outcome.confirmed, outcome.error
    link = _wait_for_guest_link(cluster, after=received_before)
    assert link, "no confirmation e-mail with the order's link arrived"
    path = "/" + link.split("/", 3)[3]
    viewer = Browser(cluster)
    try:
        for node in NODES:
            page = viewer.get(path, node=node)
            assert page.status_code == 200, f"node {node}: {page.status_code}"
            assert "4242" in page.text
        # The positive control: the link with one character changed works on no node.
        forged = path[:-2] + ("A" if path[-2] != "A" else "B") + "/"
        assert all(viewer.get(forged, node=node).status_code >= 400 for node in NODES)
    finally:
        viewer.close()
    figures.record("(3) signed links", "nodes opening a guest-order link", 3)
