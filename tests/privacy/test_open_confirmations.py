"""P7: the customer's switch for e-mail open confirmations on "My data", kept in the ledger."""

from __future__ import annotations

import pytest
from django.utils import timezone

from bungu import privacy
from bungu.privacy.models import ConsentEvent, Notice
from bungu.privacy.notices.open_tracking import OPEN_TRACKING
from tests.accounts.factories import CustomerFactory
from tests.privacy.factories import V1_PRACTICES

pytestmark = pytest.mark.django_db

URL = "/privacy/my-data/open-confirmations/"


def test_p7_my_data_shows_the_switch_on_by_the_notices_default(client) -> None:
    customer = CustomerFactory()
    client.force_login(customer)

    page = client.get("/privacy/my-data/").content.decode()

    assert "We note when you open our marketing e-mail" in page
    assert privacy.open_recording_answer(subject=customer) is None


def test_p7_turning_it_off_writes_the_ledger_and_nothing_else(client) -> None:
    customer = CustomerFactory()
    client.force_login(customer)

    response = client.post(URL, {"record_opens": "off"})

    assert response.status_code == 302
    event = ConsentEvent.objects.get(subject=customer)
    assert (event.practice, event.kind, event.method) == (OPEN_TRACKING, "withdrawn", "form")
    assert privacy.open_recording_answer(subject=customer) is False
    page = client.get("/privacy/my-data/").content.decode()
    assert "You turned open confirmations off." in page
    # Open confirmations are their own answer: marketing e-mail itself is still allowed.
    assert privacy.may_use(
        subject=customer,
        data_category="user.contact.email",
        purpose="marketing.communications.email",
        recipient="shop",
        collected_at=customer.date_joined,
    )

    client.post(URL, {"record_opens": "on"})
    assert privacy.open_recording_answer(subject=customer) is True


@pytest.mark.parametrize("data", [{}, {"record_opens": "maybe"}, {"record_opens": "on" * 500}])
def test_p7_a_bad_answer_is_a_400_and_changes_nothing(client, data) -> None:
    customer = CustomerFactory()
    client.force_login(customer)

    response = client.post(URL, data)

    assert response.status_code == 400
    assert b"record_opens" in response.content
    assert not ConsentEvent.objects.filter(subject=customer).exists()


def test_p7_the_switch_needs_a_signed_in_post(client) -> None:
    assert client.post(URL, {"record_opens": "off"}).status_code == 302  # to sign in
    client.force_login(CustomerFactory())
    assert client.get(URL).status_code == 405
    assert not ConsentEvent.objects.exists()


def test_p7_gpc_turns_the_default_off_and_my_data_says_so(client) -> None:
    customer = CustomerFactory()
    privacy.record_gpc_signal(subject=customer)
    client.force_login(customer)

    page = client.get("/privacy/my-data/").content.decode()

    assert "Your browser sent Global Privacy Control: an opt-out." in page
    assert "Let the shop note when I open its e-mail" in page


def test_p7_an_opt_in_notice_records_opens_only_after_the_customers_yes() -> None:
    Notice.objects.create(
        version=2,
        effective=timezone.localdate(),
        text="v2",
        practices=V1_PRACTICES.replace(
            'purpose = "marketing.communications.email"\nrecipient = "shop"\nchoice = "opt-out"',
            'purpose = "marketing.communications.email"\nrecipient = "shop"\nchoice = "opt-in"',
        ),
    )
    customer = CustomerFactory(date_joined=timezone.now())
    privacy.record_consent(
        subject=customer, method="form", practice="marketing.communications.email@shop"
    )
    ask = {
        "subject": customer,
        "purpose": "marketing.communications.email",
        "collected_at": customer.date_joined,
    }

    refused = privacy.may_record_opens(**ask)
    assert (refused.allowed, refused.reason) == (False, "The notice asks for your yes first.")

    privacy.set_open_recording(subject=customer, allowed=True, method="form")
    assert privacy.may_record_opens(**ask).allowed is True


def test_p7_without_a_notice_in_force_the_switch_says_so(client, monkeypatch) -> None:
    def no_notice(**_: object) -> None:
        raise privacy.NoNoticeInForce("none")

    monkeypatch.setattr("bungu.privacy.views.customer.set_open_recording", no_notice)
    client.force_login(CustomerFactory())

    response = client.post(URL, {"record_opens": "off"}, follow=True)

    assert "No privacy notice is in force yet" in response.content.decode()
    assert not ConsentEvent.objects.exists()
