"""P8: list comparison by private set intersection (PSI), for a partner who can run it.

The exchange goes by files, with no live connection between the companies:

1. The shop (the PSI *client*) writes a request: its own customers' addresses, normalised as
   the agreement names, each encrypted under a fresh private key of this exchange
   (ECDH: ``H(address)^c``). The key stays in the shop's database, never in the file, with
   the order of our customers in the request, to read the answer back.
2. The partner (the *server*) runs ``bungu marketing psi-answer``, which needs no shop
   database: it encrypts its own list under a key of its own that it never keeps, encrypts
   our elements again (``H(address)^cs``) and writes both into the answer.
3. The shop finishes the exchange with the answer: only the client's key can tell which of
   its own elements are among the partner's, so only the shop learns the intersection, and
   only as indexes into its own list. The matches become suppressions exactly as the HMAC
   method's do (``comparison.store_matches``: P25, the agreement as source and expiry).

What each side learns: the shop, which of its own customers are on the partner's list and how
many addresses that list holds (one element each); the partner, how many customers the shop
sent and nothing about who they are. The partner's setup is sent as the raw elements (not a
Bloom filter or a compressed set): exact, so no customer is suppressed by a false positive.
The protocol guards against a curious partner, not a cheating one: a forged answer can make
more of our customers match (refused when it merely repeats one element), which costs
marketing to them until the agreement ends and discloses nothing.

An exchange lasts ``EXCHANGE_DAYS`` (never past its agreement); finishing it, or its expiry,
wipes the key and the list of members. Files are bounded in size and checked before any
cryptography; every refusal says why (``ComparisonRefused``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import struct
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any, TypeVar

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from google.protobuf.message import DecodeError
from private_set_intersection.python import (
    DataStructure,
    Request,
    Response,
    ServerSetup,
    client,
    server,
)

from .comparison import (
    NORMALISERS,
    ComparisonRefused,
    ComparisonResult,
    customer_addresses,
    store_matches,
    usable_agreement,
)
from .models import ComparisonAgreement, ComparisonExchange, ComparisonMethod

REQUEST_MAGIC = b"BUNGU-PSI-REQUEST 1\n"
ANSWER_MAGIC = b"BUNGU-PSI-ANSWER 1\n"
HEADER_MAX_BYTES = 4096
# A compressed point of the library's curve (P-256).
POINT_BYTES = 33
# A point in a protobuf list: the point, its tag and length, and slack for the wrappers.
ELEMENT_BYTES = POINT_BYTES + 4
MAX_CUSTOMERS = 2_000_000
MAX_PARTNER_ADDRESSES = 5_000_000
MAX_ADDRESS_CHARS = 254
MAX_REQUEST_BYTES = len(REQUEST_MAGIC) + HEADER_MAX_BYTES + MAX_CUSTOMERS * ELEMENT_BYTES
MAX_ANSWER_BYTES = (
    len(ANSWER_MAGIC)
    + HEADER_MAX_BYTES
    + (MAX_CUSTOMERS + MAX_PARTNER_ADDRESSES) * ELEMENT_BYTES
    + 64
)
EXCHANGE_DAYS = 14
# Per element of the request: our customer's id and the first 8 bytes of an HMAC, under a key
# derived from the exchange's, of the address it was sent with.
MEMBER = struct.Struct(">Q8s")
_TAG_CONTEXT = b"bungu.marketing.psi.member"
_T = TypeVar("_T")


@dataclass(frozen=True)
class PsiRequest:
    """A request as the partner reads it."""

    exchange: int
    nonce: str
    partner: str
    normalisation: str
    customers: int
    expires_at: datetime
    sha256: str
    message: Any  # the library's Request protobuf


@dataclass
class AnswerSummary:
    """What ``answer_request`` did, for the partner."""

    lines: int = 0
    addresses: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    customers: int = 0

    def __str__(self) -> str:
        why = ", ".join(f"{n} {reason}" for reason, n in sorted(self.rejected.items()))
        return (
            f"{self.lines} lines read, {self.addresses} distinct addresses encrypted, "
            f"{sum(self.rejected.values())} lines rejected"
            + (f" ({why})" if why else "")
            + f"; answered a request for {self.customers} elements."
        )


def _member_tag(key: bytes, normalised: str) -> bytes:
    tag_key = hmac.new(key, _TAG_CONTEXT, hashlib.sha256).digest()
    return hmac.new(tag_key, normalised.encode(), hashlib.sha256).digest()[:8]


def _header_line(values: dict[str, Any]) -> bytes:
    line = json.dumps(values, ensure_ascii=True, sort_keys=True).encode("ascii") + b"\n"
    if len(line) > HEADER_MAX_BYTES:
        raise ComparisonRefused("The file's header is too long (a partner name under 200 chars).")
    return line


def start_psi_exchange(
    *, agreement: ComparisonAgreement, out: IO[bytes], now: datetime | None = None
) -> ComparisonExchange:
    """Open a PSI exchange under an agreement in force and write its request to ``out``: our
    customers' normalised addresses under a fresh client key that stays with the exchange.
    Raises ComparisonRefused (no agreement in force, no customers, too many)."""
    now = now or timezone.now()
    agreement = usable_agreement(agreement_id=agreement.pk, now=now)
    normalise = NORMALISERS[agreement.normalisation]
    ids: list[int] = []
    addresses: list[str] = []
    seen: set[str] = set()
    for customer_id, address in customer_addresses():
        normalised = normalise(address)
        # One element per address: the suppression is per address, and a repeated element
        # would make the answer look forged (its elements must all differ).
        if normalised and normalised not in seen:
            seen.add(normalised)
            ids.append(customer_id)
            addresses.append(normalised)
    del seen
    if not addresses:
        raise ComparisonRefused("There are no customers with an address to compare.")
    if len(addresses) > MAX_CUSTOMERS:
        raise ComparisonRefused(f"More than {MAX_CUSTOMERS:,} customers: too many for one file.")
    psi_client = client.CreateWithNewKey(True)
    key: bytes = psi_client.GetPrivateKeyBytes()
    message: bytes = psi_client.CreateRequest(addresses).SerializeToString()
    members = b"".join(
        MEMBER.pack(customer_id, _member_tag(key, address))
        for customer_id, address in zip(ids, addresses, strict=True)
    )
    expires_at = min(now + timedelta(days=EXCHANGE_DAYS), agreement.expires_at)
    exchange = ComparisonExchange.objects.create(
        agreement=agreement,
        method=ComparisonMethod.PSI,
        key=key.hex(),
        nonce=secrets.token_hex(16),
        request_sha256=hashlib.sha256(message).hexdigest(),
        members=members,
        expires_at=expires_at,
        created_at=now,
    )
    header = {
        "exchange": exchange.pk,
        "nonce": exchange.nonce,
        "partner": agreement.partner,
        "agreement": agreement.pk,
        "normalisation": agreement.normalisation,
        "customers": len(addresses),
        "expires_at": expires_at.isoformat(),
    }
    out.write(REQUEST_MAGIC + _header_line(header) + message)
    return exchange


def _read_file(
    stream: IO[bytes], *, magic: bytes, limit: int, what: str
) -> tuple[dict[str, Any], bytes]:
    """The header and the body of one of our files, refused with a reason when it is not."""
    start = stream.readline(max(len(REQUEST_MAGIC), len(ANSWER_MAGIC)))
    if start != magic:
        other = ANSWER_MAGIC if magic == REQUEST_MAGIC else REQUEST_MAGIC
        if start == other:
            raise ComparisonRefused(f"This is a {_name(other)}, not a {what}.")
        raise ComparisonRefused(
            f"This is not a {what} (it does not start with {magic.decode().strip()!r})."
        )
    line = stream.readline(HEADER_MAX_BYTES + 1)
    if not line.endswith(b"\n"):
        raise ComparisonRefused(f"The {what}'s header is cut short or too long.")
    try:
        header = json.loads(line)
    except ValueError:
        header = None
    if not isinstance(header, dict):
        raise ComparisonRefused(f"The {what}'s header is damaged.")
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise ComparisonRefused(
            f"The {what} is larger than it can be ({limit:,} bytes at most); refused unread."
        )
    return header, body


def _name(magic: bytes) -> str:
    return "PSI request" if magic == REQUEST_MAGIC else "PSI answer"


def _field(header: dict[str, Any], name: str, kind: type[_T], what: str) -> _T:
    value = header.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ComparisonRefused(f"The {what}'s header lacks a valid {name!r}.")
    return value


def _count(header: dict[str, Any], name: str, what: str, *, top: int = 2**31 - 1) -> int:
    """A whole number of the header, within what the database keeps."""
    value = _field(header, name, int, what)
    if not 0 <= value <= top:
        raise ComparisonRefused(f"The {what}'s header has an impossible {name!r}.")
    return value


def read_request(stream: IO[bytes], *, now: datetime | None = None) -> PsiRequest:
    """The partner's side: read and check a request file. Raises ComparisonRefused."""
    what = "PSI request"
    header, body = _read_file(stream, magic=REQUEST_MAGIC, limit=MAX_REQUEST_BYTES, what=what)
    customers = _field(header, "customers", int, what)
    normalisation = _field(header, "normalisation", str, what)
    try:
        expires_at = datetime.fromisoformat(_field(header, "expires_at", str, what))
    except ValueError as error:
        raise ComparisonRefused(f"The {what}'s expiry is not a date.") from error
    if expires_at.tzinfo is None:
        raise ComparisonRefused(f"The {what}'s expiry has no time zone.")
    if expires_at <= (now or timezone.now()):
        raise ComparisonRefused(
            f"The request expired on {expires_at:%Y-%m-%d %H:%M} UTC; ask for a new one."
        )
    if normalisation not in NORMALISERS:
        raise ComparisonRefused(
            f"The request asks for address normalisation {normalisation!r}, which this version "
            "of Bungu does not know; update it."
        )
    message = Request()
    try:
        message.ParseFromString(body)
    except DecodeError as error:
        raise ComparisonRefused("The request's elements are damaged (not readable).") from error
    elements = message.encrypted_elements
    if not 0 < customers <= MAX_CUSTOMERS or len(elements) != customers:
        raise ComparisonRefused(
            f"The request says {customers} elements but holds {len(elements)}; it is damaged."
        )
    if not message.reveal_intersection or any(len(e) != POINT_BYTES for e in elements):
        raise ComparisonRefused("The request's elements are damaged (not curve points).")
    return PsiRequest(
        exchange=_count(header, "exchange", what, top=2**63 - 1),
        nonce=_field(header, "nonce", str, what),
        partner=str(header.get("partner", "")),
        normalisation=normalisation,
        customers=customers,
        expires_at=expires_at,
        sha256=hashlib.sha256(body).hexdigest(),
        message=message,
    )


