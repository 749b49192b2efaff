"""P9: the file another source sends, read and checked before anything is stored.

A CSV file in UTF-8 (a byte-order mark is allowed), one row per person, matched on ``email``:

    email,interests,address_line1,address_line2,city,region,postal_code,country
    ann@example.com,ink;paper,,,,,,
    bo@example.com,,12 Elm Street,,Portland,OR,97201,US

``interests`` holds Interest values separated by ``;``; the address columns come together
(line 1, city, postal code and country needed once any is filled). Only these columns are
known; ``email`` and at least one value column are required. A file that is not UTF-8, has
a line longer than ``MAX_LINE_BYTES``, unknown or repeated columns, is refused whole with the
line at fault; so is a file with any bad row (every bad row is listed), as the catalogue
import does: half an import is worse than none.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from .models import SHIPPING_COUNTRIES, Interest

MAX_LINE_BYTES = 4096
MAX_ERRORS_SHOWN = 20
ADDRESS_COLUMNS = (
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
)
VALUE_COLUMNS = ("interests", *ADDRESS_COLUMNS)
COLUMNS = ("email", *VALUE_COLUMNS)
_REQUIRED_ADDRESS = ("address_line1", "city", "postal_code", "country")
_LIMITS = {
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
}


class BadSourceFile(ValueError):  # noqa: N818  # domain nouns (style.md)
    """The file cannot be imported; ``problems`` says why, line by line."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:MAX_ERRORS_SHOWN]
        if len(problems) > MAX_ERRORS_SHOWN:
            shown.append(f"... and {len(problems) - MAX_ERRORS_SHOWN} more problem(s)")
        super().__init__("\n".join(shown))
        self.problems = problems


@dataclass(frozen=True)
class SourcedRow:
    line: int
    email: str
    interests: tuple[str, ...] = ()
    address: dict[str, str] = field(default_factory=dict)


def _lines(stream: BinaryIO) -> Iterator[str]:
    """The file's lines as text. Raises BadSourceFile for a line too long or not UTF-8."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise BadSourceFile(
                [f"line {number}: longer than {MAX_LINE_BYTES} bytes; is this the right file?"]
            )
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as error:
            problem = (
                f"line {number}: not UTF-8 (byte 0x{raw[error.start]:02x} at position "
                f"{error.start + 1}); save the file as UTF-8 and try again"
            )
            raise BadSourceFile([problem]) from None


def _header(names: list[str]) -> list[str]:
    names = [name.strip().lower() for name in names]
    problems = []
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        problems.append(
            f"line 1: unknown column(s) {', '.join(map(repr, unknown))}; "
            f"the known columns are {', '.join(COLUMNS)}"
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        problems.append(f"line 1: column(s) given twice: {', '.join(repeated)}")
    if "email" not in names:
        problems.append("line 1: the 'email' column is missing")
    if not set(names) & set(VALUE_COLUMNS):
        problems.append(f"line 1: no value column ({', '.join(VALUE_COLUMNS)})")
    if problems:
        raise BadSourceFile(problems)
    return names


def _interests(value: str, line: int, problems: list[str]) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(part.strip() for part in value.split(";") if part.strip()))
    unknown = [code for code in codes if code not in Interest.values]
    if unknown:
        problems.append(
            f"line {line}: interests: unknown {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(Interest.values)})"
        )
    return codes


def _address(values: dict[str, str], line: int, problems: list[str]) -> dict[str, str]:
    given = {name: values.get(name, "").strip() for name in ADDRESS_COLUMNS}
    if not any(given.values()):
        return {}
    missing = [name for name in _REQUIRED_ADDRESS if not given[name]]
    if missing:
        problems.append(f"line {line}: address: {', '.join(missing)} missing")
    for name, limit in _LIMITS.items():
        if len(given[name]) > limit:
            problems.append(f"line {line}: {name} longer than {limit} characters")
    country = given["country"].upper()
    if country and country not in dict(SHIPPING_COUNTRIES):
        problems.append(f"line {line}: country {country!r} is not one the shop ships to")
    return {
        "line1": given["address_line1"],
        "line2": given["address_line2"],
        "city": given["city"],
        "region": given["region"],
        "postal_code": given["postal_code"],
        "country": country,
    }


def read_source_file(stream: BinaryIO) -> list[SourcedRow]:
    """Every row of the file, checked. Raises BadSourceFile listing what is wrong."""
    reader = csv.reader(_lines(stream), strict=True)
    try:
        names = _header(next(reader))
    except StopIteration:
        raise BadSourceFile(["the file is empty"]) from None
    except csv.Error as error:
        raise BadSourceFile([f"line 1: not CSV ({error})"]) from None
    rows: list[SourcedRow] = []
    problems: list[str] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(names):
                problems.append(f"line {line}: {len(cells)} cells, the header has {len(names)}")
                continue
            values = dict(zip(names, cells, strict=True))
            email = values["email"].strip()
            try:
                validate_email(email)
            except ValidationError:
                problems.append(f"line {line}: email {email[:80]!r} is not an e-mail address")
            interests = _interests(values.get("interests", ""), line, problems)
            address = _address(values, line, problems)
            if not interests and not address:
                problems.append(f"line {line}: no value to add")
            rows.append(SourcedRow(line, email, interests, address))
    except csv.Error as error:
        problems.append(f"line {reader.line_num}: not CSV ({error})")
    if problems:
        raise BadSourceFile(problems)
    return rows
