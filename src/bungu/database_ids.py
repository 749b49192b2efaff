"""Database ids in URLs and forms: the largest one, and the path converter for them.

``bungu.urls`` registers the converter as ``<id:name>``. It takes a positive integer that
fits the 64-bit signed integers the databases keep ids in (SQLite's INTEGER, PostgreSQL's
bigint). Anything else (zero, a sign, leading zeros, letters, or a number past the largest
id) does not match, so the visitor gets a 404 and no view needs a guard of its own.
"""

from __future__ import annotations

# The largest value of a 64-bit signed integer: the largest id either database can hold.
MAX_DATABASE_ID = 2**63 - 1


class DatabaseIdConverter:
    # Up to 19 digits, no leading zero; to_python turns away the 19-digit numbers past the
    # largest id, which a pattern cannot express readably.
    regex = "[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_DATABASE_ID:
            # Django treats a ValueError here as "this pattern does not match".
            raise ValueError(f"{value} is past the largest database id")
        return number

    def to_url(self, value: int) -> str:
        if not isinstance(value, int) or not 0 < value <= MAX_DATABASE_ID:
            # reverse() then raises NoReverseMatch instead of building a link to a 404.
            raise ValueError(f"{value!r} is not a database id")
        return str(value)