def _partner_addresses(
    lines: Iterable[str], *, normalisation: str, summary: AnswerSummary
) -> set[str]:
    normalise = NORMALISERS[normalisation]
    addresses: set[str] = set()
    for line in lines:
        summary.lines += 1
        address = normalise(line)
        if not address:
            summary.rejected["blank"] += 1
        elif len(address) > MAX_ADDRESS_CHARS:
            summary.rejected["too long"] += 1
        elif "@" not in address or any(c.isspace() for c in address):
            summary.rejected["not an address"] += 1
        else:
            addresses.add(address)
            if len(addresses) > MAX_PARTNER_ADDRESSES:
                raise ComparisonRefused(
                    f"More than {MAX_PARTNER_ADDRESSES:,} addresses: too many for one answer."
                )
    return addresses


def answer_request(
    *, request: IO[bytes], addresses: Iterable[str], out: IO[bytes], now: datetime | None = None
) -> AnswerSummary:
    """The partner's side (no shop database): answer a request with the partner's list, one
    address a line, under a fresh key of the partner's that is never kept. Writes the setup
    and the response to ``out``. Raises ComparisonRefused."""
    psi_request = read_request(request, now=now)
    summary = AnswerSummary(customers=psi_request.customers)
    theirs = _partner_addresses(addresses, normalisation=psi_request.normalisation, summary=summary)
    if not theirs:
        raise ComparisonRefused(f"None of the {summary.lines} lines is an address to compare.")
    summary.addresses = len(theirs)
    psi_server = server.CreateWithNewKey(True)
    try:
        setup = psi_server.CreateSetupMessage(
            0.0, psi_request.customers, list(theirs), DataStructure.RAW
        )
        response = psi_server.ProcessRequest(psi_request.message)
    except RuntimeError as error:
        # The library's message names OpenSSL's internals; a person needs only this.
        raise ComparisonRefused(
            "The request's elements are damaged (not points of the curve)."
        ) from error
    del theirs
    # Sorted, so the order of the partner's list says nothing.
    elements = sorted(setup.raw.encrypted_elements)
    del setup.raw.encrypted_elements[:]
    setup.raw.encrypted_elements.extend(elements)
    setup_bytes: bytes = setup.SerializeToString()
    header = {
        "exchange": psi_request.exchange,
        "nonce": psi_request.nonce,
        "request_sha256": psi_request.sha256,
        "lines": summary.lines,
        "addresses": summary.addresses,
        "rejected": dict(summary.rejected),
        "setup_bytes": len(setup_bytes),
    }
    out.write(ANSWER_MAGIC + _header_line(header) + setup_bytes + response.SerializeToString())
    return summary


