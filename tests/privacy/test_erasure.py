"""P22: erasure by the data map, its journal and its replay (the privacy app alone)."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from bungu import privacy
from bungu.accounts.models import Address, PriorVersion, Profile
from bungu.privacy.erasure import ERASED_PASSWORD
from bungu.privacy.models import (
    AccessLogEntry,
    AccountDeletion,
    ErasureAction,
    ErasureJournalEntry,
    Notice,
    NoticeReminder,
)
from tests.accounts.factories import AddressFactory
from tests.privacy.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2027, 3, 1, 9, tzinfo=datetime.UTC)


def _customer_with_data(email: str):  # type: ignore[no-untyped-def]
    customer = CustomerFactory(email=email, name="Hana Sato", password="hash")
    Profile.objects.create(user=customer, phone="+1 415 555 0100", ink_colours="blue-black")
    address = AddressFactory(customer=customer)
    PriorVersion.objects.create(
        customer=customer,
        kind=PriorVersion.Kind.ADDRESS,
        change=PriorVersion.Change.CHANGED,
        object_id=address.pk,
        snapshot={"line1": "2 Old Road"},
        changed_by=customer,
    )
    privacy.record_consent(subject=customer, method=privacy.ConsentMethod.PAGE, page="/privacy/")
    AccessLogEntry.objects.create(
        subject=customer, actor_label="agent:fulfilment", purpose="x", granted=True
    )
    NoticeReminder.objects.create(subject=customer, notice=Notice.objects.get(version=1))
    return customer


def test_erase_subject_applies_each_rule_of_the_data_map() -> None:
    customer = _customer_with_data("hana@example.com")

    privacy.erase_subject(subject=customer, actor="staff:test", now=NOW)

    customer.refresh_from_db()
    # ANONYMISE: a unique placeholder on the account row, which stays for the ledgers.
    assert customer.email == f"erased-user-{customer.pk}@erased.invalid"
    # DELETE on fields of a row that stays: emptied.
    assert customer.name == ""
    assert customer.password == ERASED_PASSWORD
    assert customer.has_usable_password() is False
    assert customer.is_active is False
    assert customer.last_login is None
    assert customer.adult_declared_at is None
    # DELETE on every field of a model: the rows go, prior versions (P20) with them.
    assert not Profile.objects.filter(user=customer).exists()
    assert not Address.objects.filter(customer=customer).exists()
    assert not PriorVersion.objects.filter(customer=customer).exists()
    # The append-only reminder is declared DELETE: erased all the same.
    assert not NoticeReminder.objects.filter(subject=customer).exists()
    # KEEP_FOR_LAW: the consent ledger stays; the access log stays, naming an anonymous account.
    assert customer.consent_events.count() == 1
    assert customer.access_log.count() == 1


def test_the_journal_names_models_fields_rules_and_rows_never_values() -> None:
    customer = _customer_with_data("private.person@example.com")
    address_id = Address.objects.get(customer=customer).pk

    entries = privacy.erase_subject(subject=customer, actor="job:test", now=NOW)

    journal = list(ErasureJournalEntry.objects.values())
    assert len(journal) == len(entries)
    text = repr(journal)
    assert "private.person" not in text
    assert "Hana" not in text
    assert "555 0100" not in text
    address = ErasureJournalEntry.objects.get(model="accounts.Address")
    assert (address.action, address.rule, address.row_ids) == ("deleted", "delete", [address_id])
    assert "line1" in address.fields
    assert address.actor == "job:test"
    assert address.at == NOW
    assert address.account_ref == customer.pk
    user_steps = {
        (e.action, e.rule): e.fields
        for e in ErasureJournalEntry.objects.filter(model="accounts.User")
    }
    assert user_steps[("anonymised", "anonymise")] == ["email"]
    assert "password" in user_steps[("blanked", "delete")]
    kept = ErasureJournalEntry.objects.get(model="privacy.ConsentEvent")
    assert kept.action == ErasureAction.KEPT
    assert ErasureJournalEntry.objects.get(model="privacy.AccessLogEntry").action == "unlinked"


def test_another_customers_data_is_untouched() -> None:
    customer = _customer_with_data("gone@example.com")
    other = _customer_with_data("stays@example.com")

    privacy.erase_subject(subject=customer, actor="job:test", now=NOW)

    other.refresh_from_db()
    assert other.email == "stays@example.com"
    assert other.name == "Hana Sato"
    assert other.is_active is True
    assert Profile.objects.get(user=other).phone == "+1 415 555 0100"
    assert Address.objects.filter(customer=other).count() == 1
    assert PriorVersion.objects.filter(customer=other).count() == 1
    assert NoticeReminder.objects.filter(subject=other).count() == 1


def test_replay_erases_restored_data_again_and_is_idempotent() -> None:
    customer = _customer_with_data("restored@example.com")
    address = Address.objects.get(customer=customer)
    privacy.erase_subject(subject=customer, actor="job:test", now=NOW)
    # A backup restore brings the old rows and values back.
    type(customer).objects.filter(pk=customer.pk).update(
        email="restored@example.com", name="Hana Sato", is_active=True
    )
    address.save(force_insert=True)

    # The account row's e-mail, its emptied fields, and the address.
    assert privacy.replay_erasures() == 3

    customer.refresh_from_db()
    assert customer.email == f"erased-user-{customer.pk}@erased.invalid"
    assert customer.name == ""
    assert customer.is_active is False
    assert not Address.objects.filter(pk=address.pk).exists()
    before = list(type(customer).objects.filter(pk=customer.pk).values())
    assert privacy.replay_erasures() == 0
    assert list(type(customer).objects.filter(pk=customer.pk).values()) == before


def test_replay_command_reports_and_checks_its_argument(capsys: pytest.CaptureFixture[str]) -> None:
    customer = _customer_with_data("cmd@example.com")
    privacy.erase_subject(subject=customer, actor="job:test", now=NOW)

    call_command("privacy_replay_erasures")
    assert capsys.readouterr().out == "Erased again: 0 row(s) still held erased data.\n"
    call_command("privacy_replay_erasures", since="2027-03-02T00:00:00+00:00")
    assert "0 row(s)" in capsys.readouterr().out
    with pytest.raises(Exception, match="--since must be an ISO 8601"):
        call_command("privacy_replay_erasures", since="yesterday")


def test_the_journal_is_append_only() -> None:
    customer = _customer_with_data("ledger@example.com")
    entry = privacy.erase_subject(subject=customer, actor="job:test", now=NOW)[0]

    with pytest.raises(privacy.AppendOnlyViolation):
        entry.delete()
    with pytest.raises(privacy.AppendOnlyViolation):
        ErasureJournalEntry.objects.update(actor="someone else")


def test_request_cancel_and_due_follow_the_grace_period(settings) -> None:  # type: ignore[no-untyped-def]
    settings.BUNGU_DELETION_GRACE_DAYS = 14
    customer = CustomerFactory()

    deletion = privacy.request_account_deletion(subject=customer, now=NOW)

    assert deletion.due_at == NOW + datetime.timedelta(days=14)
    with pytest.raises(privacy.DeletionAlreadyRequested, match="already asked"):
        privacy.request_account_deletion(subject=customer, now=NOW)
    assert privacy.due_account_deletions(now=NOW + datetime.timedelta(days=13)) == []
    assert privacy.due_account_deletions(now=NOW + datetime.timedelta(days=14)) == [deletion]
    with pytest.raises(privacy.NoDeletionPending):
        privacy.complete_account_deletion(
            deletion_id=deletion.pk, actor="job:test", now=NOW + datetime.timedelta(days=1)
        )
    privacy.cancel_account_deletion(subject=customer, now=NOW)
    assert privacy.due_account_deletions(now=NOW + datetime.timedelta(days=30)) == []
    with pytest.raises(privacy.NoDeletionPending):
        privacy.cancel_account_deletion(subject=customer)
    # A new request after a cancelled one is allowed.
    again = privacy.request_account_deletion(subject=customer, now=timezone.now())
    assert AccountDeletion.objects.filter(subject=customer).count() == 2
    assert again.is_pending is True
