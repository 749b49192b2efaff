"""The sandbox processor's JSON API, against the real `python -m cardsandbox` process."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest

BODY = {
    "reference": "att_api",
    "amount": 2500,
    "currency": "usd",
    "return_url": "http://127.0.0.1:9/checkout/return/?step=pay",
    "description": "Order at Bungu",
}


def test_creating_a_payment_gives_a_pending_session_with_a_hosted_page(card_processor):
    response = card_processor.api("POST", "/v1/payments", key="key-create-1", json=BODY)

    assert response.status_code == 201
    payment = response.json()
    assert payment["id"].startswith("pay_")
    assert payment["state"] == "pending"
    assert payment["amount"] == 2500
    assert payment["currency"] == "USD"
    assert payment["reference"] == "att_api"
    assert payment["checkout_url"] == f"{card_processor.base_url}/pay/{payment['id']}"
    assert payment["card"] is None
    assert payment["token"] == ""
    created = datetime.fromisoformat(payment["created_at"])
    expires = datetime.fromisoformat(payment["expires_at"])
    assert expires - created == timedelta(minutes=15)
    assert card_processor.get(payment["id"]) == payment


def test_same_key_and_same_parameters_give_the_same_payment(card_processor):
    first = card_processor.api("POST", "/v1/payments", key="key-same", json=BODY)
    again = card_processor.api("POST", "/v1/payments", key="key-same", json=BODY)

    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"


def test_same_key_with_other_parameters_is_refused_with_409(card_processor):
    first = card_processor.api("POST", "/v1/payments", key="key-other", json=BODY)
    other = card_processor.api(
        "POST", "/v1/payments", key="key-other", json=BODY | {"amount": 2600}
    )

    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    # Nothing new was made: the list holds the first payment once and no 2600 one.
    listed = card_processor.api("GET", "/v1/payments", params={"limit": 100}).json()["data"]
    assert [p["amount"] for p in listed if p["reference"] == "att_api"].count(2600) == 0
    assert [p["id"] for p in listed].count(first.json()["id"]) == 1


def test_a_capture_key_replayed_does_not_capture_twice(card_processor):
    payment = card_processor.create(amount=1000)
    card_processor.pay(payment["id"])

    first = card_processor.api(
        "POST", f"/v1/payments/{payment['id']}/capture", key="cap-1", json={"amount": 600}
    )
    again = card_processor.api(
        "POST", f"/v1/payments/{payment['id']}/capture", key="cap-1", json={"amount": 600}
    )
    other = card_processor.api(
        "POST", f"/v1/payments/{payment['id']}/capture", key="cap-1", json={"amount": 700}
    )

    assert first.status_code == again.status_code == 200
    assert again.json()["captured"] == 600
    assert other.status_code == 409
    assert card_processor.get(payment["id"])["captured"] == 600


def test_partial_capture_releases_the_rest(card_processor):
    payment = card_processor.create(amount=5000)
    card_processor.pay(payment["id"])

    captured = card_processor.api(
        "POST", f"/v1/payments/{payment['id']}/capture", key="cap-part", json={"amount": 3000}
    ).json()

    assert captured["state"] == "captured"
    assert captured["captured"] == 3000
    assert captured["expires_at"] is None
    # The released rest cannot be captured later.
    second = card_processor.api(
        "POST", f"/v1/payments/{payment['id']}/capture", key="cap-part-2", json={"amount": 2000}
    )
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "wrong_state"


def test_capturing_more_than_authorised_is_refused(card_processor):
    payment = card_processor.create(amount=5000)
    card_processor.pay(payment["id"])

    response = card_processor.api(
        "POST", f"/v1/payments/{payment['id']}/capture", key="cap-big", json={"amount": 5001}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "amount_too_large"
    assert card_processor.get(payment["id"])["state"] == "authorised"


def test_void_releases_an_authorisation_and_then_nothing_can_be_captured(card_processor):
    payment = card_processor.create()
    card_processor.pay(payment["id"])

    voided = card_processor.api("POST", f"/v1/payments/{payment['id']}/void", key="void-1")
    capture = card_processor.api(
        "POST", f"/v1/payments/{payment['id']}/capture", key="void-cap", json={"amount": 1}
    )

    assert voided.status_code == 200
    assert voided.json()["state"] == "voided"
    assert capture.status_code == 409
    assert card_processor.get(payment["id"])["captured"] == 0


def test_a_pending_payment_cannot_be_voided_or_captured(card_processor):
    payment = card_processor.create()

    void = card_processor.api("POST", f"/v1/payments/{payment['id']}/void", key="void-pend")

    assert void.status_code == 409
    assert void.json()["error"]["message"] == "Cannot void a payment that is pending."


def test_refunds_are_partial_and_never_more_than_captured(card_processor):
    payment = card_processor.create(amount=4000)
    card_processor.pay(payment["id"])
    path = f"/v1/payments/{payment['id']}"
    card_processor.api("POST", f"{path}/capture", key="rf-cap", json={"amount": 3000})

    first = card_processor.api("POST", f"{path}/refund", key="rf-1", json={"amount": 1000})
    too_much = card_processor.api("POST", f"{path}/refund", key="rf-2", json={"amount": 2001})
    rest = card_processor.api("POST", f"{path}/refund", key="rf-3", json={"amount": 2000})
    after = card_processor.api("POST", f"{path}/refund", key="rf-4", json={"amount": 1})

    assert first.json()["state"] == "partially_refunded"
    assert first.json()["refunded"] == 1000
    assert too_much.status_code == 400
    assert too_much.json()["error"]["code"] == "amount_too_large"
    assert "only 2000 of the 3000 captured is left" in too_much.json()["error"]["message"]
    assert rest.json()["state"] == "refunded"
    assert rest.json()["refunded"] == 3000
    assert after.status_code == 409
    assert card_processor.get(payment["id"])["refunded"] == 3000


def test_an_uncaptured_authorisation_cannot_be_refunded(card_processor):
    payment = card_processor.create()
    card_processor.pay(payment["id"])

    response = card_processor.api(
        "POST", f"/v1/payments/{payment['id']}/refund", key="rf-auth", json={"amount": 1}
    )

    assert response.status_code == 409
    assert card_processor.get(payment["id"])["refunded"] == 0


def test_listing_pages_through_payments_oldest_first(card_processor):
    start = datetime.now(UTC) - timedelta(seconds=1)
    made = [card_processor.create(reference=f"list-{n}")["id"] for n in range(5)]

    seen, params = [], {"created_after": start.isoformat(), "limit": 2}
    pages = 0
    while True:
        page = card_processor.api("GET", "/v1/payments", params=params).json()
        pages += 1
        seen.extend(p["id"] for p in page["data"])
        if not page["has_more"]:
            break
        params["starting_after"] = page["data"][-1]["id"]

    mine = [payment_id for payment_id in seen if payment_id in made]
    assert mine == made
    assert len(seen) == len(set(seen))
    assert pages >= 3


def test_listing_by_created_before_leaves_later_payments_out(card_processor):
    earlier = card_processor.create(reference="before")
    cutoff = datetime.now(UTC)
    later = card_processor.create(reference="after")

    page = card_processor.api(
        "GET",
        "/v1/payments",
        params={"created_before": cutoff.isoformat(), "limit": 100},
    ).json()

    ids = [p["id"] for p in page["data"]]
    assert earlier["id"] in ids
    assert later["id"] not in ids


def test_without_the_api_key_every_api_call_is_refused_with_401(card_processor):
    for headers in ({}, {"Authorization": "Bearer sk_test_wrong"}, {"Authorization": "sk"}):
        with httpx.Client(base_url=card_processor.base_url, headers=headers) as client:
            create = client.post(
                "/v1/payments", json=BODY | {"reference": "k401"}, headers={"Idempotency-Key": "k"}
            )
            listing = client.get("/v1/payments")
        assert create.status_code == listing.status_code == 401
        assert create.json()["error"]["code"] == "unauthorised"
        assert create.headers["WWW-Authenticate"].startswith("Bearer")
    listed = card_processor.api("GET", "/v1/payments", params={"limit": 100}).json()["data"]
    assert "k401" not in [p["reference"] for p in listed]


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (b"{not json", "invalid_json", "The body is not valid JSON."),
        (b"[1, 2]", "invalid_json", "The body must be a JSON object."),
        (
            b'{"amount": 100, "currency": "USD", "return_url": "http://x/"}',
            "missing_field",
            "'reference' is required.",
        ),
        (
            b'{"reference": "r", "currency": "USD", "return_url": "http://x/"}',
            "missing_field",
            "'amount' is required (integer, in cents).",
        ),
        (
            b'{"reference": "r", "amount": "100", "currency": "USD", "return_url": "http://x/"}',
            "invalid_field",
            "'amount' must be an integer number of cents.",
        ),
        (
            b'{"reference": "r", "amount": 10.5, "currency": "USD", "return_url": "http://x/"}',
            "invalid_field",
            "'amount' must be an integer number of cents.",
        ),
        (
            b'{"reference": "r", "amount": true, "currency": "USD", "return_url": "http://x/"}',
            "invalid_field",
            "'amount' must be an integer number of cents.",
        ),
        (
            b'{"reference": "r", "amount": -5, "currency": "USD", "return_url": "http://x/"}',
            "invalid_field",
            "'amount' must be between 1 and 99999999.",
        ),
        (
            b'{"reference": "r", "amount": 5, "currency": "US", "return_url": "http://x/"}',
            "invalid_field",
            "'currency' must be a three-letter ISO 4217 code.",
        ),
        (
            b'{"reference": "r", "amount": 5, "currency": "USD", "return_url": "javascript:x"}',
            "invalid_field",
            "'return_url' must be an absolute http(s) URL.",
        ),
        (
            b'{"reference": 7, "amount": 5, "currency": "USD", "return_url": "http://x/"}',
            "invalid_field",
            "'reference' must be a string.",
        ),
    ],
)
def test_bad_input_gets_a_400_with_its_reason(card_processor, body, code, message):
    response = card_processor.api(
        "POST",
        "/v1/payments",
        key="bad-input",
        content=body,
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json() == {"error": {"code": code, "message": message}}


def test_a_post_without_an_idempotency_key_is_refused(card_processor):
    response = card_processor.api("POST", "/v1/payments", json=BODY)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "missing_idempotency_key"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/v1/payments/pay_nothing", 404, "unknown_payment"),
        ("POST", "/v1/payments/pay_nothing/void", 404, "unknown_payment"),
        ("GET", "/v1/nowhere", 404, "not_found"),
        ("DELETE", "/v1/payments", 405, "method_not_allowed"),
        ("GET", "/v1/payments?limit=0", 400, "invalid_field"),
        ("GET", "/v1/payments?limit=ten", 400, "invalid_field"),
        ("GET", "/v1/payments?created_after=yesterday", 400, "invalid_field"),
        ("GET", "/v1/payments?starting_after=pay_nothing", 400, "invalid_field"),
    ],
)
def test_unknown_ids_and_bad_queries_get_a_4xx_with_a_reason(
    card_processor, method, path, status, code
):
    response = card_processor.api(method, path, key="k-any")

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_an_unfinished_session_expires_after_its_ttl(start_card_processor):
    processor = start_card_processor(CARDSANDBOX_SESSION_TTL="1")
    payment = processor.create()

    deadline_passed = datetime.fromisoformat(payment["expires_at"])
    assert deadline_passed - datetime.fromisoformat(payment["created_at"]) == timedelta(seconds=1)
    _wait_until(lambda: processor.get(payment["id"])["state"] == "expired")
    page = httpx.get(f"{processor.base_url}/pay/{payment['id']}")
    assert "This payment page has expired" in page.text


def test_an_uncaptured_authorisation_expires_and_cannot_be_captured(start_card_processor):
    processor = start_card_processor(CARDSANDBOX_AUTHORISATION_TTL="1")
    payment = processor.create()
    assert processor.pay(payment["id"]).status_code == 303

    _wait_until(lambda: processor.get(payment["id"])["state"] == "expired")
    capture = processor.api(
        "POST", f"/v1/payments/{payment['id']}/capture", key="late", json={"amount": 1}
    )
    assert capture.status_code == 409
    assert capture.json()["error"]["message"] == "Cannot capture a payment that is expired."


def test_the_expire_knob_ends_a_session_at_once(card_processor):
    payment = card_processor.create()

    response = card_processor.api("POST", f"/v1/test/payments/{payment['id']}/expire")

    assert response.json()["state"] == "expired"
    assert [e["type"] for e in card_processor.events(payment["id"])] == ["payment.expired"]


def _wait_until(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_concurrent_requests_with_one_key_make_one_payment(card_processor):
    """A double click or a retry racing the first request: one payment, the same answer."""
    body = BODY | {"reference": "att-race"}

    def create(_: int) -> tuple[int, str]:
        with httpx.Client(
            base_url=card_processor.base_url,
            headers={"Authorization": f"Bearer {card_processor.api_key}"},
        ) as client:
            response = client.post(
                "/v1/payments", json=body, headers={"Idempotency-Key": "key-race"}
            )
        return response.status_code, response.json()["id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(create, range(8)))

    assert {status for status, _ in answers} == {201}
    assert len({payment_id for _, payment_id in answers}) == 1
    listed = card_processor.api("GET", "/v1/payments", params={"limit": 100}).json()["data"]
    assert [p["reference"] for p in listed].count("att-race") == 1
