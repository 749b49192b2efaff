"""P25 in the outbox: marketing mail is a use of the customer's address that both the notice
in force and the one they joined under must allow, unless they consented to a later one."""

import datetime

import pytest
from django.utils import timezone

from bungu.mail.kinds import Category
from bungu.mail.models import State
from bungu.mail.preferences import set_preferences
from bungu.mail.services import queue_message
from bungu.privacy import record_consent
from bungu.privacy.models import Notice
from tests.accounts.factories import CustomerFactory
from tests.privacy.factories import V1_PRACTICES

pytestmark = pytest.mark.django_db

# v1's practices without e-mail marketing (by the shop or its mail delivery agent).
WITHOUT_MARKETING = "\n[[allow]]".join(
    part
    for part in V1_PRACTICES.split("\n[[allow]]")
    if 'purpose = "marketing.communications.email"' not in part
)


def publish(version: int, practices: str, *, days_ago: int = 0) -> Notice:
    notice = Notice.objects.create(
        version=version, effective=timezone.localdate(), text=f"v{version}", practices=practices
    )
    if days_ago:
        # History: a new version may not be back-dated through the model, so a past one is
        # written directly.
        Notice.objects.filter(pk=notice.pk).update(
            effective=timezone.localdate() - datetime.timedelta(days=days_ago)
        )
    return notice


NOT_UNDER_V2 = (
    "The data was collected under v2, which did not allow this, and the customer has not "
    "consented to a later notice that does."
)


@pytest.fixture
def marketing_added_today() -> None:
    """v2 (three weeks ago) drops e-mail marketing; v3 (today) adds it back, with opt-out."""
    publish(2, WITHOUT_MARKETING, days_ago=21)
    publish(3, V1_PRACTICES)


def joined(days_ago: int) -> object:
    return CustomerFactory(date_joined=timezone.now() - datetime.timedelta(days=days_ago))


def spring_sale(customer: object) -> object:
    return queue_message(
        to=customer.email, kind="marketing.spring_sale", subject="Spring", text_body="Ink!"
    )


def test_p25_the_notice_without_marketing_really_drops_it() -> None:
    assert 'purpose = "marketing.communications.email"' in V1_PRACTICES
    assert "marketing.communications.email" not in WITHOUT_MARKETING
    assert "essential.service.fulfilment" in WITHOUT_MARKETING


@pytest.mark.usefixtures("marketing_added_today")
def test_p25_a_customer_who_joined_without_marketing_in_the_notice_gets_none() -> None:
    customer = joined(days_ago=10)

    message = spring_sale(customer)

    assert (message.state, message.suppressed_reason) == (
        State.SUPPRESSED,
        NOT_UNDER_V2,
    )


@pytest.mark.usefixtures("marketing_added_today")
def test_p25_after_consenting_to_the_later_notice_they_get_it() -> None:
    customer = joined(days_ago=10)
    record_consent(subject=customer, method="form", notice_version=3)

    message = spring_sale(customer)

    assert (message.state, message.suppressed_reason) == (State.QUEUED, "")


@pytest.mark.usefixtures("marketing_added_today")
def test_p25_a_customer_who_joined_under_the_later_notice_gets_it() -> None:
    message = spring_sale(joined(days_ago=0))

    assert (message.state, message.suppressed_reason) == (State.QUEUED, "")


@pytest.mark.usefixtures("marketing_added_today")
def test_p25_order_and_account_mail_still_go_to_the_earlier_customer() -> None:
    customer = joined(days_ago=10)

    states = [
        queue_message(to=customer.email, kind=kind, subject="Hi", text_body="Hi").state
        for kind in ("order.confirmation", "account.verify")
    ]

    assert states == [State.QUEUED, State.QUEUED]


def test_p21_a_turned_off_category_is_suppressed_with_its_reason() -> None:
    customer = CustomerFactory()
    set_preferences(user=customer, choices={Category.MARKETING: False}, method="form")
    message = spring_sale(customer)

    assert (message.state, message.suppressed_reason) == (
        State.SUPPRESSED,
        "The customer turned off marketing e-mail.",
    )
