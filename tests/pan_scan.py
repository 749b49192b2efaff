"""P2: a scanner for full card numbers (PANs) in whatever the shop keeps or sends.

A candidate is a run of 13 to 19 digits, the digits optionally separated by single spaces or
dashes (``4242 4242 4242 4242``, ``4242-4242-4242-4242``, ``4242424242424242``), that passes
the Luhn check. A longer run made of groups (``1234 4242 4242 4242 4242``) is searched group
by group, so a number written next to other digits is still found; a long run of bare digits
(a token, say) is not a card number.

``database_dump()`` writes every text and JSON value of every table of the shop's database
(any backend: it walks the tables the connection lists, not Django's models, so a table no
model maps is read too), with the sessions decoded, since a session's data is signed and
encoded and a number inside it would not show.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.sessions.models import Session
from django.db import connections

MIN_DIGITS, MAX_DIGITS = 13, 19
# Digits with at most one space or dash between two of them, not part of a hexadecimal id:
# the shop's and the processor's ids (attempts, payments) are random hex, and one in a few
# hundred holds a Luhn-valid run of digits by chance. A card number is never written glued
# to the letters a-f.
_RUN = re.compile(r"(?<![0-9A-Fa-f])\d(?:[ -]?\d)*(?![0-9A-Fa-f])")
_SEPARATOR = re.compile(r"[ -]")


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check every card number passes."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _candidates(run: str) -> Iterable[str]:
    groups = _SEPARATOR.split(run)
    for start in range(len(groups)):
        digits = ""
        for group in groups[start:]:
            digits += group
            if len(digits) > MAX_DIGITS:
                break
            if len(digits) >= MIN_DIGITS:
                yield digits


def find_pans(text: str) -> list[str]:
    """The card numbers in ``text``, as bare digits, in order of appearance."""
    found: list[str] = []
    for match in _RUN.finditer(text):
        for digits in _candidates(match.group(0)):
            if luhn_valid(digits) and digits not in found:
                found.append(digits)
    return found


def mask(digits: str) -> str:
    """How a finding is reported: the report must not repeat the number it found."""
    return f"{digits[:6]}{'*' * (len(digits) - 10)}{digits[-4:]}"


@dataclass(frozen=True)
class Finding:
    source: str
    masked: str

    def __str__(self) -> str:
        return f"{self.source}: {self.masked}"


def scan(sources: Mapping[str, str]) -> list[Finding]:
    """Every card number in every named text (a dump, a log, an e-mail...)."""
    return [
        Finding(source=name, masked=mask(digits))
        for name, text in sources.items()
        for digits in find_pans(text)
    ]


def _as_text(value: object) -> str | None:
    """A column's value as text, or None for what is not text or JSON (numbers, dates and
    flags are stored as such and are not where a card number would be written)."""
    if isinstance(value, str):
        return value
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, dict | list):  # PostgreSQL's jsonb comes back decoded
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, int | float | Decimal | bool):
        return None
    return None  # dates, times, UUIDs


def database_dump(using: str = "default") -> str:
    """Every text and JSON value of every table of the database, one line per value
    (``table.column: value``), then each session's decoded data."""
    connection = connections[using]
    lines: list[str] = []
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from the database itself
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    text = _as_text(value)
                    if text:
                        lines.append(f"{table}.{column}: {text}")
    for session in Session.objects.using(using).all():
        lines.append(
            f"session {session.pk[:8]} decoded: {json.dumps(session.get_decoded(), default=str)}"
        )
    return "\n".join(lines)
