"""Webhooks from the sandbox processor: signed with every active secret, retried, and the
test knobs that duplicate, reorder, delay or drop them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest


def _expected(secret: str, received) -> str:  # type: ignore[no-untyped-def]
    signed = (
        f"{received.headers['cardsandbox-event-id']}."
        f"{received.headers['cardsandbox-timestamp']}.".encode()
        + received.body
    )
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def test_an_authorisation_is_notified_signed_with_both_active_secrets(
    card_processor, webhook_receiver
):
    card_processor.webhook_mode(url=webhook_receiver.url)
    payment = card_processor.create()

    card_processor.pay(payment["id"])
    [received] = webhook_receiver.wait_for(1)

    body = json.loads(received.body)
    assert body["type"] == "payment.authorised"
    assert body["id"] == received.headers["cardsandbox-event-id"]
    assert body["payment"]["id"] == payment["id"]
    assert body["payment"]["state"] == "authorised"
    assert body["payment"]["card"]["last4"] == "4242"
    assert abs(int(received.headers["cardsandbox-timestamp"]) - time.time()) < 30
    signatures = received.headers["cardsandbox-signature"].split(",")
    assert signatures == [f"v1={_expected(s, received)}" for s in card_processor.webhook_secrets]
    # Positive control: a secret the processor does not have gives another signature.
    assert f"v1={_expected('whsec_other', received)}" not in signatures


def test_each_state_change_is_notified_in_order(card_processor, webhook_receiver):
    card_processor.webhook_mode(url=webhook_receiver.url)
    payment = card_processor.create(amount=900)
    card_processor.pay(payment["id"])
    path = f"/v1/payments/{payment['id']}"
    card_processor.api("POST", f"{path}/capture", key="wh-c", json={"amount": 900})
    card_processor.api("POST", f"{path}/refund", key="wh-r", json={"amount": 400})
    voided = card_processor.create()
    card_processor.pay(voided["id"])
    card_processor.api("POST", f"/v1/payments/{voided['id']}/void", key="wh-v")

    received = webhook_receiver.wait_for(4)

    types = [(json.loads(r.body)["payment"]["id"], json.loads(r.body)["type"]) for r in received]
    assert [t for pid, t in types if pid == payment["id"]] == [
        "payment.authorised",
        "payment.captured",
        "payment.refunded",
    ]
    webhook_receiver.wait_for(5)
    assert card_processor.events(voided["id"])[-1]["type"] == "payment.voided"


def test_a_failed_delivery_is_retried_with_backoff_until_it_is_accepted(
    card_processor, webhook_receiver
):
    card_processor.webhook_mode(url=webhook_receiver.url)
    webhook_receiver.fail_next(3)
    payment = card_processor.create()

    card_processor.pay(payment["id"])
    [accepted] = webhook_receiver.wait_for(1)

    attempts = webhook_receiver.received
    assert len(attempts) == 4
    assert {a.headers["cardsandbox-event-id"] for a in attempts} == {
        accepted.headers["cardsandbox-event-id"]
    }
    # Waits of 0.2, 0.4 and 0.8 s (the test processor's backoff base is 0.2 s): growing.
    [event] = card_processor.events(payment["id"])
    assert event["delivery"] == "delivered"
    assert event["attempts"] == 3


def test_retries_are_bounded(start_card_processor, webhook_receiver):
    processor = start_card_processor(
        CARDSANDBOX_WEBHOOK_MAX_ATTEMPTS="3", CARDSANDBOX_WEBHOOK_BACKOFF="0.05"
    )
    processor.webhook_mode(url=webhook_receiver.url)
    webhook_receiver.fail_next(100)
    payment = processor.create()

    processor.pay(payment["id"])
    deadline = time.monotonic() + 10
    while processor.events(payment["id"])[0]["delivery"] != "failed":
        assert time.monotonic() < deadline
        time.sleep(0.1)

    time.sleep(0.5)
    assert len(webhook_receiver.received) == 3
    assert processor.events(payment["id"])[0]["last_error"] == "HTTP 500"


def test_the_duplicate_knob_sends_the_same_event_twice(card_processor, webhook_receiver):
    card_processor.webhook_mode("duplicate", url=webhook_receiver.url)
    payment = card_processor.create()

    card_processor.pay(payment["id"])
    first, second = webhook_receiver.wait_for(2)

    assert first.headers["cardsandbox-event-id"] == second.headers["cardsandbox-event-id"]
    assert first.body == second.body


def test_the_reorder_knob_sends_a_later_event_first(card_processor, webhook_receiver):
    # The capture must reach the processor before the payment's event is due: 3 s leaves a
    # busy machine room between the two calls (with 1 s the knob was right and the test not).
    card_processor.webhook_mode("reorder", delay=3.0, url=webhook_receiver.url)
    payment = card_processor.create()

    card_processor.pay(payment["id"])
    card_processor.api("POST", f"/v1/payments/{payment['id']}/capture", key="ro", json={})
    received = webhook_receiver.wait_for(2)

    assert [json.loads(r.body)["type"] for r in received] == [
        "payment.captured",
        "payment.authorised",
    ]


def test_the_delay_knob_holds_an_event_back(card_processor, webhook_receiver):
    card_processor.webhook_mode("delay", delay=1.5, url=webhook_receiver.url)
    payment = card_processor.create()

    started = time.monotonic()
    card_processor.pay(payment["id"])
    webhook_receiver.wait_for(1)

    assert time.monotonic() - started >= 1.4


def test_the_drop_knob_never_sends_the_event(card_processor, webhook_receiver):
    card_processor.webhook_mode("drop", url=webhook_receiver.url)
    payment = card_processor.create()

    card_processor.pay(payment["id"])
    time.sleep(1)

    assert webhook_receiver.received == []
    assert card_processor.events(payment["id"])[0]["delivery"] == "dropped"
    # Positive control: back to normal, the next event arrives.
    card_processor.webhook_mode(url=webhook_receiver.url)
    card_processor.api("POST", f"/v1/payments/{payment['id']}/void", key="drop-void")
    [received] = webhook_receiver.wait_for(1)
    assert json.loads(received.body)["type"] == "payment.voided"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"mode": "sometimes"}, "'mode' must be one of"),
        ({"mode": "delay", "delay": -1}, "'delay' must be a number of seconds"),
        ({"mode": "delay", "delay": "soon"}, "'delay' must be a number of seconds"),
        ({"mode": "normal", "url": "ftp://x"}, "'url' must be an http(s) URL."),
        ({}, "'mode' is required."),
    ],
)
def test_the_knob_refuses_bad_settings(card_processor, body, message):
    response = card_processor.api("POST", "/v1/test/webhook-mode", json=body)

    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
