"""P8: list comparison with another company, by HMAC-SHA-256 under a key per exchange."""

from __future__ import annotations

import hashlib
import importlib
import io
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from bungu import privacy
from bungu.marketing import comparison
from bungu.marketing.comparison import (
    MAX_LINE_BYTES,
    ComparisonRefused,
    compare_digests,
    digest,
    prune_suppressions,
    start_exchange,
    write_digests,
)
from bungu.marketing.models import (
    AGREEMENT_MAX_DAYS,
    ComparisonAgreement,
    ComparisonExchange,
    Suppression,
)
from bungu.marketing.suppressions import address_digest, is_suppressed, suppress_address
from tests.accounts.factories import CustomerFactory
from tests.backoffice.factories import staff_member

pytestmark = pytest.mark.django_db

sys.path.append(str(Path(__file__).resolve().parents[2] / "bench"))


def _agreement(days: int = 90) -> ComparisonAgreement:
    return ComparisonAgreement.objects.create(
        partner="Kami Paper Co.",
        notice_version=1,
        expires_at=timezone.now() + timedelta(days=days),
    )


def _partner_file(key: bytes, addresses: list[str]) -> io.BytesIO:
    out = io.StringIO()
    write_digests(key=key, addresses=addresses, out=out)
    return io.BytesIO(out.getvalue().encode("ascii"))


def test_p8_only_our_matching_customers_are_suppressed_until_the_agreement_expires() -> None:
    on_both = CustomerFactory(email="Aiko@Example.com")
    also = CustomerFactory(email="ben@example.com")
    only_ours = CustomerFactory(email="chie@example.com")
    agreement = _agreement()
    exchange, key = start_exchange(agreement=agreement)
    partner = _partner_file(key, ["  aiko@example.COM ", "ben@example.com", "stranger@example.org"])

    result = compare_digests(exchange=exchange, stream=partner)

    assert (result.lines, result.matched, result.rejected_total) == (3, 2, 0)
    # Only the matches are stored, keyed like every suppression, with the agreement's expiry.
    stored = {s.address_digest: s for s in Suppression.objects.all()}
    assert set(stored) == {address_digest(on_both.email), address_digest(also.email)}
    assert all(s.source == agreement.source for s in stored.values())
    assert all(s.expires_at == agreement.expires_at for s in stored.values())
    assert address_digest("stranger@example.org") not in stored
    assert is_suppressed(on_both.email)
    assert is_suppressed(also.email)
    assert not is_suppressed(only_ours.email)
    # The exchange keeps counts only; its key is wiped, so it cannot be used again.
    exchange.refresh_from_db()
    assert (exchange.key, exchange.lines, exchange.matched) == ("", 3, 2)
    with pytest.raises(ComparisonRefused, match="has been used"):
        compare_digests(exchange=exchange, stream=_partner_file(key, ["ben@example.com"]))
    # Past the agreement's expiry, its entries stop suppressing, and are then deleted (P5).
    later = agreement.expires_at + timedelta(seconds=1)
    assert not is_suppressed(on_both.email, now=later)
    assert prune_suppressions(now=later) == 2
    assert not Suppression.objects.exists()


def test_p8_a_file_of_plain_sha256_digests_is_refused_and_nothing_stored() -> None:
    customer = CustomerFactory(email="aiko@example.com")
    exchange, _ = start_exchange(agreement=_agreement())
    plain = hashlib.sha256(customer.email.encode()).hexdigest()
    stream = io.BytesIO(f"{plain}\n{'ab' * 32}\n".encode())

    with pytest.raises(ComparisonRefused, match="plain SHA-256"):
        compare_digests(exchange=exchange, stream=stream)

    assert not Suppression.objects.exists()


