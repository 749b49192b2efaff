"""``bungu marketing ACTION ...``: marketing's commands (P8, list comparison).

``bungu marketing prepare --agreement N --out FILE`` starts an exchange under agreement N with
a fresh random key, prints the key once (hand it to the partner over a safe channel) and
writes our customers' digests under it to FILE (only when the partner is to compare).

``bungu marketing prepare --key-file KEY --addresses LIST --out FILE`` is the partner's side:
the digests of the addresses in LIST (one a line, UTF-8) under the key it was given. It needs
no database; the file holds HMACs only.

``bungu marketing compare --agreement N FILE`` compares the partner's digests with our
customers under the agreement's open exchange and stores only the matches, as suppressions.

By private set intersection (``bungu.marketing.psi``), where the partner can run it:
``bungu marketing psi-request --agreement N --out FILE`` writes our request;
``bungu marketing psi-answer --request FILE --list LIST --out FILE`` is the partner's side (no
database needed); ``bungu marketing psi-finish FILE`` reads the partner's answer and stores
only our matching customers, as suppressions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from bungu.marketing.comparison import (
    ComparisonRefused,
    compare_digests,
    customer_addresses,
    parse_key,
    start_exchange,
    usable_agreement,
    write_digests,
)
from bungu.marketing.models import ComparisonExchange, ComparisonMethod
from bungu.marketing.psi import (
    MEMBER,
    answer_request,
    finish_psi_exchange,
    start_psi_exchange,
)


def _read_addresses(path: Path) -> Iterator[str]:
    try:
        with path.open(encoding="utf-8") as lines:
            yield from lines
    except UnicodeDecodeError as error:
        raise CommandError(f"{path}: not UTF-8 text ({error.reason}).") from error


@contextmanager
def _writing(path: Path) -> Iterator[IO[bytes]]:
    """``path`` opened for writing, removed again if what writes it fails (no half file)."""
    try:
        with path.open("wb") as out:
            yield out
    except BaseException:
        path.unlink(missing_ok=True)
        raise


class Command(BaseCommand):
    help = "List comparison (P8): prepare digests, compare a partner's digests."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        prepare = actions.add_parser("prepare", help="write digests under an exchange key")
        prepare.add_argument("--agreement", type=int, help="the agreement (our side)")
        prepare.add_argument("--key-file", type=Path, help="the exchange key (partner's side)")
        prepare.add_argument("--addresses", type=Path, help="addresses, one a line")
        prepare.add_argument("--out", type=Path, required=True, help="where the digests go")
        compare = actions.add_parser("compare", help="compare a partner's digests")
        compare.add_argument("--agreement", type=int, required=True)
        compare.add_argument("--exchange", type=int, help="default: the agreement's open one")
        compare.add_argument("--no-progress", action="store_true")
        compare.add_argument("file", type=Path, help="the partner's digests, one a line")
        request = actions.add_parser("psi-request", help="write a PSI request (our side)")
        request.add_argument("--agreement", type=int, required=True)
        request.add_argument("--out", type=Path, required=True, help="where the request goes")
        answer = actions.add_parser("psi-answer", help="answer a PSI request (partner's side)")
        answer.add_argument("--request", type=Path, required=True, help="the shop's request")
        answer.add_argument("--list", type=Path, required=True, help="addresses, one a line")
        answer.add_argument("--out", type=Path, required=True, help="where the answer goes")
        finish = actions.add_parser("psi-finish", help="read a partner's PSI answer")
        finish.add_argument("--exchange", type=int, help="default: the one the answer names")
        finish.add_argument("file", type=Path, help="the partner's answer")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            action = options["action"]
            if action == "prepare":
                self._prepare(options)
            elif action == "compare":
                self._compare(options)
            elif action == "psi-request":
                self._psi_request(options)
            elif action == "psi-answer":
                self._psi_answer(options)
            else:
                self._psi_finish(options)
        except ComparisonRefused as refused:
            raise CommandError(str(refused)) from refused
        except OSError as error:
            raise CommandError(f"{error.filename}: {error.strerror}") from error

    def _prepare(self, options: dict[str, Any]) -> None:
        if options["key_file"] is not None:
            key = parse_key(options["key_file"].read_text(encoding="ascii", errors="replace"))
        elif options["agreement"] is not None:
            agreement = usable_agreement(agreement_id=options["agreement"])
            exchange, key = start_exchange(agreement=agreement)
            self.stdout.write(f"Exchange #{exchange.pk} under {agreement}.")
            self.stdout.write(f"Exchange key (shown once; give it to {agreement.partner}):")
            self.stdout.write(key.hex())
        else:
            raise CommandError("Give --agreement (our side) or --key-file (the partner's side).")
        if options["addresses"] is not None:
            addresses: Iterator[str] = _read_addresses(options["addresses"])
        elif options["key_file"] is not None:
            raise CommandError("With --key-file, give --addresses: the list to prepare.")
        else:
            addresses = (address for _, address in customer_addresses())
        with options["out"].open("w", encoding="ascii") as out:
            written = write_digests(key=key, addresses=addresses, out=out)
        self.stdout.write(f"{written} digests written to {options['out']}.")

    def _compare(self, options: dict[str, Any]) -> None:
        agreement = usable_agreement(agreement_id=options["agreement"])
        exchanges = ComparisonExchange.objects.filter(
            agreement=agreement, method=ComparisonMethod.HMAC
        )
        if options["exchange"] is not None:
            exchange = exchanges.filter(pk=options["exchange"]).first()
        else:
            exchange = exchanges.filter(compared_at__isnull=True).exclude(key="").first()
        if exchange is None:
            raise CommandError(
                f"{agreement} has no open exchange; run `bungu marketing prepare` first."
            )
        path: Path = options["file"]
        with (
            path.open("rb") as stream,
            tqdm(
                total=path.stat().st_size,
                unit="B",
                unit_scale=True,
                desc="comparing",
                file=self.stderr,
                disable=options["no_progress"],
            ) as bar,
        ):
            result = compare_digests(exchange=exchange, stream=stream, progress=bar.update)
        self.stdout.write(str(result))

    def _psi_request(self, options: dict[str, Any]) -> None:
        agreement = usable_agreement(agreement_id=options["agreement"])
        with _writing(options["out"]) as out:
            exchange = start_psi_exchange(agreement=agreement, out=out)
        customers = len(exchange.members) // MEMBER.size
        self.stdout.write(
            f"Exchange #{exchange.pk} under {agreement}: a request for {customers} customers "
            f"written to {options['out']}. Send it to {agreement.partner}; their answer must "
            f"come back before {timezone.localtime(exchange.expires_at):%Y-%m-%d %H:%M %Z}."
        )

    def _psi_answer(self, options: dict[str, Any]) -> None:
        with options["request"].open("rb") as request, _writing(options["out"]) as out:
            summary = answer_request(
                request=request, addresses=_read_addresses(options["list"]), out=out
            )
        self.stdout.write(f"{summary} Answer written to {options['out']}; send it back.")

    def _psi_finish(self, options: dict[str, Any]) -> None:
        with options["file"].open("rb") as stream:
            exchange, result = finish_psi_exchange(stream=stream, exchange_id=options["exchange"])
        self.stdout.write(f"{exchange}: {result}")
