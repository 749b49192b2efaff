"""Card numbers as the sandbox reads them: Luhn, brand by prefix, and the test-card table.

The outcomes follow the test cards real processors document: most numbers are approved,
and a few last-four endings (or whole numbers) decline in a chosen way or ask for a 3-D
Secure-like challenge.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    APPROVED = "approved"
    CHALLENGE = "challenge"  # a 3-D Secure-like page asks the customer to authenticate
    DECLINED = "card_declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    EXPIRED_CARD = "expired_card"
    INCORRECT_CVC = "incorrect_cvc"
    PROCESSING_ERROR = "processing_error"


# What the customer reads on the payment page for each decline code.
DECLINE_MESSAGES = {
    Outcome.DECLINED: "Your card was declined. Try another card.",
    Outcome.INSUFFICIENT_FUNDS: "Your card has insufficient funds. Try another card.",
    Outcome.EXPIRED_CARD: "Your card has expired. Try another card.",
    Outcome.INCORRECT_CVC: "Your card's security code is incorrect. Check it and try again.",
    Outcome.PROCESSING_ERROR: (
        "An error occurred while processing your card. Try again in a moment, or use another card."
    ),
    "authentication_failed": (
        "We could not authenticate your payment (3-D Secure). Try again or use another card."
    ),
}


@dataclass(frozen=True, slots=True)
class TestCard:
    number: str
    outcome: Outcome
    note: str

    @property
    def brand(self) -> str:
        return brand_of(self.number)

    @property
    def spaced(self) -> str:
        size = 4
        if len(self.number) == 15:  # American Express: 4-6-5
            return f"{self.number[:4]} {self.number[4:10]} {self.number[10:]}"
        return " ".join(self.number[i : i + size] for i in range(0, len(self.number), size))


# Whole numbers first (they win), then the last-four rules; anything else that passes Luhn
# and has a known brand is approved.
TEST_CARDS = [
    TestCard("4242424242424242", Outcome.APPROVED, "Approved."),
    TestCard("5555555555554444", Outcome.APPROVED, "Approved (Mastercard)."),
    TestCard("378282246310005", Outcome.APPROVED, "Approved (American Express, 4-digit code)."),
    TestCard("6011111111111117", Outcome.APPROVED, "Approved (Discover)."),
    TestCard("4000002500003155", Outcome.CHALLENGE, "Asks for 3-D Secure authentication."),
    TestCard("4000002760003184", Outcome.CHALLENGE, "Always asks for 3-D Secure authentication."),
    TestCard("4000000000000002", Outcome.DECLINED, "Declined (any number ending in 0002)."),
    TestCard("4000000000009995", Outcome.INSUFFICIENT_FUNDS, "Insufficient funds (ending 9995)."),
    TestCard("4000000000000069", Outcome.EXPIRED_CARD, "Expired card (ending 0069)."),
    TestCard("4000000000000127", Outcome.INCORRECT_CVC, "Wrong security code (ending 0127)."),
    TestCard("4000000000000119", Outcome.PROCESSING_ERROR, "Processing error (ending 0119)."),
]
_BY_NUMBER = {card.number: card.outcome for card in TEST_CARDS}
_BY_LAST_FOUR = {
    "0002": Outcome.DECLINED,
    "9995": Outcome.INSUFFICIENT_FUNDS,
    "0069": Outcome.EXPIRED_CARD,
    "0127": Outcome.INCORRECT_CVC,
    "0119": Outcome.PROCESSING_ERROR,
}

BRANDS = ("Visa", "Mastercard", "American Express", "Discover")
_LENGTHS = {
    "Visa": {13, 16, 19},
    "Mastercard": {16},
    "American Express": {15},
    "Discover": {16, 17, 18, 19},
}


def luhn_valid(number: str) -> bool:
    """True when the digits pass the Luhn check (every second digit from the right doubled)."""
    if not number.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def brand_of(number: str) -> str:
    """The card's brand from its first digits, or "" when the sandbox does not take it."""
    if number.startswith("4"):
        return "Visa"
    if number[:2] in {"34", "37"}:
        return "American Express"
    two, four, three = int(number[:2] or 0), int(number[:4] or 0), int(number[:3] or 0)
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return "Mastercard"
    if number.startswith(("6011", "65")) or 644 <= three <= 649:
        return "Discover"
    return ""


def length_ok(number: str, brand: str) -> bool:
    return len(number) in _LENGTHS.get(brand, set())


def security_code_length(brand: str) -> int:
    return 4 if brand == "American Express" else 3


def outcome_of(number: str) -> Outcome:
    """What the sandbox answers for a (valid) card number."""
    if number in _BY_NUMBER:
        return _BY_NUMBER[number]
    return _BY_LAST_FOUR.get(number[-4:], Outcome.APPROVED)
