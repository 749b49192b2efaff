"""P13: personal data only for a purpose, only what the purpose may see, and always logged."""

import pytest
from django.contrib.auth.models import Permission

from bungu.privacy import (
    Agent,
    AppendOnlyViolation,
    Purpose,
    PurposeNotAllowed,
    access,
    record_consent,
)
from bungu.privacy.models import AccessLogEntry
from tests.accounts.factories import CustomerFactory, GuardianLinkFactory

pytestmark = pytest.mark.django_db

EMAIL, NAME = "accounts.User.email", "accounts.User.name"


def staff_with(*purposes: Purpose) -> object:
    member = CustomerFactory(is_staff=True)
    member.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="privacy",
            codename__in=[purpose.permission_codename for purpose in purposes],
        )
    )
    return member


def test_p13_a_purpose_hands_over_the_fields_it_may_see_and_logs_it() -> None:
    customer = CustomerFactory(email="hana@example.com", name="Hana")
    clerk = staff_with(Purpose.CUSTOMER_SERVICE)

    data = access(
        subject=customer, purpose=Purpose.CUSTOMER_SERVICE, actor=clerk, fields=[EMAIL, NAME]
    )

    assert (data.value(EMAIL), data.value(NAME)) == ("hana@example.com", "Hana")
    assert data.records == {"accounts.User": [{"email": "hana@example.com", "name": "Hana"}]}
    entry = AccessLogEntry.objects.get()
    assert (entry.subject, entry.actor, entry.actor_label) == (customer, clerk, f"staff:{clerk.pk}")
    assert (entry.purpose, entry.fields, entry.refused, entry.granted) == (
        "essential.service.operations.support",
        [EMAIL, NAME],
        [],
        True,
    )


def test_p13_a_role_whose_purpose_excludes_contact_data_never_sees_an_email_address() -> None:
    customer = CustomerFactory()
    packer = staff_with(Purpose.FULFILMENT)

    with pytest.raises(
        PurposeNotAllowed,
        match=r"accounts.User.email is not declared to serve essential.service.fulfilment",
    ):
        access(subject=customer, purpose=Purpose.FULFILMENT, actor=packer, fields=[NAME, EMAIL])

    entry = AccessLogEntry.objects.get()
    assert (entry.granted, entry.fields, entry.refused) == (False, [], [EMAIL])
    # The name alone is within the purpose.
    assert (
        access(subject=customer, purpose=Purpose.FULFILMENT, actor=packer, fields=[NAME]).value(
            NAME
        )
        == customer.name
    )


def test_p13_staff_without_the_purpose_permission_are_refused_and_logged() -> None:
    customer = CustomerFactory()
    stranger = staff_with(Purpose.FULFILMENT)

    with pytest.raises(PurposeNotAllowed, match=f"staff:{stranger.pk} may not act for"):
        access(subject=customer, purpose=Purpose.CUSTOMER_SERVICE, actor=stranger, fields=[EMAIL])

    entry = AccessLogEntry.objects.get()
    assert (entry.granted, entry.refused, entry.actor) == (False, [EMAIL], stranger)


def test_p13_an_inactive_staff_member_is_refused_even_with_the_permission() -> None:
    clerk = staff_with(Purpose.CUSTOMER_SERVICE)
    clerk.is_active = False
    clerk.save()

    with pytest.raises(PurposeNotAllowed):
        access(
            subject=CustomerFactory(), purpose=Purpose.CUSTOMER_SERVICE, actor=clerk, fields=[EMAIL]
        )
    assert AccessLogEntry.objects.get().granted is False


def test_p13_an_agent_serves_its_function_and_nothing_else() -> None:
    customer = CustomerFactory(name="Ken")
    courier = Agent("delivery")

    data = access(subject=customer, purpose=Purpose.DELIVERY, actor=courier, fields=[NAME])
    assert data.value(NAME) == "Ken"
    with pytest.raises(
        PurposeNotAllowed, match=r"agent:delivery may not act for marketing.communications.email"
    ):
        access(subject=customer, purpose=Purpose.MARKETING_EMAIL, actor=courier, fields=[NAME])

    log = list(
        AccessLogEntry.objects.order_by("id").values_list("actor_label", "purpose", "granted")
    )
    assert log == [
        ("agent:delivery", "essential.service.delivery", True),
        ("agent:delivery", "marketing.communications.email", False),
    ]