def test_p8_our_digests_are_keyed_per_exchange_not_a_dictionary_reversible_hash() -> None:
    agreement = _agreement()
    customers = [CustomerFactory(email=f"user{n}@example.com") for n in range(3)]
    _, first = start_exchange(agreement=agreement)
    _, second = start_exchange(agreement=agreement)
    out = io.StringIO()

    assert write_digests(key=first, addresses=[c.email for c in customers], out=out) == 3

    lines = set(out.getvalue().split())
    dictionary = {hashlib.sha256(c.email.encode()).hexdigest() for c in customers}
    assert len(lines) == 3
    assert not lines & dictionary
    assert first != second
    assert digest(key=first, address="user0@example.com") != digest(
        key=second, address="user0@example.com"
    )
    assert not ComparisonExchange.objects.filter(key=hashlib.sha256(b"").hexdigest()).exists()


def test_an_agreement_past_its_expiry_cannot_be_used() -> None:
    agreement = _agreement(days=1)
    exchange, key = start_exchange(agreement=agreement)
    CustomerFactory(email="aiko@example.com")
    after = agreement.expires_at + timedelta(minutes=1)

    with pytest.raises(ComparisonRefused, match="expired"):
        compare_digests(
            exchange=exchange, stream=_partner_file(key, ["aiko@example.com"]), now=after
        )
    agreement.expires_at = timezone.now() - timedelta(days=1)
    agreement.save()
    with pytest.raises(ComparisonRefused, match="expired"):
        start_exchange(agreement=agreement)
    with pytest.raises(CommandError, match="expired"):
        call_command("marketing", "prepare", "--agreement", str(agreement.pk), "--out", "x")
    assert not Suppression.objects.exists()


def test_an_expired_agreement_names_its_last_day_in_the_shops_time_zone(settings) -> None:
    settings.TIME_ZONE = "America/Los_Angeles"
    agreement = _agreement(days=1)
    # 03:00 UTC on 10 March is still the evening of 9 March in the shop.
    agreement.expires_at = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
    agreement.save()

    with pytest.raises(ComparisonRefused, match="expired on 2026-03-09;"):
        start_exchange(agreement=agreement)


def test_bad_lines_are_counted_by_reason_and_the_good_ones_compared() -> None:
    customer = CustomerFactory(email="aiko@example.com")
    exchange, key = start_exchange(agreement=_agreement())
    good = digest(key=key, address=customer.email).upper()
    huge = b"f" * (5 * MAX_LINE_BYTES * 1000)
    stream = io.BytesIO(
        b"\xef\xbb\xbf"
        + good.encode()
        + b"\r\n\n   \nzz"
        + b"0" * 62
        + b"\nabc\n"
        + b"\xe3\x81\x82" * 21
        + b"x\n"
        + huge
        + b"\n"
        + b"cd" * 32
    )

    result = compare_digests(exchange=exchange, stream=stream)

    assert result.matched == 1
    assert result.lines == 8
    assert dict(result.rejected) == {
        "blank": 2,
        "not hex": 2,
        "wrong length": 1,
        "too long": 1,
    }
    assert "6 lines rejected" in str(result)


@pytest.mark.parametrize(
    "content",
    [("ab" * 32 + "\n").encode("utf-16"), b"not a digest\n\n" + b"x" * 100_000],
    ids=["utf-16", "no digest at all"],
)
def test_a_file_that_is_not_a_digest_list_is_refused_with_a_reason(content: bytes) -> None:
    exchange, _ = start_exchange(agreement=_agreement())

    with pytest.raises(ComparisonRefused, match=r"UTF-16|is this the right file"):
        compare_digests(exchange=exchange, stream=io.BytesIO(content))


def test_a_longer_suppression_is_not_shortened_by_a_match() -> None:
    customer = CustomerFactory(email="aiko@example.com")
    suppress_address(address=customer.email, reason="complaint", source="staff #1")
    exchange, key = start_exchange(agreement=_agreement())

    compare_digests(exchange=exchange, stream=_partner_file(key, [customer.email]))

    kept = Suppression.objects.get()
    assert (kept.reason, kept.expires_at) == ("complaint", None)


