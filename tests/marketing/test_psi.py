"""P8: list comparison by private set intersection, with the real library on both sides."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from private_set_intersection.python import DataStructure, Response, ServerSetup, server

from bungu.marketing import psi
from bungu.marketing.comparison import ComparisonRefused, compare_digests
from bungu.marketing.jobs import close_comparison_exchanges
from bungu.marketing.models import (
    ComparisonAgreement,
    ComparisonExchange,
    ComparisonMethod,
    Suppression,
)
from bungu.marketing.psi import (
    answer_request,
    close_expired_exchanges,
    finish_psi_exchange,
    start_psi_exchange,
)
from bungu.marketing.suppressions import address_digest, is_suppressed
from tests.accounts.factories import CustomerFactory

pytestmark = pytest.mark.django_db

JUNK = ["", "   ", "not an address", "x" * 300 + "@example.org", "two words@example.org"]


def _agreement(days: int = 90) -> ComparisonAgreement:
    return ComparisonAgreement.objects.create(
        partner="Kami Paper Co.",
        notice_version=1,
        expires_at=timezone.now() + timedelta(days=days),
    )


def _request(agreement: ComparisonAgreement) -> tuple[ComparisonExchange, bytes]:
    out = io.BytesIO()
    exchange = start_psi_exchange(agreement=agreement, out=out)
    return exchange, out.getvalue()


def _answer(request: bytes, addresses: list[str]) -> bytes:
    out = io.BytesIO()
    answer_request(request=io.BytesIO(request), addresses=addresses, out=out)
    return out.getvalue()


def _finish(answer: bytes, **kwargs: Any) -> Any:
    return finish_psi_exchange(stream=io.BytesIO(answer), **kwargs)


def _split(answer: bytes) -> tuple[dict[str, Any], bytes, bytes]:
    """An answer's header, setup and response, to forge one."""
    rest = answer.removeprefix(psi.ANSWER_MAGIC)
    line, body = rest.split(b"\n", 1)
    header = json.loads(line)
    return header, body[: header["setup_bytes"]], body[header["setup_bytes"] :]


def _join(header: dict[str, Any], setup: bytes, response: bytes) -> bytes:
    header = {**header, "setup_bytes": len(setup)}
    return psi.ANSWER_MAGIC + json.dumps(header).encode() + b"\n" + setup + response


def _unchanged(exchange: ComparisonExchange) -> None:
    """A refused answer stored nothing and left the exchange open."""
    key, members = exchange.key, bytes(exchange.members)
    exchange.refresh_from_db()
    assert (exchange.key, bytes(exchange.members), exchange.compared_at) == (key, members, None)
    assert not Suppression.objects.exists()


def test_p8_psi_finds_exactly_our_customers_on_the_partner_s_list() -> None:
    aiko = CustomerFactory(email="Aiko@Example.com")
    ben = CustomerFactory(email="ben@example.com")
    chie = CustomerFactory(email="chie@example.com")
    gone = CustomerFactory(email="gone@example.com", is_active=False)
    agreement = _agreement()
    exchange, request = _request(agreement)
    theirs = [" aiko@example.COM \n", "ben@example.com\n", "ben@example.com", gone.email]
    theirs += ["stranger@example.org", *JUNK]

    answer = _answer(request, theirs)
    done, result = _finish(answer)

    assert done.pk == exchange.pk
    assert (result.lines, result.matched, result.suppressed) == (10, 2, 2)
    assert dict(result.rejected) == {"blank": 2, "not an address": 2, "too long": 1}
    stored = {s.address_digest: s for s in Suppression.objects.all()}
    assert set(stored) == {address_digest(aiko.email), address_digest(ben.email)}
    assert {(s.source, s.expires_at) for s in stored.values()} == {
        (agreement.source, agreement.expires_at)
    }
    assert is_suppressed(aiko.email)
    assert is_suppressed(ben.email)
    assert not is_suppressed(chie.email)
    # The exchange keeps counts only: the key and our list of members are gone.
    done.refresh_from_db()
    assert (done.key, bytes(done.members), done.matched, done.lines) == ("", b"", 2, 10)
    assert done.compared_at is not None
    # A second finish is refused, and changes nothing.
    with pytest.raises(ComparisonRefused, match="already finished"):
        _finish(answer)
    assert Suppression.objects.count() == 2


