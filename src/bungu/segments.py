"""How an app declares a segment of customers a campaign can go to: one line in its
``segments.py``.

    # bungu/wishlists/segments.py
    SEGMENTS = [Segment("wished_in_stock", "Wish-listed an item that is in stock", members)]

A segment is a small named query over the app's own data: ``members(argument=..., now=...)``
returns the ids of the customers in it (a QuerySet of ids, so it can be counted and used in
a subquery without loading them). ``bungu.marketing`` finds every installed app's
``segments.py`` the way the admin finds ``admin.py``. This module sits below every app and
imports none (an import-linter contract), so an app on the marketing app's own layer (wish
lists) can offer a segment without either importing the other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

DECLARATIONS_MODULE = "segments"
_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")


class SegmentQuery(Protocol):
    """The ids of the customers in the segment. Raises ValueError, with a message for the
    staff member, for an argument it cannot use."""

    def __call__(self, *, argument: str, now: datetime) -> Any: ...


@dataclass(frozen=True)
class Segment:
    """``argument``: what the segment asks for (e.g. "category"), "" for none; ``choices``:
    the arguments it offers, as (value, label) pairs, when they form a list; ``default``: the
    argument used when staff leave it blank ("" when one must be given)."""

    key: str
    label: str
    members: SegmentQuery
    argument: str = ""
    choices: Callable[[], list[tuple[str, str]]] | None = None
    default: str = ""

    def __post_init__(self) -> None:
        if not _KEY.fullmatch(self.key):
            raise ValueError(f"{self.key!r}: a segment key is lower-case letters, digits, _")
        if self.default and not self.argument:
            raise ValueError(f"{self.key!r}: a default is for a segment that asks an argument")
