"""P8: comparing the customer list with another company's list, to avoid sending people
messages they need not get.

Both sides turn each address, normalised as the agreement names (``v1``:
``suppressions.normalise_address``), into HMAC-SHA-256 under a fresh random key made for one
exchange. Never a plain SHA-256: anyone holding a list of addresses could reverse that by
hashing the list (a file of plain SHA-256 digests of our customers is refused). The partner
sends its digests; the shop streams them, in bounded memory, against its own customers'
digests and keeps only the matches, as suppressions with the agreement as their source and
its expiry as theirs. The shop learns which of its own customers are on the partner's list,
nothing else; it hands over nothing (a key, at most its own digests under that key when the
partner compares). Neither list is stored; the exchange keeps its counts, and its key is
wiped once used.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, TypeVar

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bungu import privacy

from .exceptions import MarketingError
from .models import (
    AGREEMENT_MAX_DAYS,
    ComparisonAgreement,
    ComparisonExchange,
    ComparisonMethod,
    Suppression,
)
from .suppressions import address_digest, normalise_address

KEY_BYTES = 32
DIGEST_HEX = 64
# A line longer than this is rejected without being read whole (a digest line is 64 bytes).
MAX_LINE_BYTES = 256
REASON = "list comparison"
NORMALISERS: dict[str, Callable[[str], str]] = {"v1": normalise_address}
_T = TypeVar("_T")


class ComparisonRefused(MarketingError):  # noqa: N818 - a refusal, said for a person
    """The comparison cannot run; the message says why, for a person."""


@dataclass
class ComparisonResult:
    lines: int = 0
    matched: int = 0
    # P25: matches whose notice (at sign-up, or now) does not allow list comparison: unused.
    not_allowed: int = 0
    suppressed: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    # PSI: matches of customers whose address changed after the request: unused.
    address_changed: int = 0

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def __str__(self) -> str:
        why = ", ".join(f"{n} {reason}" for reason, n in sorted(self.rejected.items()))
        return (
            f"{self.lines} lines read, {self.matched} of our customers matched "
            f"({self.suppressed} suppressions added or extended, {self.not_allowed} left unused "
            "as their notice does not allow list comparison), "
            f"{self.rejected_total} lines rejected"
            + (f" ({why})" if why else "")
            + (
                f"; {self.address_changed} matches left unused as the customer's address "
                "changed since the request"
                if self.address_changed
                else ""
            )
        )


def usable_agreement(*, agreement_id: int, now: datetime | None = None) -> ComparisonAgreement:
    """The agreement, if it exists and is in force; ComparisonRefused otherwise."""
    agreement = ComparisonAgreement.objects.filter(pk=agreement_id).first()
    if agreement is None:
        raise ComparisonRefused(f"There is no comparison agreement #{agreement_id}.")
    if not agreement.in_force(now=now):
        raise ComparisonRefused(
            f"{agreement} expired on {timezone.localdate(agreement.expires_at):%Y-%m-%d}; it "
            "cannot be used."
        )
    if agreement.expires_at > agreement.created_at + timedelta(days=AGREEMENT_MAX_DAYS):
        raise ComparisonRefused(
            f"{agreement} runs longer than {AGREEMENT_MAX_DAYS} days, longer than the data map "
            "keeps its matches; shorten it."
        )
    if agreement.normalisation not in NORMALISERS:
        raise ComparisonRefused(f"Unknown address normalisation {agreement.normalisation!r}.")
    return agreement


def start_exchange(
    *, agreement: ComparisonAgreement, now: datetime | None = None
) -> tuple[ComparisonExchange, bytes]:
    """A new exchange under an agreement in force, with a fresh random key (returned once,
    to hand to the partner; kept in the exchange until the comparison is done)."""
    agreement = usable_agreement(agreement_id=agreement.pk, now=now)
    key = secrets.token_bytes(KEY_BYTES)
    exchange = ComparisonExchange.objects.create(agreement=agreement, key=key.hex())
    return exchange, key


def parse_key(text: str) -> bytes:
    text = text.strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise ComparisonRefused(f"An exchange key is {KEY_BYTES * 2} hex digits.")
    return key


def digest(*, key: bytes, address: str, normalisation: str = "v1") -> str:
    """HMAC-SHA-256 of the normalised address under the exchange key, in hex."""
    normalised = NORMALISERS[normalisation](address)
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def customer_addresses() -> Iterator[tuple[int, str]]:
    """Our customers' (id, address): active accounts with an address."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    yield from users.values_list("pk", "email").order_by("pk").iterator(chunk_size=2000)


