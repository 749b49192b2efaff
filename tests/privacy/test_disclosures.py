"""The disclosure register (P16): each release recorded, approved by a second staff member."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client

from bungu.privacy import (
    AppendOnlyViolation,
    DisclosureRefused,
    LegalBasis,
    approve_disclosure,
    data_map,
    list_disclosures_for,
    record_disclosure,
)
from bungu.privacy.models import Disclosure
from tests.accounts.factories import CustomerFactory

pytestmark = pytest.mark.django_db

RELEASED = ["accounts.User.email", "accounts.User.name"]


def privacy_staff(*codenames: str) -> object:
    staff = CustomerFactory(is_staff=True)
    for codename in codenames:
        staff.user_permissions.add(Permission.objects.get(codename=codename))
    return type(staff).objects.get(pk=staff.pk)  # fresh: permissions are cached per instance


@pytest.fixture
def recorder() -> object:
    return privacy_staff("add_disclosure", "view_disclosure", "approve_disclosure")


@pytest.fixture
def approver() -> object:
    return privacy_staff("view_disclosure", "change_disclosure", "approve_disclosure")


def subpoena(customer: object, recorder: object, **changes: object) -> Disclosure:
    values: dict[str, object] = {
        "subject": customer,
        "legal_basis": LegalBasis.SUBPOENA,
        "requester": "Superior Court of California, case 26-CV-0042",
        "data_released": RELEASED,
        "requested_by": recorder,
    }
    values.update(changes)
    return record_disclosure(**values)  # type: ignore[arg-type]


def test_p16_a_release_is_recorded_and_approved_by_a_second_staff_member(
    recorder: object, approver: object
) -> None:
    customer = CustomerFactory()
    disclosure = subpoena(customer, recorder)
    assert disclosure.is_approved is False
    assert list_disclosures_for(subject=customer) == []

    approved = approve_disclosure(disclosure=disclosure, approved_by=approver, released_at=None)

    assert (approved.approved_by, approved.requested_by) == (approver, recorder)
    assert approved.released_at == approved.approved_at
    assert approved.data_released == RELEASED
    assert list_disclosures_for(subject=customer) == [approved]


def test_p16_the_recorder_cannot_approve_their_own_disclosure(recorder: object) -> None:
    disclosure = subpoena(CustomerFactory(), recorder)

    with pytest.raises(DisclosureRefused, match=r"A second staff member must approve"):
        approve_disclosure(disclosure=disclosure, approved_by=recorder, released_at=None)
    assert Disclosure.objects.get().approved_by is None


def test_p16_the_database_refuses_one_person_approving_their_own(recorder: object) -> None:
    disclosure = subpoena(CustomerFactory(), recorder)

    with pytest.raises(IntegrityError), transaction.atomic():
        Disclosure.objects.filter(pk=disclosure.pk).update(
            approved_by=recorder, approved_at=disclosure.requested_at
        )
    assert Disclosure.objects.get().approved_by is None


def test_p16_clean_refuses_the_same_approver_too(recorder: object) -> None:
    disclosure = subpoena(CustomerFactory(), recorder)
    disclosure.approved_by = recorder
    disclosure.approved_at = disclosure.requested_at

    with pytest.raises(ValidationError, match=r"A second staff member must approve"):
        disclosure.save()


def test_an_approver_needs_the_permission(recorder: object) -> None:
    disclosure = subpoena(CustomerFactory(), recorder)
    colleague = privacy_staff("view_disclosure")

    with pytest.raises(DisclosureRefused, match=r"approval permission"):
        approve_disclosure(disclosure=disclosure, approved_by=colleague, released_at=None)
    with pytest.raises(DisclosureRefused, match=r"Only privacy staff may record"):
        subpoena(CustomerFactory(), colleague)
    assert Disclosure.objects.get().approved_by is None


def test_p16_an_approved_disclosure_is_append_only(recorder: object, approver: object) -> None:
    disclosure = subpoena(CustomerFactory(), recorder)
    approve_disclosure(disclosure=disclosure, approved_by=approver, released_at=None)
    disclosure.refresh_from_db()

    disclosure.requester = "someone else"
    with pytest.raises(AppendOnlyViolation):
        disclosure.save()
    with pytest.raises(AppendOnlyViolation):
        disclosure.delete()
    with pytest.raises(AppendOnlyViolation):
        Disclosure.objects.update(requester="someone else")
    with pytest.raises(AppendOnlyViolation):
        Disclosure.objects.all().delete()
    with pytest.raises(DisclosureRefused, match=r"already approved"):
        approve_disclosure(disclosure=disclosure, approved_by=approver, released_at=None)
    assert Disclosure.objects.get().requester == "Superior Court of California, case 26-CV-0042"


def test_released_data_must_be_fields_of_the_data_map(recorder: object) -> None:
    with pytest.raises(ValidationError) as raised:
        subpoena(CustomerFactory(), recorder, data_released=["accounts.User.shoe_size"])

    assert raised.value.message_dict["data_released"] == [
        "Not personal data in the data map: accounts.User.shoe_size."
    ]
    with pytest.raises(ValidationError, match=r"Name at least one field"):
        subpoena(CustomerFactory(), recorder, data_released=[])
    assert Disclosure.objects.count() == 0


def test_an_other_basis_must_be_described(recorder: object) -> None:
    with pytest.raises(ValidationError, match=r"Describe the legal basis"):
        subpoena(CustomerFactory(), recorder, legal_basis=LegalBasis.OTHER)

    described = subpoena(
        CustomerFactory(),
        recorder,
        legal_basis=LegalBasis.OTHER,
        legal_basis_other="Order of the state's consumer protection agency",
    )
    assert described.get_legal_basis_display() == "other (described)"


def test_a_sealed_release_is_not_shown_to_the_customer(recorder: object, approver: object) -> None:
    customer = CustomerFactory()
    sealed = subpoena(customer, recorder, visible_to_customer=False)
    approve_disclosure(disclosure=sealed, approved_by=approver, released_at=None)

    assert list_disclosures_for(subject=customer) == []


def test_the_register_declares_its_fields_in_the_data_map() -> None:
    assert data_map.get("privacy.Disclosure.requester").erase == "keep_for_law"
    assert data_map.is_declared("privacy.Disclosure.approved_by")
    assert data_map.find("privacy.Disclosure.approved_by") is None


# ---------------------------------------------------------------- the admin
def test_p16_privacy_staff_record_and_approve_in_the_admin(
    client: Client, recorder: object, approver: object
) -> None:
    customer = CustomerFactory()
    client.force_login(recorder)
    response = client.post(
        "/admin/privacy/disclosure/add/",
        {
            "subject": customer.pk,
            "legal_basis": "fraud_exchange",
            "requester": "Card network fraud desk, ref 991",
            "data_released": ["accounts.User.email"],
            "visible_to_customer": "on",
            "note": "",
        },
    )
    assert response.status_code == 302
    disclosure = Disclosure.objects.get()
    assert (disclosure.requested_by, disclosure.approved_by) == (recorder, None)

    own = client.post(
        "/admin/privacy/disclosure/",
        {"action": "approve_selected", "_selected_action": [disclosure.pk]},
        follow=True,
    )
    assert "A second staff member must approve" in own.content.decode()
    client.force_login(approver)
    done = client.post(
        "/admin/privacy/disclosure/",
        {"action": "approve_selected", "_selected_action": [disclosure.pk]},
        follow=True,
    )
    assert "Approved 1 disclosure(s)." in done.content.decode()
    disclosure.refresh_from_db()
    assert disclosure.approved_by == approver
    # Read-only from now on: the change page shows it but offers no save.
    page = client.get(f"/admin/privacy/disclosure/{disclosure.pk}/change/").content.decode()
    assert 'name="_save"' not in page


def test_staff_without_the_permission_cannot_see_the_register(client: Client) -> None:
    client.force_login(privacy_staff())

    assert client.get("/admin/privacy/disclosure/").status_code == 403
