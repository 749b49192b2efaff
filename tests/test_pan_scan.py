"""The P2 card-number scanner finds what it must and nothing else; its database dump reaches
every table, JSON columns and decoded sessions included."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore

from bungu.mail.models import OutboxMessage
from tests.pan_scan import database_dump, find_pans, luhn_valid, mask, scan


@pytest.mark.parametrize(
    "number",
    [
        "4242424242424242",  # Visa, 16
        "4222222222222",  # Visa, 13
        "378282246310005",  # American Express, 15
        "6011111111111117",  # Discover
        "5555555555554444",  # Mastercard
        "6304000000000000000"[:18] + "1",  # 19 digits, made Luhn-valid below
    ],
)
def test_luhn_valid_numbers_of_13_to_19_digits_are_found(number: str) -> None:
    if not luhn_valid(number):  # the 19-digit one: fix its check digit
        number = number[:-1] + next(d for d in "0123456789" if luhn_valid(number[:-1] + d))
    assert find_pans(f"paid with {number}.") == [number]


@pytest.mark.parametrize(
    ("written", "digits"),
    [
        ("4242 4242 4242 4242", "4242424242424242"),
        ("4242-4242-4242-4242", "4242424242424242"),
        ("3782 822463 10005", "378282246310005"),
        ("4 2 4 2 4 2 4 2 4 2 4 2 4 2 4 2", "4242424242424242"),
        ('{"card": "4242424242424242"}', "4242424242424242"),
        ("card=4000000000000002&cvc=123", "4000000000000002"),
        ("order 1234 4242 4242 4242 4242", "4242424242424242"),  # beside other digits
        ("pan4242424242424242", "4242424242424242"),  # after a word that is not hex
    ],
)
def test_separated_and_embedded_numbers_are_found(written: str, digits: str) -> None:
    assert digits in find_pans(written)


@pytest.mark.parametrize(
    "text",
    [
        "4242 4242 4242 4241",  # fails the Luhn check
        "4242424242424241",
        "424242424242",  # 12 digits, Luhn-valid
        "42424242424242424242",  # 20 bare digits: a token, not a card
        "4242  4242  4242  4242",  # two spaces are not one number
        "4242.4242.4242.4242",
        "Visa ending in 4242, 2026-01-15 12:34:56.123456, order 000123, total $18.00",
        "pay_4242424242424242ab",  # a hexadecimal id, however its digits fall
        "attempt f4242424242424242",
        "",
    ],
)
def test_what_is_not_a_card_number_is_not_found(text: str) -> None:
    assert find_pans(text) == []


def test_luhn_check() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert not luhn_valid("4242 4242")


def test_findings_name_the_source_and_never_repeat_the_number() -> None:
    findings = scan({"log": "ok", "mail": "x 4242 4242 4242 4242 y"})
    assert [str(f) for f in findings] == ["mail: 424242******4242"]
    assert mask("378282246310005") == "378282*****0005"


@pytest.mark.django_db
def test_the_database_dump_reaches_text_json_and_session_values() -> None:
    assert find_pans(database_dump()) == []

    OutboxMessage.objects.create(
        to_address="a@example.com",
        kind="test",
        subject="s",
        text_body="paid 4000 0000 0000 0002",
        headers={"X-Note": "6011111111111117"},  # a JSON column
        message_id="<pan-scan@bungu.test>",
    )
    session = SessionStore()
    session["note"] = "5555-5555-5555-4444"
    session.create()

    found = find_pans(database_dump())
    assert sorted(found) == ["4000000000000002", "5555555555554444", "6011111111111117"]