def test_p8_neither_file_holds_our_addresses_in_a_form_that_can_be_checked() -> None:
    customers = [CustomerFactory(email=f"user{n}@example.com") for n in range(5)]
    exchange, request = _request(_agreement())
    answer = _answer(request, ["user1@example.com", "partner-only@example.org"])

    def traces(address: str) -> list[bytes]:
        """Every form of an address one could test a file for: as given and normalised,
        plain SHA-256 and MD5 (bytes and hex), the shop's keyed digest, an HMAC under the
        exchange's own key."""
        forms: list[bytes] = []
        for text in {address, address.lower()}:
            raw = text.encode()
            for digest in (
                hashlib.sha256(raw).digest(),
                hashlib.md5(raw, usedforsecurity=False).digest(),
                hmac.new(bytes.fromhex(exchange.key), raw, hashlib.sha256).digest(),
            ):
                forms += [digest, digest.hex().encode()]
            forms += [raw, address_digest(text).encode(), bytes.fromhex(address_digest(text))]
        return forms

    def found(content: bytes, address: str) -> bool:
        return any(trace in content for trace in traces(address))

    for content in (request, answer):
        assert not any(found(content, c.email) for c in customers)
        # Nor the key that could decrypt them.
        assert bytes.fromhex(exchange.key) not in content
        assert exchange.key.encode() not in content
    assert not found(answer, "partner-only@example.org")
    # Positive control: the same scan catches a planted plain SHA-256 of one of them.
    planted = request + hashlib.sha256(customers[3].email.encode()).digest()
    assert found(planted, customers[3].email)


def test_p8_the_partner_learns_only_how_many_we_sent() -> None:
    for n in range(3):
        CustomerFactory(email=f"user{n}@example.com")
    exchange, request = _request(_agreement())
    header = json.loads(request.removeprefix(psi.REQUEST_MAGIC).split(b"\n", 1)[0])

    assert set(header) == {
        "exchange",
        "nonce",
        "partner",
        "agreement",
        "normalisation",
        "customers",
        "expires_at",
    }
    assert header["customers"] == 3
    assert header["nonce"] == exchange.nonce


def test_the_partner_s_side_needs_no_shop_database(
    django_assert_num_queries: Any,
) -> None:
    CustomerFactory(email="aiko@example.com")
    _, request = _request(_agreement())

    with django_assert_num_queries(0):
        answer = _answer(request, ["aiko@example.com"])

    assert answer.startswith(psi.ANSWER_MAGIC)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "not a PSI answer"),
        (b"ab" * 32 + b"\n", "not a PSI answer"),
        ("ab\n".encode("utf-16"), "not a PSI answer"),
        (psi.ANSWER_MAGIC + b"{not json\n", "header is damaged"),
        (psi.ANSWER_MAGIC + b"x" * 10_000, "cut short or too long"),
        (psi.ANSWER_MAGIC + b'{"setup_bytes": 5}\n' + b"\xff" * 20, "damaged"),
    ],
    ids=["empty", "hmac-digests", "utf-16", "bad-header", "endless-header", "garbage"],
)
def test_a_file_that_is_not_an_answer_is_refused_with_a_reason(content: bytes, reason: str) -> None:
    CustomerFactory(email="aiko@example.com")
    exchange, _ = _request(_agreement())

    with pytest.raises(ComparisonRefused, match=reason):
        _finish(content)

    _unchanged(exchange)


def test_the_request_given_back_as_an_answer_is_refused() -> None:
    CustomerFactory(email="aiko@example.com")
    exchange, request = _request(_agreement())

    with pytest.raises(ComparisonRefused, match="This is a PSI request, not a PSI answer"):
        _finish(request)
    with pytest.raises(ComparisonRefused, match="This is a PSI answer, not a PSI request"):
        _answer(_answer(request, ["aiko@example.com"]), ["aiko@example.com"])

    _unchanged(exchange)


def test_an_answer_for_another_request_is_refused() -> None:
    CustomerFactory(email="aiko@example.com")
    agreement = _agreement()
    first, first_request = _request(agreement)
    second, second_request = _request(agreement)
    answer = _answer(first_request, ["aiko@example.com"])

    with pytest.raises(ComparisonRefused, match=f"for exchange #{first.pk}, not exchange #"):
        _finish(answer, exchange_id=second.pk)
    # A header pointing the first's answer at the second exchange.
    header, setup, response = _split(answer)
    with pytest.raises(ComparisonRefused, match="for another request"):
        _finish(_join({**header, "exchange": second.pk}, setup, response))
    with pytest.raises(ComparisonRefused, match="for another request"):
        _finish(_join({**header, "nonce": "ä" * 32}, setup, response))
    # Numbers the database could not keep.
    for forged in ({"lines": -1}, {"exchange": 2**70}, {"rejected": {"x": 2**40}}):
        with pytest.raises(ComparisonRefused, match=r"impossible|valid 'rejected'"):
            _finish(_join({**header, **forged}, setup, response))
    # A request of another shop's (or one since deleted).
    with pytest.raises(ComparisonRefused, match="There is no exchange #999"):
        _finish(_join({**header, "exchange": 999}, setup, response))

    _unchanged(first)
    _unchanged(second)
    assert _finish(_answer(second_request, ["aiko@example.com"]))[1].matched == 1


