"""P25 at the accessor: staff reach a record only for uses both the notice in force now and
the one in force when the record was collected allow, unless the customer consented later."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from bungu.privacy import Purpose, PurposeNotAllowed, access, record_consent
from bungu.privacy.models import AccessLogEntry, Notice

from .factories import V1_PRACTICES, CustomerFactory

pytestmark = pytest.mark.django_db

NAME, EMAIL = "accounts.User.name", "accounts.User.email"

# Notice v1 (in force since 2026-11-01) lets only the carrier use data for delivery.
STAFF_DELIVERY = """
[[allow]]
data = ["user.name", "user.contact.address", "user.contact.phone_number"]
purpose = "essential.service.delivery"
recipient = "shop"
choice = "none"
"""
FULFILMENT_ONLY = """
[[allow]]
data = ["user.name", "user.contact.address"]
purpose = "essential.service.fulfilment"
recipient = "shop"
choice = "none"
"""


def publish_v2(practices: str) -> Notice:
    """v2, in force from today."""
    return Notice.objects.create(
        version=2,
        effective=timezone.localdate(),
        text="v2",
        practices=practices,
    )


def joined_under_v1() -> object:
    return CustomerFactory(name="Hana", date_joined=timezone.now() - datetime.timedelta(days=15))


def staff_with(purpose: Purpose) -> object:
    member = CustomerFactory(is_staff=True)
    member.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="privacy", codename=purpose.permission_codename
        )
    )
    return member


def test_p25_a_use_both_notices_allow_hands_the_value_over() -> None:
    publish_v2(V1_PRACTICES)
    customer = joined_under_v1()

    data = access(
        subject=customer,
        purpose=Purpose.CUSTOMER_SERVICE,
        actor=staff_with(Purpose.CUSTOMER_SERVICE),
        fields=[NAME],
    )

    assert data.value(NAME) == "Hana"
    assert AccessLogEntry.objects.get().granted is True


def test_p25_a_later_notice_that_drops_the_use_refuses_it_and_logs_the_refusal() -> None:
    publish_v2(FULFILMENT_ONLY)
    customer = joined_under_v1()

    with pytest.raises(
        PurposeNotAllowed,
        match=r"accounts.User.name may not be used for essential.service.operations.support by "
        r"shop: The notice in force \(v2\) does not allow this\.",
    ):
        access(
            subject=customer,
            purpose=Purpose.CUSTOMER_SERVICE,
            actor=staff_with(Purpose.CUSTOMER_SERVICE),
            fields=[NAME, EMAIL],
        )

    entry = AccessLogEntry.objects.get()
    assert (entry.subject, entry.granted, entry.fields, entry.refused) == (
        customer,
        False,
        [],
        [EMAIL, NAME],
    )


def test_p25_a_use_added_after_collection_is_refused_until_the_customer_consents() -> None:
    publish_v2(V1_PRACTICES + STAFF_DELIVERY)
    customer = joined_under_v1()
    clerk = staff_with(Purpose.DELIVERY)

    with pytest.raises(PurposeNotAllowed, match=r"collected under v1, which did not allow this"):
        access(subject=customer, purpose=Purpose.DELIVERY, actor=clerk, fields=[NAME])
    record_consent(subject=customer, method="form", notice_version=2)
    data = access(subject=customer, purpose=Purpose.DELIVERY, actor=clerk, fields=[NAME])

    assert data.value(NAME) == "Hana"
    assert [(e.granted, e.refused) for e in AccessLogEntry.objects.order_by("id")] == [
        (False, [NAME]),
        (True, []),
    ]


def test_p25_a_record_collected_under_the_later_notice_may_serve_its_new_use() -> None:
    publish_v2(V1_PRACTICES + STAFF_DELIVERY)
    customer = CustomerFactory(name="Kei")

    data = access(
        subject=customer,
        purpose=Purpose.DELIVERY,
        actor=staff_with(Purpose.DELIVERY),
        fields=[NAME],
    )

    assert data.value(NAME) == "Kei"


def test_p25_each_row_is_dated_by_its_own_creation_time() -> None:
    publish_v2(V1_PRACTICES + STAFF_DELIVERY)
    customer = joined_under_v1()
    clerk = staff_with(Purpose.DELIVERY)
    recipient = "accounts.Address.recipient"
    customer.addresses.create(recipient="Hana", line1="2 New St", city="Kyoto", postal_code="600")

    data = access(subject=customer, purpose=Purpose.DELIVERY, actor=clerk, fields=[recipient])
    old = customer.addresses.create(
        recipient="Hana O.", line1="1 Old St", city="Kyoto", postal_code="600"
    )
    type(old).objects.filter(pk=old.pk).update(created_at=customer.date_joined)

    assert data.values(recipient) == ["Hana"]
    with pytest.raises(PurposeNotAllowed, match=r"accounts.Address.recipient may not be used"):
        access(subject=customer, purpose=Purpose.DELIVERY, actor=clerk, fields=[recipient])
