"""P22: erasure by the data map, its journal and its replay (the privacy app alone)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone

from bungu import privacy
from bungu.accounts.models import Address, GuardianLink, PriorVersion, Profile
from bungu.mail.models import OutboxMessage
from bungu.privacy.models import (
    AccessLogEntry,
    AccountDeletion,
    ErasureAction,
    ErasureJournalEntry,
    Notice,
    NoticeReminder,
)
from bungu.privacy.rights.erasure import ERASED_PASSWORD
from tests.accounts.factories import AddressFactory, CustomerFactory, GuardianLinkFactory
from tests.mail.factories import OutboxMessageFactory

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


# ---------------------------------------------------------------- the admin's change log (P22)
def _staff_change(staff, record, fields: tuple[str, ...]) -> LogEntry:  # type: ignore[no-untyped-def]
    """What the admin writes when a staff member saves a record: its str() and what changed."""
    return LogEntry.objects.log_actions(
        user_id=staff.pk,
        queryset=[record],
        action_flag=CHANGE,
        change_message=[{"changed": {"fields": list(fields)}}],
        single_object=True,
    )


def test_p22_admin_change_log_entries_about_the_customer_are_anonymised() -> None:
    customer = _customer_with_data("logged@example.com")
    address = Address.objects.get(customer=customer)
    staff = CustomerFactory(is_staff=True)
    about_account = _staff_change(staff, customer, ("Email address",))
    about_address = _staff_change(staff, address, ("Line 1",))
    other = _customer_with_data("other@example.com")
    about_other = _staff_change(staff, other, ("Name",))
    assert about_account.object_repr == "logged@example.com"  # what the admin wrote

    privacy.erase_subject(subject=customer, actor="job:test", now=NOW)

    erased = LogEntry.objects.filter(pk__in=[about_account.pk, about_address.pk])
    assert sorted(erased.values_list("object_repr", "change_message")) == [
        ("[erased]", ""),
        ("[erased]", ""),
    ]
    # The entries stay: staff did change a record then, and who did is the shop's to know.
    assert sorted(erased.values_list("user_id", flat=True)) == [staff.pk, staff.pk]
    about_other.refresh_from_db()
    assert about_other.object_repr == "other@example.com"
    assert about_other.change_message == '[{"changed": {"fields": ["Name"]}}]'
    steps = {
        (e.action, tuple(e.fields)): sorted(e.row_ids)
        for e in ErasureJournalEntry.objects.filter(model="admin.LogEntry")
    }
    rows = sorted([about_account.pk, about_address.pk])
    assert steps == {("anonymised", ("object_repr",)): rows, ("blanked", ("change_message",)): rows}


def test_p22_a_staff_members_own_account_erasure_leaves_their_change_log_alone() -> None:
    staff = CustomerFactory(is_staff=True)
    customer = _customer_with_data("kept@example.com")
    entry = _staff_change(staff, customer, ("Name",))

    privacy.erase_subject(subject=staff, actor="job:test", now=NOW)

    entry.refresh_from_db()
    assert entry.object_repr == "kept@example.com"
    assert not ErasureJournalEntry.objects.filter(model="admin.LogEntry").exists()


def test_p22_replay_erases_restored_change_log_text_again() -> None:
    customer = _customer_with_data("replayed@example.com")
    entry = _staff_change(CustomerFactory(is_staff=True), customer, ("Email address",))
    privacy.erase_subject(subject=customer, actor="job:test", now=NOW)
    LogEntry.objects.filter(pk=entry.pk).update(
        object_repr="replayed@example.com", change_message="restored"
    )

    privacy.replay_erasures()

    entry.refresh_from_db()
    assert (entry.object_repr, entry.change_message) == ("[erased]", "")


# ---------------------------------------------------------------- guardian links (P22, P23)
def test_p22_deleting_the_supervised_account_erases_its_guardian_link() -> None:
    guardian = CustomerFactory()
    young = CustomerFactory(email="kid@example.com")
    other_young = CustomerFactory(email="sibling@example.com")
    link = GuardianLinkFactory(guardian=guardian, supervised=young)
    kept = GuardianLinkFactory(guardian=guardian, supervised=other_young)

    privacy.erase_subject(subject=young, actor="job:test", now=NOW)

    assert list(GuardianLink.objects.values_list("pk", flat=True)) == [kept.pk]
    entry = ErasureJournalEntry.objects.get(model="accounts.GuardianLink")
    assert (entry.action, entry.row_ids, entry.account_ref) == ("deleted", [link.pk], young.pk)


def test_p22_deleting_the_guardians_account_erases_the_links_they_made() -> None:
    guardian, other_guardian = CustomerFactory(), CustomerFactory()
    GuardianLinkFactory(guardian=guardian, supervised=CustomerFactory())
    kept = GuardianLinkFactory(guardian=other_guardian, supervised=CustomerFactory())

    privacy.erase_subject(subject=guardian, actor="job:test", now=NOW)

    assert list(GuardianLink.objects.values_list("pk", flat=True)) == [kept.pk]


def test_a_declared_subject_link_must_lead_to_a_customer() -> None:
    datamap = privacy.data_map.copy()
    datamap._subject_links["accounts.GuardianLink"] = ("guardian", "invited_email")

    with pytest.raises(ImproperlyConfigured, match="'invited_email' does not lead to the user"):
        datamap.subject_paths(GuardianLink)


# ---------------------------------------------------------------- erasures done elsewhere
def test_journal_erasure_records_a_blanking_and_refuses_undeclared_fields() -> None:
    customer = CustomerFactory()
    message = OutboxMessageFactory(recipient=customer, to_address="gone@example.com")

    entry = privacy.journal_erasure(
        subject=customer,
        model=OutboxMessage,
        fields=["to_address", "text_body"],
        row_ids=[message.pk],
        actor="job:mail_delivery",
        now=NOW,
    )

    assert (entry.model, entry.fields, entry.action, entry.rule, entry.row_ids) == (
        "mail.OutboxMessage",
        ["text_body", "to_address"],
        "blanked",
        "delete",
        [message.pk],
    )
    # Replayed after a restore, it blanks the restored message.
    assert privacy.replay_erasures() == 1
    message.refresh_from_db()
    assert (message.to_address, message.text_body) == ("", "")
    with pytest.raises(ImproperlyConfigured, match=r"mail\.OutboxMessage\.state is not declared"):
        privacy.journal_erasure(
            subject=customer, model=OutboxMessage, fields=["state"], row_ids=[1], actor="x"
        )
    assert ErasureJournalEntry.objects.count() == 1