def write_digests(
    *, key: bytes, addresses: Iterable[str], out: IO[str], normalisation: str = "v1"
) -> int:
    """Write one digest per address (blank entries skipped, duplicates once); returns how many
    were written. Memory grows with the distinct addresses only through the set of digests
    already written."""
    seen: set[bytes] = set()
    for address in addresses:
        if not address.strip():
            continue
        line = digest(key=key, address=address, normalisation=normalisation)
        raw = bytes.fromhex(line)
        if raw in seen:
            continue
        seen.add(raw)
        out.write(line + "\n")
    return len(seen)


def _lines(stream: IO[bytes]) -> Iterator[bytes | None]:
    """The file's lines without their ends; None for a line longer than MAX_LINE_BYTES,
    skipped without holding it whole."""
    first = True
    while True:
        chunk = stream.readline(MAX_LINE_BYTES + 2)
        if not chunk:
            return
        if first:
            first = False
            if b"\x00" in chunk:
                raise ComparisonRefused(
                    "The file holds NUL bytes: it looks like UTF-16 or binary. Expected plain "
                    "text (ASCII), one 64-digit hex digest per line."
                )
            chunk = chunk.removeprefix(b"\xef\xbb\xbf")
        if chunk.endswith(b"\n") or len(chunk) <= MAX_LINE_BYTES:
            yield chunk.rstrip(b"\r\n")
            continue
        while chunk and not chunk.endswith(b"\n"):
            chunk = stream.readline(64 * 1024)
        yield None


def _check(line: bytes | None) -> tuple[bytes | None, str | None]:
    """The digest a line holds, or why it is rejected."""
    if line is None:
        return None, "too long"
    line = line.strip()
    if not line:
        return None, "blank"
    if len(line) != DIGEST_HEX:
        return None, "wrong length"
    try:
        return bytes.fromhex(line.decode("ascii")), None
    except (UnicodeDecodeError, ValueError):
        return None, "not hex"