@dataclass(frozen=True)
class _Answer:
    exchange: int
    nonce: str
    request_sha256: str
    lines: int
    rejected: Counter[str]
    setup: Any
    response: Any


def _read_answer(stream: IO[bytes]) -> _Answer:
    what = "PSI answer"
    header, body = _read_file(stream, magic=ANSWER_MAGIC, limit=MAX_ANSWER_BYTES, what=what)
    setup_bytes = _field(header, "setup_bytes", int, what)
    rejected = header.get("rejected", {})
    if (
        not isinstance(rejected, dict)
        or len(rejected) > 10
        or not all(
            isinstance(k, str) and k.isprintable() and len(k) <= 40 and type(v) is int and v >= 0
            for k, v in rejected.items()
        )
        or sum(rejected.values()) > 2**31 - 1
    ):
        raise ComparisonRefused(f"The {what}'s header lacks a valid 'rejected'.")
    if not 0 < setup_bytes < len(body):
        raise ComparisonRefused(f"The {what} is cut short or damaged.")
    setup, response = ServerSetup(), Response()
    try:
        setup.ParseFromString(body[:setup_bytes])
        response.ParseFromString(body[setup_bytes:])
    except DecodeError as error:
        raise ComparisonRefused(f"The {what} is damaged (not readable).") from error
    return _Answer(
        exchange=_count(header, "exchange", what, top=2**63 - 1),
        nonce=_field(header, "nonce", str, what),
        request_sha256=_field(header, "request_sha256", str, what),
        lines=_count(header, "lines", what),
        rejected=Counter({str(k): int(v) for k, v in rejected.items()}),
        setup=setup,
        response=response,
    )


