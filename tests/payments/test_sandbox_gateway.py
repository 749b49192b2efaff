"""The shop's adapter for the sandbox processor, against the real processor process."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest

from bungu.payments import (
    CardSummary,
    IdempotencyConflict,
    InvalidWebhook,
    PaymentRequest,
    PaymentState,
    ProcessorRefused,
    ProcessorUnavailable,
    UnknownPayment,
    get_gateway,
)
from bungu.payments.sandbox import SandboxGateway


@pytest.fixture
def make_gateway():
    """Gateways built by hand, closed after the test."""
    made: list[SandboxGateway] = []

    def make(**options) -> SandboxGateway:  # type: ignore[no-untyped-def]
        gateway = SandboxGateway(**options)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.close()


def _request(reference: str, amount: int = 4200) -> PaymentRequest:
    return PaymentRequest(
        reference=reference,
        amount=amount,
        currency="USD",
        return_url="http://127.0.0.1:8000/checkout/return/",
        description="Bungu order",
    )


def test_get_gateway_is_the_sandbox_adapter_by_default(sandbox_gateway):
    assert isinstance(sandbox_gateway, SandboxGateway)
    assert get_gateway() is sandbox_gateway


def test_the_hosted_page_origin_is_the_apis_unless_the_page_lives_elsewhere(
    make_gateway, settings, sandbox_gateway, card_processor
):
    # The sandbox serves its page on its API's origin (what the browser tests pay through).
    assert sandbox_gateway.page_origin == card_processor.base_url
    payment = sandbox_gateway.create_payment(_request("att_origin"))
    assert payment.checkout_url.startswith(f"{sandbox_gateway.page_origin}/pay/")

    settings.BUNGU_PROCESSOR_PAGE_URL = ""
    assert make_gateway(base_url="http://10.0.0.5:8001/").page_origin == "http://10.0.0.5:8001"
    settings.BUNGU_PROCESSOR_PAGE_URL = "https://pay.example.com/sandbox"
    assert make_gateway(base_url="http://10.0.0.5:8001").page_origin == "https://pay.example.com"


def test_a_payment_goes_from_session_to_refund_through_the_gateway(sandbox_gateway, card_processor):
    created = sandbox_gateway.create_payment(_request("att-flow"))
    assert created.state is PaymentState.PENDING
    assert created.checkout_url == f"{card_processor.base_url}/pay/{created.id}"
    assert created.card is None

    card_processor.pay(created.id, number="5555 5555 5555 4444", expiry="09/33")
    authorised = sandbox_gateway.get_payment(created.id)
    captured = sandbox_gateway.capture(created.id, amount=4000, idempotency_key="att-flow-cap")
    refunded = sandbox_gateway.refund(created.id, amount=1500, idempotency_key="att-flow-ref")

    assert authorised.state is PaymentState.AUTHORISED
    # P2: what the shop learns of the card is the token, brand, last four and expiry.
    assert authorised.card == CardSummary(
        brand="Mastercard", last4="4444", exp_month=9, exp_year=2033
    )
    assert authorised.token.startswith("tok_")
    assert authorised.authorised_at is not None
    assert captured.state is PaymentState.CAPTURED
    assert captured.captured == 4000
    assert refunded.state is PaymentState.PARTIALLY_REFUNDED
    assert refunded.refundable == 2500


def test_the_same_reference_gives_the_same_payment(sandbox_gateway):
    first = sandbox_gateway.create_payment(_request("att-twice"))
    again = sandbox_gateway.create_payment(_request("att-twice"))

    assert again.id == first.id


def test_the_same_reference_with_another_amount_is_an_idempotency_conflict(sandbox_gateway):
    sandbox_gateway.create_payment(_request("att-conflict", amount=100))

    with pytest.raises(IdempotencyConflict) as caught:
        sandbox_gateway.create_payment(_request("att-conflict", amount=101))

    assert caught.value.code == "idempotency_key_reused"


def test_void_releases_the_authorisation(sandbox_gateway, card_processor):
    payment = sandbox_gateway.create_payment(_request("att-void"))
    card_processor.pay(payment.id)

    voided = sandbox_gateway.void(payment.id, idempotency_key="att-void-1")

    assert voided.state is PaymentState.VOIDED
    assert not voided.state.holds_money


def test_refusals_come_back_as_processor_refused_with_the_reason(sandbox_gateway, card_processor):
    payment = sandbox_gateway.create_payment(_request("att-refuse"))
    card_processor.pay(payment.id)
    sandbox_gateway.capture(payment.id, amount=1000, idempotency_key="att-refuse-cap")

    with pytest.raises(ProcessorRefused) as too_much:
        sandbox_gateway.refund(payment.id, amount=1001, idempotency_key="att-refuse-r1")
    with pytest.raises(ProcessorRefused) as wrong_state:
        sandbox_gateway.void(payment.id, idempotency_key="att-refuse-v")

    assert too_much.value.code == "amount_too_large"
    assert "only 1000 of the 1000 captured is left" in str(too_much.value)
    assert wrong_state.value.code == "wrong_state"
    assert sandbox_gateway.get_payment(payment.id).refunded == 0


def test_an_unknown_payment_raises_unknown_payment(sandbox_gateway):
    with pytest.raises(UnknownPayment):
        sandbox_gateway.get_payment("pay_nothing")
    with pytest.raises(UnknownPayment):
        sandbox_gateway.get_payment("../v1/payments")  # never reaches another URL


def test_list_payments_pages_through_the_window(sandbox_gateway, card_processor):
    start = datetime.now(UTC) - timedelta(seconds=1)
    made = [sandbox_gateway.create_payment(_request(f"att-list-{n}")).id for n in range(3)]

    listed = sandbox_gateway.list_payments(created_after=start)
    bounded = sandbox_gateway.list_payments(
        created_after=start, created_before=start + timedelta(microseconds=1)
    )

    assert [p.id for p in listed if p.id in made] == made
    assert bounded == []


def test_list_payments_follows_pages(card_processor, settings, monkeypatch, make_gateway):
    monkeypatch.setattr("bungu.payments.sandbox.PAGE_SIZE", 2)
    gateway = make_gateway(base_url=card_processor.base_url, api_key=card_processor.api_key)
    start = datetime.now(UTC) - timedelta(seconds=1)
    made = [gateway.create_payment(_request(f"att-pages-{n}")).id for n in range(5)]

    listed = gateway.list_payments(created_after=start)

    assert [p.id for p in listed if p.id in made] == made


def test_a_wrong_api_key_is_refused(card_processor, make_gateway):
    gateway = make_gateway(base_url=card_processor.base_url, api_key="sk_test_wrong")

    with pytest.raises(ProcessorRefused) as caught:
        gateway.create_payment(_request("att-401"))

    assert caught.value.code == "unauthorised"


def test_a_processor_that_does_not_answer_is_unavailable(make_gateway):
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        gateway = make_gateway(base_url=f"http://127.0.0.1:{port}", api_key="k", timeout=0.3)

        with pytest.raises(ProcessorUnavailable):
            gateway.create_payment(_request("att-timeout"))


def test_a_processor_that_is_down_is_unavailable(make_gateway):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    gateway = make_gateway(base_url=f"http://127.0.0.1:{port}", api_key="k", timeout=1)

    with pytest.raises(ProcessorUnavailable):
        gateway.get_payment("pay_x")


# ---------------------------------------------------------------- webhooks
@pytest.fixture
def delivered(sandbox_gateway, card_processor, webhook_receiver):
    """A real webhook from the processor: (body, headers, payment id)."""
    card_processor.webhook_mode(url=webhook_receiver.url)
    payment = sandbox_gateway.create_payment(_request(f"att-webhook-{secrets.token_hex(4)}"))
    card_processor.pay(payment.id)
    [received] = webhook_receiver.wait_for(1)
    return received.body, received.headers, payment.id


def test_a_signed_webhook_is_verified_and_parsed(sandbox_gateway, delivered):
    body, headers, payment_id = delivered

    event = sandbox_gateway.verify_webhook(body=body, headers=headers)

    assert event.type == "payment.authorised"
    assert event.id == headers["cardsandbox-event-id"]
    assert event.payment.id == payment_id
    assert event.payment.state is PaymentState.AUTHORISED
    assert event.payment.card is not None
    assert event.payment.card.last4 == "4242"


def test_header_names_are_case_insensitive(sandbox_gateway, delivered):
    body, headers, _ = delivered
    shouted = {name.upper(): value for name, value in headers.items()}

    assert sandbox_gateway.verify_webhook(body=body, headers=shouted).type == "payment.authorised"


def _sign(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{event_id}.{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def test_unsigned_webhooks_are_refused(sandbox_gateway, delivered):
    body, headers, _ = delivered
    for missing in ("cardsandbox-signature", "cardsandbox-timestamp", "cardsandbox-event-id"):
        partial = {k: v for k, v in headers.items() if k != missing}
        with pytest.raises(InvalidWebhook, match="not signed"):
            sandbox_gateway.verify_webhook(body=body, headers=partial)


def test_a_webhook_signed_with_another_secret_is_refused(sandbox_gateway, delivered):
    body, headers, _ = delivered
    forged = headers | {
        "cardsandbox-signature": _sign(
            "whsec_attacker",
            headers["cardsandbox-event-id"],
            int(headers["cardsandbox-timestamp"]),
            body,
        )
    }

    with pytest.raises(InvalidWebhook, match="does not match"):
        sandbox_gateway.verify_webhook(body=body, headers=forged)


def test_a_tampered_body_is_refused(sandbox_gateway, delivered):
    body, headers, _ = delivered
    tampered = body.replace(b'"amount":4200', b'"amount":1')
    assert tampered != body  # the tampering happened

    with pytest.raises(InvalidWebhook, match="does not match"):
        sandbox_gateway.verify_webhook(body=tampered, headers=headers)


def test_an_old_or_future_timestamp_is_refused_even_when_signed(
    sandbox_gateway, card_processor, delivered
):
    body, headers, _ = delivered
    secret = card_processor.webhook_secrets[0]
    for offset in (-301, 301):
        stamp = int(time.time()) + offset
        replayed = headers | {
            "cardsandbox-timestamp": str(stamp),
            "cardsandbox-signature": _sign(secret, headers["cardsandbox-event-id"], stamp, body),
        }
        with pytest.raises(InvalidWebhook, match="timestamp"):
            sandbox_gateway.verify_webhook(body=body, headers=replayed)
    # Positive control: the same re-signing inside the tolerance is accepted.
    stamp = int(time.time()) - 200
    fresh = headers | {
        "cardsandbox-timestamp": str(stamp),
        "cardsandbox-signature": _sign(secret, headers["cardsandbox-event-id"], stamp, body),
    }
    assert sandbox_gateway.verify_webhook(body=body, headers=fresh).id


def test_a_body_naming_another_event_is_refused(sandbox_gateway, card_processor, delivered):
    body, headers, _ = delivered
    stamp = int(time.time())
    signature = _sign(card_processor.webhook_secrets[0], "evt_other", stamp, body)
    swapped = headers | {
        "cardsandbox-event-id": "evt_other",
        "cardsandbox-timestamp": str(stamp),
        "cardsandbox-signature": signature,
    }

    with pytest.raises(InvalidWebhook, match="another event"):
        sandbox_gateway.verify_webhook(body=body, headers=swapped)


def test_rotation_either_active_secret_is_enough(card_processor, delivered, make_gateway):
    body, headers, _ = delivered
    old, new = card_processor.webhook_secrets
    for active in ([old], [new], ["whsec_retired", new]):
        gateway = make_gateway(base_url=card_processor.base_url, webhook_secrets=active)
        assert gateway.verify_webhook(body=body, headers=headers).type == "payment.authorised"
    retired = make_gateway(base_url=card_processor.base_url, webhook_secrets=["whsec_retired"])
    with pytest.raises(InvalidWebhook):
        retired.verify_webhook(body=body, headers=headers)
    nothing = make_gateway(base_url=card_processor.base_url, webhook_secrets=[])
    with pytest.raises(InvalidWebhook):
        nothing.verify_webhook(body=body, headers=headers)


def test_a_signed_body_that_is_not_an_event_is_refused(sandbox_gateway, card_processor):
    body = json.dumps({"id": "evt_x", "type": "payment.authorised"}).encode()
    stamp = int(time.time())
    headers = {
        "Cardsandbox-Event-Id": "evt_x",
        "Cardsandbox-Timestamp": str(stamp),
        "Cardsandbox-Signature": _sign(card_processor.webhook_secrets[0], "evt_x", stamp, body),
    }

    with pytest.raises(InvalidWebhook, match="cannot be read"):
        sandbox_gateway.verify_webhook(body=body, headers=headers)