def compare_digests(
    *,
    exchange: ComparisonExchange,
    stream: IO[bytes],
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> ComparisonResult:
    """Read the partner's digests (one hex HMAC per line) and suppress the customers of ours
    whose digest is among them until the agreement expires. Memory holds our customers'
    digests and the matches, never the partner's file. ``progress`` is told the bytes read."""
    now = now or timezone.now()
    agreement = usable_agreement(agreement_id=exchange.agreement_id, now=now)
    if not exchange.key or exchange.compared_at is not None:
        raise ComparisonRefused(f"{exchange} has been used; start a new exchange.")
    if exchange.method != ComparisonMethod.HMAC:
        raise ComparisonRefused(
            f"{exchange} is a private set intersection; finish it with its answer."
        )
    key = parse_key(exchange.key)
    ours: dict[bytes, int] = {}
    plain: set[bytes] = set()
    for customer_id, address in customer_addresses():
        normalised = NORMALISERS[agreement.normalisation](address)
        ours[hmac.new(key, normalised.encode(), hashlib.sha256).digest()] = customer_id
        plain.add(hashlib.sha256(normalised.encode()).digest())
    result = ComparisonResult()
    matched: set[int] = set()
    plain_hits = 0
    for line in _lines(stream):
        result.lines += 1
        if progress is not None:
            progress(len(line) + 1 if line is not None else MAX_LINE_BYTES)
        raw, reason = _check(line)
        if raw is None:
            result.rejected[reason or "rejected"] += 1
        elif raw in plain:
            plain_hits += 1
        elif raw in ours:
            matched.add(ours[raw])
    if plain_hits:
        raise ComparisonRefused(
            f"{plain_hits} lines are plain SHA-256 digests of addresses, which anyone with a "
            "list of addresses can reverse. Nothing was stored; ask the partner to use the "
            "exchange key (HMAC-SHA-256)."
        )
    if result.lines and result.rejected_total == result.lines:
        raise ComparisonRefused(
            f"None of the {result.lines} lines is a 64-digit hex digest "
            f"({', '.join(f'{n} {r}' for r, n in sorted(result.rejected.items()))}); "
            "is this the right file?"
        )
    result.matched = len(matched)
    with transaction.atomic():
        result.not_allowed, result.suppressed = store_matches(
            agreement=agreement, customer_ids=matched, now=now
        )
        exchange.key = ""
        exchange.compared_at = now
        exchange.lines = result.lines
        exchange.matched = result.matched
        exchange.rejected = result.rejected_total
        exchange.save(update_fields=["key", "compared_at", "lines", "matched", "rejected"])
    return result


def store_matches(
    *, agreement: ComparisonAgreement, customer_ids: set[int], now: datetime
) -> tuple[int, int]:
    """Suppress the matched customers of ours whose notices allow list comparison (P25) until
    the agreement expires; returns (how many were not allowed, suppressions added or
    extended). Both methods end here. Call it inside a transaction."""
    allowed = _allowed(customer_ids=customer_ids, now=now)
    suppressed = _suppress(agreement=agreement, customer_ids=allowed, now=now)
    return len(customer_ids) - len(allowed), suppressed


def _allowed(*, customer_ids: set[int], now: datetime) -> set[int]:
    """P25: the matched customers whose address may serve list comparison, under the notice
    in force when they gave it and the one in force now (or one they consented to)."""
    allowed: set[int] = set()
    customers = (
        customer
        for chunk in _chunks(sorted(customer_ids), 2000)
        for customer in get_user_model().objects.filter(pk__in=chunk)
    )
    for customer in customers:
        joined = getattr(customer, "date_joined", now)
        decision = privacy.may_use(
            subject=customer,
            data_category=privacy.DataCategory.EMAIL,
            purpose=privacy.Purpose.LIST_COMPARISON,
            recipient="shop",
            collected_at=min(joined, now),
            now=now,
        )
        if decision:
            allowed.add(customer.pk)
    return allowed


def _suppress(*, agreement: ComparisonAgreement, customer_ids: set[int], now: datetime) -> int:
    """Add a suppression per matched customer, lasting until the agreement expires; an entry
    that already lasts as long or longer (a bounce, for good) is left as it is."""
    # In chunks: a database limits the parameters of one query (SQLite to 32,766).
    digests = {
        address_digest(email)
        for chunk in _chunks(sorted(customer_ids), 2000)
        for email in get_user_model().objects.filter(pk__in=chunk).values_list("email", flat=True)
    }
    changed = 0
    for chunk in _chunks(sorted(digests), 500):
        existing = {
            s.address_digest: s for s in Suppression.objects.filter(address_digest__in=chunk)
        }
        new = [
            Suppression(
                address_digest=d,
                reason=REASON,
                source=agreement.source,
                created_at=now,
                expires_at=agreement.expires_at,
            )
            for d in chunk
            if d not in existing
        ]
        Suppression.objects.bulk_create(new)
        extend = [
            s
            for s in existing.values()
            if s.expires_at is not None and s.expires_at < agreement.expires_at
        ]
        for s in extend:
            s.reason, s.source, s.expires_at = REASON, agreement.source, agreement.expires_at
        Suppression.objects.bulk_update(extend, ["reason", "source", "expires_at"])
        changed += len(new) + len(extend)
    return changed


def _chunks(items: list[_T], size: int) -> Iterator[list[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def prune_suppressions(*, now: datetime | None = None) -> int:
    """P5: delete marketing's suppressions whose time is over (a comparison's, when its
    agreement expired) and those without an end older than the data map's retention;
    returns how many."""
    now = now or timezone.now()
    over = Q(expires_at__isnull=False, expires_at__lte=now) | Q(
        expires_at__isnull=True, created_at__lte=now - timedelta(days=AGREEMENT_MAX_DAYS)
    )
    deleted, _ = Suppression.objects.filter(over).delete()
    return deleted