def _check_open(exchange: ComparisonExchange, *, now: datetime) -> None:
    if exchange.method != ComparisonMethod.PSI:
        raise ComparisonRefused(f"{exchange} is not a private set intersection.")
    if exchange.compared_at is not None or not exchange.key:
        raise ComparisonRefused(
            f"{exchange} was already finished (or has expired); start a new one."
        )
    if exchange.expires_at is not None and exchange.expires_at <= now:
        raise ComparisonRefused(
            f"{exchange} expired on {timezone.localtime(exchange.expires_at):%Y-%m-%d %H:%M}; "
            "start a new one."
        )


def finish_psi_exchange(
    *, stream: IO[bytes], exchange_id: int | None = None, now: datetime | None = None
) -> tuple[ComparisonExchange, ComparisonResult]:
    """Read the partner's answer to one of our requests and suppress our matching customers
    whose notices allow it, until the agreement expires; the exchange's key and members are
    wiped. ``exchange_id``: the exchange the answer must be for (default: the one it names).
    Raises ComparisonRefused (a damaged or foreign answer, a finished or expired exchange)."""
    now = now or timezone.now()
    answer = _read_answer(stream)
    if exchange_id is not None and answer.exchange != exchange_id:
        raise ComparisonRefused(
            f"This answer is for exchange #{answer.exchange}, not exchange #{exchange_id}."
        )
    exchange = ComparisonExchange.objects.filter(pk=answer.exchange).first()
    if exchange is None:
        raise ComparisonRefused(f"There is no exchange #{answer.exchange}; is this our answer?")
    _check_open(exchange, now=now)
    given = f"{answer.nonce}:{answer.request_sha256}".encode()
    # As bytes: compare_digest refuses a str that is not ASCII, and the header is the partner's.
    if not hmac.compare_digest(given, f"{exchange.nonce}:{exchange.request_sha256}".encode()):
        raise ComparisonRefused(f"This answer is for another request than the one {exchange} sent.")
    agreement = usable_agreement(agreement_id=exchange.agreement_id, now=now)
    members = bytes(exchange.members)
    count = len(members) // MEMBER.size
    elements = answer.response.encrypted_elements
    if answer.setup.WhichOneof("data_structure") != "raw":
        raise ComparisonRefused("The answer's setup is not the raw list of elements we ask for.")
    if len(elements) != count:
        raise ComparisonRefused(
            f"The answer holds {len(elements)} elements for the {count} we sent; it is damaged."
        )
    if len(set(elements)) != count:
        raise ComparisonRefused("The answer repeats elements: it is damaged or forged.")
    key = bytes.fromhex(exchange.key)
    try:
        indexes = client.CreateFromKey(key, True).GetIntersection(answer.setup, answer.response)
    except RuntimeError as error:
        raise ComparisonRefused(
            "The answer's elements are damaged (not points of the curve)."
        ) from error
    sent: dict[int, bytes] = {}
    for index in indexes:
        customer_id, tag = MEMBER.unpack_from(members, index * MEMBER.size)
        sent[customer_id] = tag
    result = ComparisonResult(lines=answer.lines, rejected=answer.rejected)
    matched: set[int] = set()
    normalise = NORMALISERS[agreement.normalisation]
    ids = sorted(sent)
    # In chunks: a database limits the parameters of one query (SQLite to 32,766).
    current = (
        row
        for start in range(0, len(ids), 2000)
        for row in get_user_model()
        .objects.filter(pk__in=ids[start : start + 2000], is_active=True)
        .values_list("pk", "email")
    )
    for customer_id, address in current:
        # The address the customer has now must be the one we sent, or the match is not theirs.
        if hmac.compare_digest(sent[customer_id], _member_tag(key, normalise(address))):
            matched.add(customer_id)
        else:
            result.address_changed += 1
    result.matched = len(matched)
    with transaction.atomic():
        locked = ComparisonExchange.objects.select_for_update().get(pk=exchange.pk)
        _check_open(locked, now=now)
        result.not_allowed, result.suppressed = store_matches(
            agreement=agreement, customer_ids=matched, now=now
        )
        locked.key, locked.members, locked.compared_at = "", b"", now
        locked.lines, locked.matched = result.lines, result.matched
        locked.rejected = result.rejected_total
        locked.save(update_fields=["key", "members", "compared_at", "lines", "matched", "rejected"])
    return locked, result


def close_expired_exchanges(*, now: datetime | None = None) -> int:
    """Wipe the key and members of the PSI exchanges whose time ran out unfinished; returns
    how many."""
    now = now or timezone.now()
    return (
        ComparisonExchange.objects.filter(
            method=ComparisonMethod.PSI, compared_at__isnull=True, expires_at__lte=now
        )
        .exclude(key="")
        .update(key="", members=b"")
    )
