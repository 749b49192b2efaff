"""P14: a partner reports back the codes its customers redeemed, as a plain list (one code a
line). Every line is checked; the answer is counts, and for lines that were refused their
line numbers: never a code, and nothing about a customer (the partner has no way to learn
whose a code was)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from .exceptions import BadUpload
from .offer_codes import normalise
from .partner_models import OfferCode, Partner

MAX_UPLOAD_BYTES = 1_000_000
MAX_LINES = 20_000
# Line numbers listed per kind of refused line; the rest are counted.
LISTED_LINES = 20
_CHUNK = 500
_LABELS = {
    "malformed": "not a code",
    "repeated": "repeated in this list",
    "unknown": "unknown",
    "already_redeemed": "reported redeemed before",
    "expired": "too late",
}


@dataclass
class RedemptionResult:
    lines: int = 0
    recorded: int = 0
    # Redeemed in an earlier list, or twice in this one.
    already_redeemed: int = 0
    repeated: int = 0
    unknown: int = 0
    expired: int = 0
    malformed: int = 0
    problem_lines: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def listed(self) -> list[tuple[str, list[int], bool]]:
        """The refused lines by kind: what they were, their numbers, whether more followed."""
        return [
            (label, self.problem_lines[kind], getattr(self, kind) > len(self.problem_lines[kind]))
            for kind, label in _LABELS.items()
            if self.problem_lines.get(kind)
        ]

    def note(self, kind: str, line: int) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        if len(self.problem_lines[kind]) < LISTED_LINES:
            self.problem_lines[kind].append(line)


def read_upload(data: bytes) -> list[tuple[int, str]]:
    """The non-blank lines of an upload with their numbers. Raises BadUpload for an empty,
    too big or binary file, or one that is not UTF-8 text."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise BadUpload(
            f"The list is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB: send it in parts "
            f"of at most {MAX_LINES:,} codes."
        )
    if b"\x00" in data:
        raise BadUpload("This is not a plain text list: send one code a line, as text.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadUpload(
            "This is not a plain text list in UTF-8: send one code a line, as text."
        ) from None
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1)]
    lines = [(n, line) for n, line in lines if line]
    if not lines:
        raise BadUpload("The list holds no codes: send one code a line.")
    if len(lines) > MAX_LINES:
        raise BadUpload(f"The list holds more than {MAX_LINES:,} codes: send it in parts.")
    return lines


@transaction.atomic
def record_redemptions(
    *, partner: Partner, data: bytes, now: datetime.datetime | None = None
) -> RedemptionResult:
    """Note the partner's redeemed codes. Only codes of this partner's own offers are known
    to it; a code of another partner counts as unknown. Raises BadUpload."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    lines = read_upload(data)
    result = RedemptionResult(lines=len(lines))
    wanted: list[tuple[int, str]] = []
    seen: set[str] = set()
    for number, line in lines:
        code = normalise(line)
        if code is None:
            result.note("malformed", number)
        elif code in seen:
            result.note("repeated", number)
        else:
            seen.add(code)
            wanted.append((number, code))
    known: dict[str, OfferCode] = {}
    codes = [code for _, code in wanted]
    for start in range(0, len(codes), _CHUNK):
        chunk = codes[start : start + _CHUNK]
        for row in (
            OfferCode.objects.select_for_update(of=("self",))
            .filter(code__in=chunk, offer__partner=partner)
            .select_related("offer")
        ):
            known[row.code] = row
    to_record: list[int] = []
    for number, code in wanted:
        found = known.get(code)
        if found is None:
            result.note("unknown", number)
        elif found.redeemed_at is not None:
            result.note("already_redeemed", number)
        elif not found.offer.reportable_on(today):
            result.note("expired", number)
        else:
            to_record.append(found.pk)
    for start in range(0, len(to_record), _CHUNK):
        result.recorded += OfferCode.objects.filter(
            pk__in=to_record[start : start + _CHUNK], redeemed_at__isnull=True
        ).update(redeemed_at=now)
    return result
