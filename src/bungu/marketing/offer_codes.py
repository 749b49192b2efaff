"""P14: offer codes, one per recipient of a partner offer.

A code is 12 characters drawn at random (``secrets``) from Crockford's base-32 alphabet: 60
bits, so a partner (or anyone) guessing codes finds one of a million issued codes about once
in a billion tries, and nothing about the customer (address, number, name) goes into it. It
is shown as three groups of four (``7KQ4-M2XD-90TB``); a code read back is normalised the
way people mistype it (lower case, O for 0, I or L for 1, spaces and dashes).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

from .partner_models import OfferCode

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12
_CODE = re.compile(f"[{ALPHABET}]{{{CODE_LENGTH}}}")
_MISREAD = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None, "\t": None})
# Codes drawn anew when one collides with a code issued before (practically never).
_TRIES = 3


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def display(code: str) -> str:
    """The code as the customer reads it: three groups of four."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise(text: str) -> str | None:
    """The stored form of a code as someone typed it, or None if it cannot be one."""
    code = text.strip().upper().translate(_MISREAD)
    return code if _CODE.fullmatch(code) else None


def issue_codes(*, offer_id: int, recipient_ids: Sequence[int]) -> dict[int, str]:
    """The code of each of these recipients of the offer, by recipient id, issuing the
    missing ones: a recipient sent again after a crash gets the code it was given before.
    Two queries, three when codes are issued."""
    codes = dict(
        OfferCode.objects.filter(recipient_id__in=recipient_ids).values_list("recipient_id", "code")
    )
    for _ in range(_TRIES):
        missing = [pk for pk in recipient_ids if pk not in codes]
        if not missing:
            break
        OfferCode.objects.bulk_create(
            [OfferCode(offer_id=offer_id, recipient_id=pk, code=new_code()) for pk in missing],
            ignore_conflicts=True,
        )
        codes.update(
            OfferCode.objects.filter(recipient_id__in=missing).values_list("recipient_id", "code")
        )
    return codes
