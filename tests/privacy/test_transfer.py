"""The transfer export (P15): a successor gets the data with the notices and consents that
bind it."""

from __future__ import annotations

import datetime
import json
import stat
from pathlib import Path

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command

from bungu.privacy import ConsentMethod, record_consent, withdraw_consent
from bungu.privacy.models import Notice
from tests.accounts.factories import AddressFactory, CustomerFactory, GuardianLinkFactory

from .factories import AFFILIATE_RECOMMENDATIONS, V1_PRACTICES, at, scenario_notice

pytestmark = pytest.mark.django_db


def export(tmp_path: Path) -> dict:
    output = tmp_path / "transfer.json"
    call_command("privacy_export_for_transfer", str(output))
    return json.loads(output.read_text(encoding="utf-8"))


def test_p15_the_export_holds_each_customers_data_consents_and_every_notice(
    tmp_path: Path,
) -> None:
    scenario_notice(
        version=2,
        effective=datetime.date(2027, 1, 1),
        text="## Version two",
        practices=V1_PRACTICES + AFFILIATE_RECOMMENDATIONS,
    )
    planted = CustomerFactory(email="planted@example.com", name="Hana Sato")
    AddressFactory(customer=planted, line1="2-1 Ginza", city="Tokyo", country="JP")
    other = CustomerFactory(email="other@example.com")
    # Given in the scenario's December 2026, under v1, whatever today is (v2 is from 2027).
    record_consent(
        subject=planted, method=ConsentMethod.FORM, page="/privacy/consent/", at=at(2026, 12, 1)
    )
    withdraw_consent(
        subject=planted,
        method=ConsentMethod.EMAIL,
        practice="marketing.communications.email@shop",
        at=at(2026, 11, 20),
    )

    document = export(tmp_path)

    assert document["format"] == "bungu-transfer-export/1"
    assert [n["version"] for n in document["notices"]] == [1, 2]
    v1 = document["notices"][0]
    assert v1["text"] == Notice.objects.get(version=1).text
    assert v1["practices_toml"] == V1_PRACTICES
    assert len(v1["practices"]) == 33
    assert document["notices"][1]["practices"][-1]["key"] == (
        "personalize.recommendations@affiliate"
    )
    by_id = {c["id"]: c for c in document["customers"]}
    mine = by_id[planted.pk]
    user_row = mine["records"]["accounts.User"][0]
    assert (user_row["email"], user_row["name"]) == ("planted@example.com", "Hana Sato")
    # P15 without handing out password hashes: customers set a new password with a reset.
    assert "password" not in user_row
    assert [(a["line1"], a["city"]) for a in mine["records"]["accounts.Address"]] == [
        ("2-1 Ginza", "Tokyo")
    ]
    assert [
        (c["kind"], c["notice_version"], c["practice"], c["method"]) for c in mine["consents"]
    ] == [
        ("withdrawn", 1, "marketing.communications.email@shop", "email"),
        ("given", 1, "", "form"),
    ]
    assert by_id[other.pk]["records"]["accounts.User"][0]["email"] == "other@example.com"
    assert by_id[other.pk]["consents"] == []
    # No customer's rows leak into another's.
    assert "accounts.Address" not in by_id[other.pk]["records"]
    assert {f["field"] for f in document["data_map"]} >= {"accounts.User.email"}


def test_the_export_is_private_and_never_overwrites(tmp_path: Path) -> None:
    CustomerFactory()
    output = tmp_path / "transfer.json"
    call_command("privacy_export_for_transfer", str(output))

    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    before = output.read_bytes()
    with pytest.raises(CommandError, match=r"exists already"):
        call_command("privacy_export_for_transfer", str(output))
    assert output.read_bytes() == before
    with pytest.raises(CommandError, match=r"is not a directory"):
        call_command("privacy_export_for_transfer", str(tmp_path / "missing" / "out.json"))


def test_p15_a_guardian_link_goes_with_both_people_and_the_change_log_with_its_record(
    tmp_path: Path,
) -> None:
    guardian = CustomerFactory(email="parent@example.com")
    young = CustomerFactory(email="young@example.com")
    GuardianLinkFactory(guardian=guardian, supervised=young)
    staff = CustomerFactory(email="staff@example.com", is_staff=True)
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(young),
        object_id=str(young.pk),
        object_repr="young@example.com",
        action_flag=CHANGE,
        change_message="Changed name.",
    )
    notice = Notice.objects.get()
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(Notice),
        object_id=str(notice.pk),
        object_repr=str(notice),
        action_flag=CHANGE,
        change_message="Changed text.",
    )

    document = export(tmp_path)

    by_id = {c["id"]: c for c in document["customers"]}
    for person in (guardian, young):
        [link] = by_id[person.pk]["records"]["accounts.GuardianLink"]
        assert link["invited_email"] == "young@example.com"
    # The entry is about the young person's record, not about the staff member who wrote it:
    # it goes with the young person, as "My data" shows it and the erasure erases it.
    assert "admin.LogEntry" not in by_id[staff.pk]["records"]
    [entry] = by_id[young.pk]["records"]["admin.LogEntry"]
    assert (entry["content_type__app_label"], entry["content_type__model"]) == ("accounts", "user")
    assert entry["object_id"] == str(young.pk)
    assert entry["change_message"] == "Changed name."
    # An entry about a record of nobody's (a product, say) stays apart, with what it names.
    [unclaimed] = document["records_without_account"]["admin.LogEntry"]
    assert unclaimed["object_id"] == str(notice.pk)
    assert "admin.LogEntry" not in by_id[guardian.pk]["records"]
