"""P25 at the accessor: staff reach a record only for uses both the notice in force now and
the one in force when the record was collected allow, unless the customer consented later."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from bungu.privacy import Purpose, PurposeNotAllowed, access, record_consent
from bungu.privacy.models import AccessLogEntry, Notice
from tests.accounts.factories import CustomerFactory

from .factories import V1_PRACTICES

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

    with pytest.raises(
        PurposeNotAllowed,
        match=r"accounts.User.name may not be used for essential.service.delivery by shop: "
        r"collected under notice v1, which did not allow the shop itself to use user.name data "
        r"for delivering your order; the customer has not consented to v2, which does\.",
    ):
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


def test_p25_each_row_is_dated_by_its_own_creation_time_and_withheld_on_its_own() -> None:
    publish_v2(V1_PRACTICES + STAFF_DELIVERY)
    customer = joined_under_v1()
    clerk = staff_with(Purpose.DELIVERY)
    recipient = "accounts.Address.recipient"
    customer.addresses.create(recipient="Hana", line1="2 New St", city="Kyoto", postal_code="600")
    old = customer.addresses.create(
        recipient="Hana O.", line1="1 Old St", city="Kyoto", postal_code="600"
    )
    type(old).objects.filter(pk=old.pk).update(created_at=customer.date_joined)

    data = access(subject=customer, purpose=Purpose.DELIVERY, actor=clerk, fields=[recipient])

    assert data.records == {"accounts.Address": [{"recipient": "Hana"}, {}]}
    assert data.values(recipient) == ["Hana"]
    assert [(w.label, w.rows) for w in data.withheld] == [(recipient, (1,))]


# ---------------------------------------------------------------- withheld, not refused
LINE1, ADDRESS_PHONE = "accounts.Address.line1", "accounts.Address.phone"
DELIVERY_FIELDS = [NAME, RECIPIENT := "accounts.Address.recipient", LINE1, ADDRESS_PHONE]
NOT_UNDER_V1 = (
    "collected under notice v1, which did not allow the shop itself to use user.name data for "
    "delivering your order; the customer has not consented to v2, which does."
)


def address_given_now(customer: object) -> object:
    return customer.addresses.create(
        recipient="Hana Oda", line1="2 New St", city="Kyoto", postal_code="600", phone="075 1"
    )


def test_p25_values_collected_under_an_older_notice_are_withheld_and_the_rest_handed_over() -> None:
    publish_v2(V1_PRACTICES + STAFF_DELIVERY)
    customer = joined_under_v1()  # the name was given under v1
    address_given_now(customer)  # the address under v2
    clerk = staff_with(Purpose.DELIVERY)

    data = access(subject=customer, purpose=Purpose.DELIVERY, actor=clerk, fields=DELIVERY_FIELDS)

    assert data.records == {
        "accounts.User": [{}],
        "accounts.Address": [{"recipient": "Hana Oda", "line1": "2 New St", "phone": "075 1"}],
    }
    assert [(w.label, w.rows, w.reason) for w in data.withheld] == [(NAME, (0,), NOT_UNDER_V1)]
    assert data.values(NAME) == []
    with pytest.raises(PurposeNotAllowed, match=r"^collected under notice v1, which did not"):
        data.value(NAME)
    entry = AccessLogEntry.objects.get()
    assert (entry.subject, entry.actor, entry.granted, entry.fields, entry.refused) == (
        customer,
        clerk,
        True,
        [RECIPIENT, LINE1, ADDRESS_PHONE],
        [NAME],
    )


def test_p25_after_the_customer_consents_to_the_newer_notice_nothing_is_withheld() -> None:
    publish_v2(V1_PRACTICES + STAFF_DELIVERY)
    customer = joined_under_v1()
    address_given_now(customer)
    clerk = staff_with(Purpose.DELIVERY)
    access(subject=customer, purpose=Purpose.DELIVERY, actor=clerk, fields=DELIVERY_FIELDS)

    record_consent(subject=customer, method="form", page="/privacy/", notice_version=2)
    data = access(subject=customer, purpose=Purpose.DELIVERY, actor=clerk, fields=DELIVERY_FIELDS)

    assert (data.value(NAME), data.withheld) == ("Hana", ())
    assert [(e.granted, e.fields, e.refused) for e in AccessLogEntry.objects.order_by("id")] == [
        (True, [RECIPIENT, LINE1, ADDRESS_PHONE], [NAME]),
        (True, DELIVERY_FIELDS, []),
    ]


def test_p25_when_every_value_is_withheld_the_call_is_refused_and_hands_over_nothing() -> None:
    publish_v2(V1_PRACTICES + STAFF_DELIVERY)
    customer = joined_under_v1()
    old = address_given_now(customer)
    type(old).objects.filter(pk=old.pk).update(created_at=customer.date_joined)

    with pytest.raises(PurposeNotAllowed, match=r"accounts.User.name may not be used .*: "):
        access(
            subject=customer,
            purpose=Purpose.DELIVERY,
            actor=staff_with(Purpose.DELIVERY),
            fields=DELIVERY_FIELDS,
        )

    entry = AccessLogEntry.objects.get()
    assert (entry.granted, entry.fields, entry.refused) == (False, [], sorted(DELIVERY_FIELDS))


def test_p25_a_field_with_no_rows_is_refused_when_the_notice_in_force_forbids_it() -> None:
    publish_v2(FULFILMENT_ONLY)
    customer = CustomerFactory(name="Kei")  # under v2, no address on record

    with pytest.raises(PurposeNotAllowed) as refused:
        access(
            subject=customer,
            purpose=Purpose.CUSTOMER_SERVICE,
            actor=staff_with(Purpose.CUSTOMER_SERVICE),
            fields=[NAME, LINE1],
        )

    assert str(refused.value) == (
        "accounts.User.name may not be used for essential.service.operations.support by shop: "
        "The notice in force (v2) does not allow this.; "
        "accounts.Address.line1 may not be used for essential.service.operations.support by "
        "shop: The notice in force (v2) does not allow this."
    )
    assert AccessLogEntry.objects.get().refused == [LINE1, NAME]


def test_p25_rows_of_one_notice_are_withheld_one_by_one_once_their_retention_has_run_out() -> None:
    """The same notice at collection, but the use may last ten days: only the older row's
    value is past it."""
    publish_v2(
        V1_PRACTICES
        + STAFF_DELIVERY.replace('choice = "none"', 'retention_days = 10\nchoice = "none"')
    )
    customer = joined_under_v1()
    record_consent(subject=customer, method="form", notice_version=2)
    for days, recipient in ((12, "Hana at 12 days"), (3, "Hana at 3 days")):
        row = customer.addresses.create(
            recipient=recipient, line1="1 St", city="Kyoto", postal_code="600"
        )
        moment = timezone.now() - datetime.timedelta(days=days)
        type(row).objects.filter(pk=row.pk).update(created_at=moment)

    data = access(
        subject=customer,
        purpose=Purpose.DELIVERY,
        actor=staff_with(Purpose.DELIVERY),
        fields=[RECIPIENT],
    )

    assert data.values(RECIPIENT) == ["Hana at 3 days"]
    assert [(w.rows, w.reason) for w in data.withheld] == [
        ((0,), "The 10 days this use may last have passed.")
    ]


def test_p25_withholding_costs_the_same_queries_for_one_old_row_or_many(
    django_assert_num_queries,
) -> None:
    """The rule is asked per notice-at-collection, in memory, never once per row."""
    publish_v2(V1_PRACTICES + STAFF_DELIVERY)
    customer = joined_under_v1()
    clerk = staff_with(Purpose.DELIVERY)

    def add_addresses(count: int) -> None:
        for _ in range(count):
            old = address_given_now(customer)
            type(old).objects.filter(pk=old.pk).update(created_at=customer.date_joined)
            address_given_now(customer)

    def read() -> object:
        return access(
            subject=customer, purpose=Purpose.DELIVERY, actor=clerk, fields=DELIVERY_FIELDS
        )

    add_addresses(1)
    read()  # the clerk's permissions are cached on first use
    # The customer, the notices, the consents, one query per model read and the log entry.
    with django_assert_num_queries(6) as one:
        read()
    add_addresses(6)
    with django_assert_num_queries(len(one.captured_queries)):
        data = read()

    assert len(data.values(LINE1)) == 7
    assert sum(len(w.rows) for w in data.withheld) == 1 + 7 * 3