def test_p13_an_agents_look_is_logged_with_its_company_and_what_it_was_about() -> None:
    customer = CustomerFactory(name="Ken")

    access(
        subject=customer,
        purpose=Purpose.DELIVERY,
        actor=Agent("delivery", company="Yamato"),
        fields=[NAME],
        regarding="order 1042",
    )

    entry = AccessLogEntry.objects.get()
    assert (entry.actor_label, entry.agent_company, entry.regarding) == (
        "agent:delivery",
        "Yamato",
        "order 1042",
    )


def test_p13_undeclared_or_unknown_fields_are_refused() -> None:
    customer = CustomerFactory()
    clerk = staff_with(Purpose.CUSTOMER_SERVICE)

    with pytest.raises(
        PurposeNotAllowed, match=r"accounts.User.is_staff is not declared as personal data"
    ):
        access(
            subject=customer,
            purpose=Purpose.CUSTOMER_SERVICE,
            actor=clerk,
            fields=["accounts.User.is_staff"],
        )
    with pytest.raises(PurposeNotAllowed, match=r"accounts.User.shoe_size is not declared"):
        access(
            subject=customer,
            purpose=Purpose.CUSTOMER_SERVICE,
            actor=clerk,
            fields=["accounts.User.shoe_size"],
        )
    assert AccessLogEntry.objects.filter(granted=False).count() == 2


def test_an_umbrella_purpose_sees_nothing() -> None:
    with pytest.raises(PurposeNotAllowed, match=r"is not declared to serve essential.service"):
        access(
            subject=CustomerFactory(),
            purpose=Purpose.SERVICE,
            actor=staff_with(Purpose.SERVICE),
            fields=[NAME],
        )


def test_records_reached_through_a_link_are_read_for_that_customer_only() -> None:
    customer, other = CustomerFactory(), CustomerFactory()
    record_consent(subject=customer, method="form", page="/a/")
    record_consent(subject=other, method="form", page="/b/")
    clerk = staff_with(Purpose.CUSTOMER_SERVICE)

    data = access(
        subject=customer.pk,
        purpose=Purpose.CUSTOMER_SERVICE,
        actor=clerk,
        fields=["privacy.ConsentEvent.page"],
    )

    assert data.values("privacy.ConsentEvent.page") == ["/a/"]


def test_p13_a_guardian_link_is_read_for_either_person_it_is_about() -> None:
    guardian, stranger = CustomerFactory(), CustomerFactory()
    young = CustomerFactory(email="young@example.com")
    GuardianLinkFactory(guardian=guardian, supervised=young)
    clerk = staff_with(Purpose.CUSTOMER_SERVICE)

    def invited(person: object) -> list[object]:
        return access(
            subject=person,
            purpose=Purpose.CUSTOMER_SERVICE,
            actor=clerk,
            fields=["accounts.GuardianLink.invited_email"],
        ).values("accounts.GuardianLink.invited_email")

    assert invited(guardian) == ["young@example.com"]
    assert invited(young) == ["young@example.com"]
    assert invited(stranger) == []


def test_bad_calls_are_refused_before_anything_is_logged() -> None:
    clerk = staff_with(Purpose.CUSTOMER_SERVICE)

    with pytest.raises(LookupError, match=r"there is no customer #999999"):
        access(subject=999999, purpose=Purpose.CUSTOMER_SERVICE, actor=clerk, fields=[EMAIL])
    with pytest.raises(ValueError, match=r"name at least one field"):
        access(subject=clerk, purpose=Purpose.CUSTOMER_SERVICE, actor=clerk, fields=[])
    with pytest.raises(ValueError, match=r"unknown agent function 'psychic'"):
        Agent("psychic")
    assert AccessLogEntry.objects.count() == 0


def test_the_access_log_is_append_only() -> None:
    access(
        subject=CustomerFactory(), purpose=Purpose.DELIVERY, actor=Agent("delivery"), fields=[NAME]
    )
    entry = AccessLogEntry.objects.get()
    entry.purpose = "nothing to see"

    with pytest.raises(AppendOnlyViolation):
        entry.save()
    with pytest.raises(AppendOnlyViolation):
        AccessLogEntry.objects.all().delete()
    assert AccessLogEntry.objects.get().purpose == "essential.service.delivery"