def test_a_damaged_or_forged_answer_is_refused_and_stores_nothing() -> None:
    for n in range(3):
        CustomerFactory(email=f"user{n}@example.com")
    exchange, request = _request(_agreement())
    answer = _answer(request, ["user0@example.com", "user1@example.com"])
    header, setup, response = _split(answer)
    parsed = Response()
    parsed.ParseFromString(response)

    def with_elements(elements: list[bytes]) -> bytes:
        forged = Response()
        forged.encrypted_elements.extend(elements)
        return _join(header, setup, forged.SerializeToString())

    cases = {
        "damaged": answer[:-40],
        "not points of the curve": with_elements(
            [b"\x02" + b"\xff" * 32, *parsed.encrypted_elements[1:]]
        ),
        "repeats elements": with_elements([parsed.encrypted_elements[0]] * 3),
        "holds 2 elements for the 3": with_elements(list(parsed.encrypted_elements[:2])),
    }
    # A compressed set (it has false positives) instead of the raw elements.
    gcs = server.CreateWithNewKey(True).CreateSetupMessage(
        1e-9, 3, ["user0@example.com"], DataStructure.GCS
    )
    cases["not the raw list"] = _join(header, gcs.SerializeToString(), response)
    for reason, content in cases.items():
        with pytest.raises(ComparisonRefused, match=reason):
            _finish(content)

    _unchanged(exchange)
    # The genuine answer still works after all that.
    assert _finish(answer)[1].matched == 2


def test_an_oversized_answer_is_refused_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    CustomerFactory(email="aiko@example.com")
    exchange, request = _request(_agreement())
    answer = _answer(request, ["aiko@example.com"])
    monkeypatch.setattr(psi, "MAX_ANSWER_BYTES", 50)

    with pytest.raises(ComparisonRefused, match="larger than it can be"):
        _finish(answer)

    _unchanged(exchange)