def test_memory_stays_bounded_for_a_200k_line_file() -> None:
    customer = CustomerFactory(email="aiko@example.com")
    exchange, key = start_exchange(agreement=_agreement())
    lines = 200_000
    body = ("0123456789abcdef" * 4 + "\n").encode() * (lines - 1)
    stream = io.BytesIO(body + digest(key=key, address=customer.email).encode())
    del body
    tracemalloc.start()
    started = time.process_time()
    try:
        result = compare_digests(exchange=exchange, stream=stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (result.lines, result.matched) == (lines, 1)
    # The file is 13 MB; a list of its lines would take far more than this.
    assert peak < 2_000_000, peak
    assert time.process_time() - started < 10


def test_the_command_runs_both_sides_of_an_exchange(tmp_path: Path) -> None:
    ours = CustomerFactory(email="aiko@example.com")
    CustomerFactory(email="ben@example.com")
    agreement = _agreement()
    out = io.StringIO()
    call_command(
        "marketing", "prepare", "--agreement", str(agreement.pk), "--out",
        str(tmp_path / "ours.txt"), stdout=out,
    )  # fmt: skip
    key = out.getvalue().splitlines()[2]
    assert ComparisonExchange.objects.get().key == key
    assert len((tmp_path / "ours.txt").read_text().split()) == 2
    # The partner's side: its own list under the key it was given.
    (tmp_path / "key").write_text(key)
    (tmp_path / "list.txt").write_text("AIKO@example.com\nzoe@example.org\n", encoding="utf-8")
    call_command(
        "marketing", "prepare", "--key-file", str(tmp_path / "key"), "--addresses",
        str(tmp_path / "list.txt"), "--out", str(tmp_path / "theirs.txt"), stdout=io.StringIO(),
    )  # fmt: skip
    theirs = (tmp_path / "theirs.txt").read_text()
    assert "aiko" not in theirs.lower()
    assert len(theirs.split()) == 2

    report = io.StringIO()
    call_command(
        "marketing", "compare", "--agreement", str(agreement.pk), "--no-progress",
        str(tmp_path / "theirs.txt"), stdout=report,
    )  # fmt: skip

    assert "2 lines read, 1 of our customers matched" in report.getvalue()
    assert Suppression.objects.get().address_digest == address_digest(ours.email)
    with pytest.raises(CommandError, match="no open exchange"):
        call_command("marketing", "compare", "--agreement", str(agreement.pk), "x")


def test_the_command_explains_bad_input(tmp_path: Path) -> None:
    agreement = _agreement()
    (tmp_path / "key").write_text("ab" * 32)
    (tmp_path / "latin1.txt").write_bytes("müller@example.com\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command(
            "marketing", "prepare", "--key-file", str(tmp_path / "key"), "--addresses",
            str(tmp_path / "latin1.txt"), "--out", str(tmp_path / "out.txt"),
        )  # fmt: skip
    (tmp_path / "key").write_text("short")
    with pytest.raises(CommandError, match="64 hex digits"):
        call_command(
            "marketing", "prepare", "--key-file", str(tmp_path / "key"), "--addresses",
            str(tmp_path / "latin1.txt"), "--out", str(tmp_path / "out.txt"),
        )  # fmt: skip
    with pytest.raises(CommandError, match="no comparison agreement #999"):
        call_command("marketing", "compare", "--agreement", "999", "x")
    start_exchange(agreement=agreement)
    with pytest.raises(CommandError, match="No such file"):
        call_command("marketing", "compare", "--agreement", str(agreement.pk), "missing.txt")


def test_suppressions_are_in_the_data_map_with_a_retention() -> None:
    data_map = privacy.data_map
    fields = data_map.for_model("marketing.Suppression")

    assert {f.field_name for f in fields} >= {"address_digest", "reason", "source", "expires_at"}
    assert all(f.retention_days for f in fields)
    assert data_map.retention_of("marketing.Suppression") is not None


def test_staff_record_an_agreement_in_the_admin(admin_client) -> None:  # type: ignore[no-untyped-def]
    expires = (timezone.now() + timedelta(days=30)).strftime("%Y-%m-%d")
    response = admin_client.post(
        reverse("admin:marketing_comparisonagreement_add"),
        {
            "partner": "Kami Paper Co.",
            "reference": "K-1",
            "notice_version": "2",
            "normalisation": "v1",
            "expires_at_0": expires,
            "expires_at_1": "12:00:00",
            "exchanges-TOTAL_FORMS": "0",
            "exchanges-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    agreement = ComparisonAgreement.objects.get()
    assert agreement.purpose == "Avoid sending unnecessary messages"
    assert agreement.created_by is not None


def test_the_bench_scenario_runs_on_a_tiny_file(tmp_path: Path) -> None:
    bench: Any = importlib.import_module("list_comparison")

    report = bench.scenario(lines=2_000, customers=30, workdir=tmp_path)

    assert (report.lines, report.matched, report.rejected) == (2_000, 3, 0)
    assert report.peak_rss_mb > 0
    assert "2,000 lines against 30 customers, 3 matched" in str(report)
    assert not list(tmp_path.iterdir())


def test_suppressions_without_an_end_go_after_the_declared_retention() -> None:
    suppress_address(address="aiko@example.com", reason="staff", source="staff #1")
    Suppression.objects.update(created_at=timezone.now() - timedelta(days=AGREEMENT_MAX_DAYS))

    assert prune_suppressions() == 1


def test_an_agreement_longer_than_the_retention_is_refused(admin_client) -> None:  # type: ignore[no-untyped-def]
    too_long = _agreement(days=AGREEMENT_MAX_DAYS + 5)
    with pytest.raises(ComparisonRefused, match="runs longer than"):
        start_exchange(agreement=too_long)
    expires = (timezone.now() + timedelta(days=AGREEMENT_MAX_DAYS + 5)).strftime("%Y-%m-%d")

    response = admin_client.post(
        reverse("admin:marketing_comparisonagreement_add"),
        {
            "partner": "Kami Paper Co.",
            "notice_version": "2",
            "normalisation": "v1",
            "expires_at_0": expires,
            "expires_at_1": "12:00:00",
            "exchanges-TOTAL_FORMS": "0",
            "exchanges-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert b"runs at most" in response.content


def test_p25_a_match_whose_notice_does_not_allow_comparison_is_left_unused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    allowed = CustomerFactory(email="aiko@example.com")
    refused = CustomerFactory(email="ben@example.com")
    seen: list[str] = []

    def may_use(**kwargs: Any) -> privacy.Decision:
        seen.append(kwargs["purpose"])
        return privacy.Decision(allowed=kwargs["subject"].pk == allowed.pk, reason="test")

    monkeypatch.setattr(comparison.privacy, "may_use", may_use)
    exchange, key = start_exchange(agreement=_agreement())

    result = compare_digests(
        exchange=exchange, stream=_partner_file(key, [allowed.email, refused.email])
    )

    assert (result.matched, result.not_allowed, result.suppressed) == (2, 1, 1)
    assert seen == [privacy.Purpose.LIST_COMPARISON] * 2
    assert is_suppressed(allowed.email)
    assert not is_suppressed(refused.email)


def test_only_marketing_staff_reach_the_agreements_in_the_admin(client: Any) -> None:
    page = reverse("admin:marketing_comparisonagreement_add")
    client.force_login(staff_member("Fulfilment"))
    assert client.get(page).status_code == 403

    client.force_login(staff_member("Marketing"))
    assert client.get(page).status_code == 200
    agreement = _agreement()
    delete = reverse("admin:marketing_comparisonagreement_delete", args=[agreement.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert ComparisonAgreement.objects.filter(pk=agreement.pk).exists()
