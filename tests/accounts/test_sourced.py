"""P9: information from other sources, added with its source and the notice's rule; the
customer sees, corrects and removes it; rows that match no one are counted, never stored."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from bungu import privacy
from bungu.accounts.models import PriorVersion, SourcedDetail, SourcedRemoval
from bungu.accounts.sourced import import_sourced_details
from bungu.accounts.sourced_file import MAX_LINE_BYTES, BadSourceFile, read_source_file
from bungu.privacy.models import Notice
from tests.accounts.factories import CustomerFactory
from tests.privacy.factories import V1_PRACTICES

pytestmark = pytest.mark.django_db

HEADER = "email,interests,address_line1,address_line2,city,region,postal_code,country\n"


def source_file(tmp_path: Path, text: str | bytes, name: str = "ink-club.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def run_import(path: Path, *extra: str) -> str:
    out = io.StringIO()
    call_command(
        "accounts",
        "import-profile",
        str(path),
        "--source",
        "Ink Club",
        "--agreement",
        "IC-2026-07",
        *extra,
        stdout=out,
    )
    return out.getvalue()


def test_p9_interests_are_added_with_source_date_agreement_and_notice_rule(tmp_path) -> None:
    ann = CustomerFactory(email="ann@example.com")
    path = source_file(
        tmp_path,
        HEADER
        + "ANN@example.com,ink;paper,,,,,,\n"
        + "nobody@example.com,ink,,,,,,\n"
        + "stranger@example.org,pencils,,,,,,\n",
    )

    output = run_import(path)

    detail = SourcedDetail.objects.get()
    assert detail.customer == ann
    assert (detail.kind, detail.interests) == ("interests", ["ink", "paper"])
    assert (detail.source, detail.agreement, detail.notice_version) == ("Ink Club", "IC-2026-07", 1)
    assert detail.notice_rule.startswith("marketing.enrichment@shop: Allowed by v1")
    assert timezone.now() - detail.received_at < timedelta(minutes=1)
    assert "matched no customer (not stored): 2" in output
    assert "added interests: 1" in output


def test_p9_rows_that_match_no_one_leave_nothing_behind(tmp_path) -> None:
    CustomerFactory(email="ann@example.com")
    path = source_file(tmp_path, HEADER + "nobody@example.com,ink,,,,,,\n")

    output = run_import(path)

    assert not SourcedDetail.objects.exists()
    assert "nobody@example.com" not in output
    assert "matched no customer (not stored): 1" in output


def test_p9_staff_are_never_matched(tmp_path) -> None:
    CustomerFactory(email="staff@example.com", is_staff=True)

    run_import(source_file(tmp_path, HEADER + "staff@example.com,ink,,,,,,\n"))

    assert not SourcedDetail.objects.exists()


def test_p9_p25_a_value_the_notice_does_not_allow_is_refused_and_not_stored(tmp_path) -> None:
    """v1 allows enrichment with derived and demographic data only, not a postal address."""
    CustomerFactory(email="bo@example.com")
    path = source_file(tmp_path, HEADER + "bo@example.com,,12 Elm St,,Portland,OR,97201,US\n")

    output = run_import(path)

    assert not SourcedDetail.objects.exists()
    assert (
        "refused address (not stored): 1: The notice in force (v1) does not allow this." in output
    )


def test_p9_p25_an_address_is_added_once_a_notice_allows_it_for_a_customer_bound_by_it(
    tmp_path,
) -> None:
    Notice.objects.create(
        version=2,
        effective=timezone.localdate(),
        text="v2",
        practices=V1_PRACTICES.replace(
            'data = ["user.derived", "user.demographic"]\npurpose = "marketing.enrichment"',
            'data = ["user.derived", "user.demographic", "user.contact.address"]\n'
            'purpose = "marketing.enrichment"',
        ),
    )
    old = CustomerFactory(email="old@example.com", date_joined=timezone.now() - timedelta(days=60))
    new = CustomerFactory(email="new@example.com", date_joined=timezone.now())
    path = source_file(
        tmp_path,
        HEADER
        + "old@example.com,,1 Oak St,,Austin,TX,73301,us\n"
        + "new@example.com,,2 Oak St,,Austin,TX,73301,US\n",
    )

    output = run_import(path)

    # The customer who joined under v1 is still bound by it (P25): no address added.
    detail = SourcedDetail.objects.get()
    assert detail.customer == new
    assert detail.postal_address["line1"] == "2 Oak St"
    assert detail.notice_version == 2
    assert not SourcedDetail.objects.filter(customer=old).exists()
    assert "which did not allow this" in output


def test_p9_importing_the_same_value_twice_adds_it_once(tmp_path) -> None:
    CustomerFactory(email="ann@example.com")
    path = source_file(tmp_path, HEADER + "ann@example.com,ink,,,,,,\n")

    run_import(path)
    output = run_import(path)

    assert SourcedDetail.objects.count() == 1
    assert "already on record: 1" in output


def test_p9_a_dry_run_stores_nothing(tmp_path) -> None:
    CustomerFactory(email="ann@example.com")

    output = run_import(source_file(tmp_path, HEADER + "ann@example.com,ink,,,,,,\n"), "--dry-run")

    assert not SourcedDetail.objects.exists()
    assert "added interests: 1" in output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("name,interests\nann,ink\n", "unknown column(s) 'name'"),
        ("email,email,interests\n", "column(s) given twice: email"),
        ("interests\nink\n", "the 'email' column is missing"),
        ("email\nann@example.com\n", "no value column"),
        (HEADER + "ann@example.com,ink\n", "line 2: 2 cells, the header has 8"),
        (HEADER + "not-an-address,ink,,,,,,\n", "line 2: email 'not-an-address'"),
        (HEADER + "ann@example.com,ink;opera,,,,,,\n", "unknown 'opera'"),
        (HEADER + "ann@example.com,,1 Elm St,,,,,US\n", "address: city, postal_code missing"),
        (HEADER + "ann@example.com,,1 Elm St,,Paris,,75001,ZZ\n", "country 'ZZ' is not"),
        (HEADER + "ann@example.com,,,,,,,\n", "line 2: no value to add"),
        (b"email,interests\nann@example.com,\xff\xfeink\n", "line 2: not UTF-8 (byte 0xff"),
        (
            HEADER + "ann@example.com," + "ink;" * MAX_LINE_BYTES + ",,,,,,\n",
            f"line 2: longer than {MAX_LINE_BYTES} bytes",
        ),
        (HEADER + 'ann@example.com,"ink,,,,,,\n', "not CSV"),
    ],
)
def test_p9_a_bad_file_gives_a_clear_error_and_imports_nothing(tmp_path, content, message) -> None:
    CustomerFactory(email="ann@example.com")
    path = source_file(tmp_path, content if content else b"")

    with pytest.raises(CommandError) as raised:
        run_import(path)

    assert "nothing imported" in str(raised.value)
    assert message in str(raised.value)
    assert not SourcedDetail.objects.exists()


def test_p9_one_bad_row_among_good_ones_imports_nothing(tmp_path) -> None:
    CustomerFactory(email="ann@example.com")
    path = source_file(
        tmp_path, HEADER + "ann@example.com,ink,,,,,,\nann@example.com,opera,,,,,,\n"
    )

    with pytest.raises(CommandError, match="line 3"):
        run_import(path)

    assert not SourcedDetail.objects.exists()


def test_p9_a_missing_file_or_source_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(CommandError, match="cannot read it"):
        run_import(tmp_path / "missing.csv")
    path = source_file(tmp_path, HEADER)
    with pytest.raises(CommandError, match="Name the source"):
        call_command("accounts", "import-profile", str(path), "--source", " ", "--agreement", "A")


def test_p9_the_reader_lists_many_problems_but_shows_twenty() -> None:
    lines = HEADER + "".join(f"bad{n},ink,,,,,,\n" for n in range(30))

    with pytest.raises(BadSourceFile) as raised:
        read_source_file(io.BytesIO(lines.encode()))

    assert len(raised.value.problems) == 30
    assert str(raised.value).endswith("... and 10 more problem(s)")


def test_p9_a_byte_order_mark_is_accepted() -> None:
    rows = read_source_file(
        io.BytesIO(b"\xef\xbb\xbf" + (HEADER + "a@example.com,ink,,,,,,\n").encode())
    )

    assert [(row.email, row.interests) for row in rows] == [("a@example.com", ("ink",))]


# ---------------------------------------------------------------- the customer's side
def imported(customer) -> SourcedDetail:  # type: ignore[no-untyped-def]
    report = import_sourced_details(
        rows=read_source_file(
            io.BytesIO((HEADER + f"{customer.email},ink;paper,,,,,,\n").encode())
        ),
        source="Ink Club",
        agreement="IC-2026-07",
    )
    assert report.added["interests"] == 1
    return SourcedDetail.objects.get(customer=customer)


def test_p9_my_data_shows_the_source_and_links_to_the_correction_page(client) -> None:
    customer = CustomerFactory()
    imported(customer)
    client.force_login(customer)

    page = client.get("/privacy/my-data/").content.decode()

    section = page.split('id="data-accountssourceddetail"')[1].split("</section>")[0]
    assert "Ink Club" in section
    assert "IC-2026-07" in section
    assert "from another source" in section
    assert 'href="/account/other-sources/"' in section


def test_p9_the_customer_corrects_a_value_and_the_earlier_version_is_kept(client) -> None:
    customer = CustomerFactory()
    detail = imported(customer)
    client.force_login(customer)

    assert "Ink Club" in client.get("/account/other-sources/").content.decode()
    response = client.post(f"/account/other-sources/{detail.pk}/", {"interests": ["pencils"]})

    assert response.status_code == 302
    detail.refresh_from_db()
    assert detail.interests == ["pencils"]
    assert detail.corrected_at is not None
    assert detail.source == "Ink Club"  # still says where it first came from
    prior = PriorVersion.objects.get(customer=customer, record="accounts.SourcedDetail")
    assert prior.snapshot["interests"] == ["ink", "paper"]


def test_p9_a_bad_correction_is_a_400_and_changes_nothing(client) -> None:
    customer = CustomerFactory()
    detail = imported(customer)
    client.force_login(customer)

    response = client.post(f"/account/other-sources/{detail.pk}/", {"interests": ["opera"]})

    assert response.status_code == 400
    detail.refresh_from_db()
    assert detail.interests == ["ink", "paper"]
    assert not PriorVersion.objects.filter(record="accounts.SourcedDetail").exists()


def test_p9_the_customer_removes_a_value_and_no_copy_stays(client) -> None:
    customer = CustomerFactory()
    detail = imported(customer)
    client.force_login(customer)

    response = client.post(f"/account/other-sources/{detail.pk}/remove/")

    assert response.status_code == 302
    assert not SourcedDetail.objects.exists()
    assert not PriorVersion.objects.filter(record="accounts.SourcedDetail").exists()


def test_p9_another_customers_value_answers_404_and_stays(client) -> None:
    detail = imported(CustomerFactory())
    client.force_login(CustomerFactory())

    assert client.get(f"/account/other-sources/{detail.pk}/").status_code == 404
    assert client.post(f"/account/other-sources/{detail.pk}/remove/").status_code == 404
    assert SourcedDetail.objects.filter(pk=detail.pk).exists()


def test_p5_values_from_other_sources_expire_with_their_declared_retention() -> None:
    detail = imported(CustomerFactory())
    SourcedDetail.objects.filter(pk=detail.pk).update(
        received_at=timezone.now() - timedelta(days=731)
    )

    privacy.enforce_retention()

    assert not SourcedDetail.objects.exists()


def test_p9_a_removed_value_is_not_added_again_by_the_sources_next_file(client) -> None:
    customer = CustomerFactory()
    detail = imported(customer)
    client.force_login(customer)
    client.post(f"/account/other-sources/{detail.pk}/remove/")
    rows = read_source_file(io.BytesIO((HEADER + f"{customer.email},ink,,,,,,\n").encode()))

    again = import_sourced_details(rows=rows, source="Ink Club", agreement="IC-2026-08")
    other = import_sourced_details(rows=rows, source="Paper Guild", agreement="PG-1")

    assert again.left_as_customer_said == 1
    assert other.added["interests"] == 1  # another source is another question
    assert list(SourcedDetail.objects.values_list("source", flat=True)) == ["Paper Guild"]
    removal = SourcedRemoval.objects.get()
    assert (removal.kind, removal.source) == ("interests", "Ink Club")


def test_p9_a_corrected_value_is_not_overwritten_by_the_sources_next_file(client) -> None:
    customer = CustomerFactory()
    detail = imported(customer)
    client.force_login(customer)
    client.post(f"/account/other-sources/{detail.pk}/", {"interests": ["pencils"]})
    rows = read_source_file(io.BytesIO((HEADER + f"{customer.email},ink;paper,,,,,,\n").encode()))

    report = import_sourced_details(rows=rows, source="Ink Club", agreement="IC-2026-08")

    assert report.left_as_customer_said == 1
    assert list(SourcedDetail.objects.values_list("interests", flat=True)) == [["pencils"]]
