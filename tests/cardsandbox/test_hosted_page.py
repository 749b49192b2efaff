"""The hosted payment page: the card typed on the processor's origin, outcomes by test card."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from cardsandbox.cards import TEST_CARDS, brand_of, luhn_valid

RETURN = "http://127.0.0.1:9/checkout/return/"


def test_every_listed_test_card_passes_luhn_and_has_a_brand():
    for card in TEST_CARDS:
        assert luhn_valid(card.number), card.number
        assert brand_of(card.number), card.number
    assert not luhn_valid("4242424242424241")  # positive control


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", "Visa"),
        ("5555555555554444", "Mastercard"),
        ("2223003122003222", "Mastercard"),
        ("378282246310005", "American Express"),
        ("6011111111111117", "Discover"),
        ("3530111333300000", ""),
    ],
)
def test_the_brand_comes_from_the_number_prefix(number, brand):
    assert brand_of(number) == brand


def test_an_approved_card_redirects_to_the_shop_with_the_payment_id(card_processor):
    payment = card_processor.create(return_url=f"{RETURN}?step=pay")

    response = card_processor.pay(payment["id"], number="4242 4242 4242 4242", expiry="04/31")

    assert response.status_code == 303
    assert response.headers["location"] == f"{RETURN}?step=pay&payment={payment['id']}"
    after = card_processor.get(payment["id"])
    assert after["state"] == "authorised"
    assert after["card"] == {"brand": "Visa", "last4": "4242", "exp_month": 4, "exp_year": 2031}
    assert after["token"].startswith("tok_")
    assert [e["type"] for e in card_processor.events(payment["id"])] == ["payment.authorised"]


@pytest.mark.parametrize(
    ("number", "code", "message"),
    [
        ("4000000000000002", "card_declined", "Your card was declined."),
        ("5105105105100002", "card_declined", "Your card was declined."),
        ("4000000000009995", "insufficient_funds", "Your card has insufficient funds."),
        ("4000000000000069", "expired_card", "Your card has expired."),
        ("4000000000000127", "incorrect_cvc", "security code is incorrect"),
        ("4000000000000119", "processing_error", "An error occurred while processing your card"),
    ],
)
def test_a_declining_test_card_shows_its_reason_and_the_form_again(
    card_processor, number, code, message
):
    payment = card_processor.create()

    response = card_processor.pay(payment["id"], number=number)

    assert response.status_code == 402
    assert message in response.text.replace("&#x27;", "'")
    assert 'role="alert"' in response.text
    assert 'id="id_number"' in response.text  # another card can be tried
    after = card_processor.get(payment["id"])
    assert after["state"] == "pending"
    assert after["decline_code"] == code
    assert after["card"] is None
    assert after["token"] == ""
    # P2: the number is not typed back into the page.
    assert number not in response.text


def test_after_a_decline_another_card_is_approved(card_processor):
    payment = card_processor.create()
    card_processor.pay(payment["id"], number="4000000000009995")

    response = card_processor.pay(payment["id"], number="5555555555554444")

    assert response.status_code == 303
    after = card_processor.get(payment["id"])
    assert after["state"] == "authorised"
    assert after["decline_code"] == ""
    assert after["card"]["brand"] == "Mastercard"


def test_a_3ds_card_authorised_after_the_challenge_is_completed(card_processor):
    payment = card_processor.create()

    with card_processor.page_session() as browser:
        first = card_processor.submit(
            browser,
            f"/pay/{payment['id']}",
            {"number": "4000 0025 0000 3155", "expiry": "12/34", "cvc": "123"},
        )
        assert first.status_code == 303
        assert first.headers["location"] == f"/pay/{payment['id']}/challenge"
        assert card_processor.get(payment["id"])["state"] == "requires_action"
        page = browser.get(first.headers["location"])
        assert "Complete authentication" in page.text
        assert "Fail authentication" in page.text
        done = card_processor.submit(browser, first.headers["location"], {"result": "complete"})

    assert done.status_code == 303
    assert done.headers["location"] == f"{RETURN}?payment={payment['id']}"
    assert card_processor.get(payment["id"])["state"] == "authorised"
    assert card_processor.get(payment["id"])["card"]["last4"] == "3155"


def test_a_failed_3ds_challenge_returns_to_the_form_with_the_reason(card_processor):
    payment = card_processor.create()

    response = card_processor.pay(payment["id"], number="4000002500003155", challenge="fail")

    assert response.status_code == 303
    assert response.headers["location"] == f"/pay/{payment['id']}"
    after = card_processor.get(payment["id"])
    assert after["state"] == "pending"
    assert after["decline_code"] == "authentication_failed"
    assert after["card"] is None
    with card_processor.page_session() as browser:
        page = browser.get(f"/pay/{payment['id']}")
    assert "We could not authenticate your payment" in page.text
    assert card_processor.events(payment["id"]) == []


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"number": "4242 4242 4242 4241"}, "number", "This card number is not valid."),
        ({"number": "4242-abcd"}, "number", "may contain only digits"),
        ({"number": ""}, "number", "Enter the card number."),
        ({"number": "3530111333300000"}, "number", "We accept Visa, Mastercard"),
        ({"expiry": "01/20"}, "expiry", "This card has expired"),
        ({"expiry": "13/30"}, "expiry", "The expiry month must be between 01 and 12."),
        ({"expiry": "soon"}, "expiry", "Enter the expiry date as MM/YY"),
        ({"cvc": "12"}, "cvc", "The security code is 3 digits."),
        ({"cvc": "12a"}, "cvc", "The security code is 3 digits."),
        ({"number": "378282246310005", "cvc": "123"}, "cvc", "The security code is 4 digits."),
    ],
)
def test_bad_card_details_are_refused_with_a_clear_message(card_processor, form, field, message):
    payment = card_processor.create()
    typed = {"number": "4242424242424242", "expiry": "12/34", "cvc": "123"} | form

    response = card_processor.pay(payment["id"], **typed)

    assert response.status_code == 400
    assert message in response.text
    assert f'<a href="#id_{field}">' in response.text
    assert re.search(rf'id="id_{field}"[^>]*aria-invalid="true"', response.text, re.S)
    assert card_processor.get(payment["id"])["state"] == "pending"


def test_cancel_marks_the_payment_cancelled_and_returns_to_the_shop(card_processor):
    payment = card_processor.create()

    with card_processor.page_session() as browser:
        page = browser.get(f"/pay/{payment['id']}")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token
        response = browser.post(
            f"/pay/{payment['id']}/cancel",
            data={"csrfmiddlewaretoken": token.group(1)},
            headers={"Origin": card_processor.base_url},
        )

    assert response.status_code == 303
    assert response.headers["location"] == f"{RETURN}?payment={payment['id']}"
    assert card_processor.get(payment["id"])["state"] == "cancelled"
    assert [e["type"] for e in card_processor.events(payment["id"])] == ["payment.cancelled"]
    with card_processor.page_session() as browser:
        again = browser.get(f"/pay/{payment['id']}")
    assert "This payment was cancelled" in again.text
    assert 'id="id_number"' not in again.text


def test_the_form_is_refused_without_the_csrf_token(card_processor):
    payment = card_processor.create()

    with card_processor.page_session() as browser:
        response = browser.post(
            f"/pay/{payment['id']}",
            data={"number": "4242424242424242", "expiry": "12/34", "cvc": "123"},
        )

    assert response.status_code == 403
    assert card_processor.get(payment["id"])["state"] == "pending"


def test_the_page_has_labelled_fields_and_links_the_test_cards(card_processor):
    payment = card_processor.create(amount=123456, description="Bungu order")

    with card_processor.page_session() as browser:
        page = browser.get(f"/pay/{payment['id']}")

    assert page.status_code == 200
    assert "<h1>Pay 1,234.56 USD</h1>" in page.text
    for field in ("name", "number", "expiry", "cvc"):
        assert f'<label for="id_{field}">' in page.text
        assert f'id="id_{field}"' in page.text
    assert 'autocomplete="cc-number"' in page.text
    assert "<script" not in page.text  # works without JavaScript
    assert 'href="/test-cards"' in page.text
    assert "Cancel and return to the shop" in page.text
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'none'" in csp
    assert "form-action 'self' http://127.0.0.1:9" in csp


def test_an_unknown_payment_page_is_a_clear_404(card_processor):
    with card_processor.page_session() as browser:
        page = browser.get("/pay/pay_nothing")

    assert page.status_code == 404
    assert "Payment not found" in page.text


def test_the_test_cards_page_lists_every_card_and_outcome(card_processor):
    with card_processor.page_session() as browser:
        page = browser.get("/test-cards")

    assert page.status_code == 200
    for card in TEST_CARDS:
        assert card.spaced in page.text
    assert "4242 4242 4242 4242" in page.text
    assert "4000 0025 0000 3155" in page.text


def _stored_cells(database: Path) -> list[str]:
    """Every value of every column of every table, as text."""
    with closing(sqlite3.connect(database)) as connection:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return [
            str(cell)
            for table in tables
            for row in connection.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - own schema
            for cell in row
            if cell is not None
        ]


# A security code alone is three digits, which turn up by chance in any file (timestamps, ids):
# it is looked for as a whole value, or as a number of its own in the log once times are gone.
_LOG_TIME = re.compile(r"\d{2}:\d{2}:\d{2}[,.]\d+")


def _code_in_log(log: str, code: str) -> bool:
    return re.search(rf"(?<![0-9a-fA-F]){code}(?![0-9a-fA-F])", _LOG_TIME.sub("", log)) is not None


def test_p2_the_sandbox_keeps_no_full_number_or_security_code(start_card_processor):
    """P2 (on the processor's side): only token, brand, last four and expiry are stored."""
    # A processor of its own, so its files hold only this test's payment; and a four-digit
    # code looked for as a number on its own: three digits turn up by chance in the random
    # ids and timestamps of a session's worth of payments.
    processor = start_card_processor()
    payment = processor.create()
    declined = processor.pay(payment["id"], number="3700 000000 00002", cvc="9731")
    assert declined.status_code == 402
    assert processor.pay(payment["id"], number="3782 822463 10005", cvc="9731").status_code == 303

    cells = _stored_cells(processor.var_dir / "cardsandbox.sqlite3")
    raw = b"".join(path.read_bytes() for path in processor.var_dir.glob("cardsandbox.sqlite3*"))
    log = processor.log()
    for number in ("378282246310005", "370000000000002"):
        assert number.encode() not in raw
        assert number not in log
        assert not any(number in cell for cell in cells)
    assert "9731" not in cells  # the security code is no stored value
    assert not _code_in_log(log, "9731")
    assert processor.get(payment["id"])["card"]["last4"] == "0005"
    # Positive controls: the scans do find what is there.
    assert payment["id"] in cells
    assert payment["id"].encode() in raw
    assert _code_in_log(log + "\nform: cvc=9731 number=...", "9731")
    assert not _code_in_log("2026-12-04 09:05:31,9731 INFO pay_0a9731b", "9731")