def test_a_damaged_or_oversized_request_is_refused_on_the_partner_s_side(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    CustomerFactory(email="aiko@example.com")
    _, request = _request(_agreement())
    magic, line, body = request.split(b"\n", 2)
    start = magic + b"\n" + line + b"\n"
    header = json.loads(line)

    def refused(content: bytes, reason: str) -> None:
        with pytest.raises(ComparisonRefused, match=reason):
            _answer(content, ["aiko@example.com"])

    refused(start + body[:-5], "damaged")
    refused(start + body + body, "says 1 elements but holds 2")
    unknown = json.dumps({**header, "normalisation": "v9"}).encode()
    refused(psi.REQUEST_MAGIC + unknown + b"\n" + body, "normalisation 'v9'")
    with pytest.raises(ComparisonRefused, match="None of the 2 lines is an address"):
        _answer(request, ["", "nobody"])
    monkeypatch.setattr(psi, "MAX_REQUEST_BYTES", 10)
    refused(request, "larger than it can be")


def test_an_exchange_expires_and_its_key_and_members_go() -> None:
    CustomerFactory(email="aiko@example.com")
    agreement = _agreement(days=5)
    exchange, request = _request(agreement)
    # Never past the agreement, even within the exchange's own days.
    assert exchange.expires_at == agreement.expires_at
    assert psi.EXCHANGE_DAYS > 5
    later = agreement.expires_at + timedelta(minutes=1)

    with pytest.raises(ComparisonRefused, match="request expired on"):
        answer_request(
            request=io.BytesIO(request),
            addresses=["aiko@example.com"],
            out=io.BytesIO(),
            now=later,
        )
    answer = _answer(request, ["aiko@example.com"])
    with pytest.raises(ComparisonRefused, match="expired on"):
        _finish(answer, now=later)
    _unchanged(exchange)

    assert close_expired_exchanges(now=exchange.expires_at - timedelta(seconds=1)) == 0
    assert close_comparison_exchanges(now=later) == "1 expired PSI exchange(s) closed"
    exchange.refresh_from_db()
    assert (exchange.key, bytes(exchange.members)) == ("", b"")
    with pytest.raises(ComparisonRefused, match="already finished"):
        _finish(answer)
    assert not Suppression.objects.exists()


def test_a_long_agreement_still_gives_a_short_exchange() -> None:
    CustomerFactory(email="aiko@example.com")
    agreement = _agreement(days=300)
    before = timezone.now()

    exchange, _ = _request(agreement)

    # Between the clock readings around the request, whatever the request took on a busy
    # machine: the exchange's own days from the moment it was made, not the agreement's 300.
    after = timezone.now()
    assert exchange.expires_at is not None
    days = timedelta(days=psi.EXCHANGE_DAYS)
    assert before + days <= exchange.expires_at <= after + days


def test_a_customer_whose_address_changed_since_the_request_is_not_suppressed() -> None:
    moved = CustomerFactory(email="aiko@example.com")
    stays = CustomerFactory(email="ben@example.com")
    _, request = _request(_agreement())
    answer = _answer(request, ["aiko@example.com", "ben@example.com"])
    moved.email = "aiko.new@example.com"
    moved.save()

    _, result = _finish(answer)

    assert (result.matched, result.address_changed) == (1, 1)
    assert {s.address_digest for s in Suppression.objects.all()} == {address_digest(stays.email)}
    assert "1 matches left unused as the customer's address changed" in str(result)


def test_hmac_and_psi_exchanges_are_not_mixed_up(tmp_path: Path) -> None:
    CustomerFactory(email="aiko@example.com")
    agreement = _agreement()
    exchange, _ = _request(agreement)
    assert exchange.method == ComparisonMethod.PSI

    with pytest.raises(ComparisonRefused, match="private set intersection"):
        compare_digests(exchange=exchange, stream=io.BytesIO(b"ab" * 32))
    with pytest.raises(CommandError, match="no open exchange"):
        call_command("marketing", "compare", "--agreement", str(agreement.pk), "x")
    _unchanged(exchange)


def test_no_request_without_customers_or_past_the_agreement(tmp_path: Path) -> None:
    agreement = _agreement()
    out = tmp_path / "request.psi"
    with pytest.raises(CommandError, match="no customers with an address"):
        call_command("marketing", "psi-request", "--agreement", str(agreement.pk), "--out", out)
    assert not out.exists()
    agreement.expires_at = timezone.now() - timedelta(days=1)
    agreement.save()
    CustomerFactory(email="aiko@example.com")
    with pytest.raises(CommandError, match="expired"):
        call_command("marketing", "psi-request", "--agreement", str(agreement.pk), "--out", out)
    assert not ComparisonExchange.objects.exists()


def test_the_commands_run_an_exchange_from_both_sides(tmp_path: Path) -> None:
    ours = CustomerFactory(email="aiko@example.com")
    CustomerFactory(email="ben@example.com")
    agreement = _agreement()
    request, answer = tmp_path / "request.psi", tmp_path / "answer.psi"
    out = io.StringIO()
    call_command(
        "marketing", "psi-request", "--agreement", str(agreement.pk), "--out", str(request),
        stdout=out,
    )  # fmt: skip
    assert "a request for 2 customers" in out.getvalue()
    (tmp_path / "list.txt").write_text("AIKO@example.com\nzoe@example.org\n\n", encoding="utf-8")
    out = io.StringIO()
    call_command(
        "marketing", "psi-answer", "--request", str(request), "--list",
        str(tmp_path / "list.txt"), "--out", str(answer), stdout=out,
    )  # fmt: skip
    assert "3 lines read, 2 distinct addresses encrypted, 1 lines rejected" in out.getvalue()
    out = io.StringIO()

    call_command("marketing", "psi-finish", str(answer), stdout=out)

    assert "3 lines read, 1 of our customers matched" in out.getvalue()
    assert Suppression.objects.get().address_digest == address_digest(ours.email)
    with pytest.raises(CommandError, match="already finished"):
        call_command("marketing", "psi-finish", str(answer))


def test_the_commands_explain_bad_input(tmp_path: Path) -> None:
    CustomerFactory(email="aiko@example.com")
    agreement = _agreement()
    request, answer = tmp_path / "request.psi", tmp_path / "answer.psi"
    call_command(
        "marketing", "psi-request", "--agreement", str(agreement.pk), "--out", str(request),
        stdout=io.StringIO(),
    )  # fmt: skip
    (tmp_path / "latin1.txt").write_bytes("müller@example.com\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command(
            "marketing", "psi-answer", "--request", str(request), "--list",
            str(tmp_path / "latin1.txt"), "--out", str(answer),
        )  # fmt: skip
    assert not answer.exists()
    with pytest.raises(CommandError, match="No such file"):
        call_command("marketing", "psi-finish", str(tmp_path / "missing.psi"))
    (tmp_path / "digests.txt").write_text("ab" * 32 + "\n")
    with pytest.raises(CommandError, match="not a PSI answer"):
        call_command("marketing", "psi-finish", str(tmp_path / "digests.txt"))


def test_the_setup_lists_the_partner_s_elements_sorted() -> None:
    CustomerFactory(email="aiko@example.com")
    _, request = _request(_agreement())
    _, setup, _ = _split(_answer(request, [f"p{n}@example.org" for n in range(20)]))
    parsed = ServerSetup()
    parsed.ParseFromString(setup)

    elements = list(parsed.raw.encrypted_elements)
    assert len(elements) == 20
    assert elements == sorted(elements)
