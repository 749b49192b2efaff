"""Publishing a notice version (P24, P25): a less protective one needs the comparison
confirmed; the customers it affects are asked on their next visit and by e-mail."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from bungu.privacy import (
    LessProtectiveUnconfirmed,
    list_customers_to_remind,
    may_use,
    notice_awaiting_answer,
    notice_reminder,
    publish_notice,
    record_notice_reminders,
)
from bungu.privacy.models import ConsentEvent, Notice, NoticeReminder
from tests.accounts.factories import CustomerFactory

from .factories import AFFILIATE_RECOMMENDATIONS, V1_PRACTICES, at

pytestmark = pytest.mark.django_db

WIDER = V1_PRACTICES + AFFILIATE_RECOMMENDATIONS
# v1 with the search service keeping words for 7 days instead of 30: more protective.
NARROWER = V1_PRACTICES.replace(
    'recipient = "agent:search"\nchoice = "none"\nretention_days = 30',
    'recipient = "agent:search"\nchoice = "none"\nretention_days = 7',
)
JOINED_UNDER_V1 = at(2026, 11, 10)


def customer_under_v1(**fields: object) -> object:
    return CustomerFactory(date_joined=JOINED_UNDER_V1, **fields)


def coming(days: int = 60) -> datetime.date:
    """A date still ahead whenever the test runs (new versions may not take effect in the
    past, so fixed dates stopped the tests once they were)."""
    return timezone.localdate() + datetime.timedelta(days=days)


def in_force_today(practices: str = WIDER) -> Notice:
    return publish_notice(
        effective=timezone.localdate(),
        text="## Version two",
        practices=practices,
        confirmed_less_protective=True,
    )


# ---------------------------------------------------------------- publishing: P25
def test_p25_a_less_protective_version_is_refused_without_confirmation() -> None:
    with pytest.raises(LessProtectiveUnconfirmed) as refused:
        publish_notice(effective=coming(), text="v2", practices=WIDER)

    assert refused.value.comparison.less_protective
    assert "less protective than version 1 in 1 way(s)" in str(refused.value)
    assert list(Notice.objects.values_list("version", flat=True)) == [1]


def test_p25_a_confirmed_or_more_protective_version_is_published() -> None:
    narrower = publish_notice(effective=coming(), text="v2", practices=NARROWER)
    wider = publish_notice(
        effective=coming(91),
        text="v3",
        practices=WIDER,
        confirmed_less_protective=True,
    )

    assert (narrower.version, wider.version) == (2, 3)


def admin_user() -> object:
    return CustomerFactory(is_staff=True, is_superuser=True)


def publish_in_admin(client: Client, **extra: str) -> object:
    return client.post(
        "/admin/privacy/notice/add/",
        {
            "version": "2",
            "effective": coming().isoformat(),
            "text": "## Version two\n\nWe may now share your orders with an affiliate.",
            "practices": WIDER,
            **extra,
        },
    )


def test_p25_the_admin_refuses_a_less_protective_version_and_shows_the_comparison(
    client: Client,
) -> None:
    client.force_login(admin_user())

    response = publish_in_admin(client)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Version 2 is less protective than version 1 in 1 way(s)" in html
    assert "new use: personalize.recommendations@affiliate (your orders)" in html
    assert "I have read the comparison and publish this less protective version" in html
    assert list(Notice.objects.values_list("version", flat=True)) == [1]
    assert LogEntry.objects.count() == 0


def test_p25_the_admin_publishes_it_once_confirmed_and_logs_the_confirmation(
    client: Client,
) -> None:
    staff = admin_user()
    client.force_login(staff)

    response = publish_in_admin(client, confirm_less_protective="on")

    assert response.status_code == 302
    # The admin's text fields drop the trailing newline; the practices are the same.
    assert Notice.objects.get(version=2).practices == WIDER.strip()
    messages = LogEntry.objects.filter(user=staff).values_list("change_message", flat=True)
    assert sorted(messages) == [
        (
            "Confirmed publishing v2, less protective than v1: "
            "new use personalize.recommendations@affiliate."
        ),
        '[{"added": {}}]',
    ]


def test_a_notice_in_force_is_read_only_in_the_admin(client: Client) -> None:
    client.force_login(admin_user())

    page = client.get(f"/admin/privacy/notice/{Notice.objects.get().pk}/change/")

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert (
        client.post(
            f"/admin/privacy/notice/{Notice.objects.get().pk}/change/", {"text": "changed"}
        ).status_code
        == 403
    )


def test_invalid_practices_are_reported_on_the_form_not_as_an_error(client: Client) -> None:
    client.force_login(admin_user())

    response = publish_in_admin(client, practices="[[allow]]\n")

    assert response.status_code == 200
    assert "must be a non-empty list of data categories" in response.content.decode()


# ---------------------------------------------------------------- asking the customers
def test_p25_customers_with_data_under_the_older_version_are_asked() -> None:
    before = customer_under_v1()
    v2 = in_force_today()
    after = CustomerFactory(date_joined=timezone.now())

    assert notice_awaiting_answer(subject=before) == v2
    assert notice_awaiting_answer(subject=after) is None


def test_a_more_protective_version_asks_nobody() -> None:
    customer = customer_under_v1()
    in_force_today(NARROWER)

    assert notice_awaiting_answer(subject=customer) is None


def test_p25_the_next_visit_shows_a_message_linking_to_the_consent_page(client: Client) -> None:
    customer = customer_under_v1()
    in_force_today()
    client.force_login(customer)

    first = client.get("/privacy/cookies/").content.decode()
    again = client.get("/privacy/cookies/").content.decode()

    assert "Our privacy notice changed (version 2)" in first
    assert '<a href="/privacy/consent/?from=%2Fprivacy%2Fcookies%2F">' in first
    # Asked once a day, not on every page.
    assert "Our privacy notice changed" not in again


def test_p25_accepting_records_consent_from_the_page_it_was_asked_on(client: Client) -> None:
    customer = customer_under_v1()
    v2 = in_force_today()
    client.force_login(customer)
    page = client.get("/privacy/consent/", {"from": "/privacy/cookies/"})
    assert "new use" in page.content.decode()
    assert 'name="from" value="/privacy/cookies/"' in page.content.decode()

    response = client.post(
        "/privacy/consent/", {"answer": "accept", "version": "2", "from": "/privacy/cookies/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/privacy/cookies/"
    event = ConsentEvent.objects.get()
    assert (event.subject, event.kind, event.notice, event.method, event.page) == (
        customer,
        "given",
        v2,
        "page",
        "/privacy/cookies/",
    )
    assert notice_awaiting_answer(subject=customer) is None
    # P25: the consent lets v2's new use reach the order history collected under v1.
    assert may_use(
        subject=customer,
        data_category="user.behavior.purchase_history",
        purpose="personalize.recommendations",
        recipient="affiliate",
        collected_at=JOINED_UNDER_V1,
    ).allowed


def test_p25_declining_keeps_the_older_data_under_the_older_rules(client: Client) -> None:
    customer = customer_under_v1()
    in_force_today()
    client.force_login(customer)

    client.post("/privacy/consent/", {"answer": "decline", "version": "2"})

    assert ConsentEvent.objects.get().kind == "withdrawn"
    assert notice_awaiting_answer(subject=customer) is None
    assert not may_use(
        subject=customer,
        data_category="user.behavior.purchase_history",
        purpose="personalize.recommendations",
        recipient="affiliate",
        collected_at=JOINED_UNDER_V1,
    ).allowed


def test_bad_answers_change_nothing(client: Client) -> None:
    customer = customer_under_v1()
    in_force_today()
    client.force_login(customer)

    for data in (
        {"answer": "maybe", "version": "2"},
        {"answer": "accept", "version": "1"},
        {"answer": "accept"},
    ):
        response = client.post("/privacy/consent/", data)
        assert (response.status_code, response["Location"]) == (302, "/privacy/consent/")
    assert ConsentEvent.objects.count() == 0
    offsite = client.post(
        "/privacy/consent/", {"answer": "accept", "version": "2", "from": "https://evil.example/"}
    )
    assert offsite["Location"] == "/privacy/"
    assert ConsentEvent.objects.get().page == "/privacy/consent/"


def test_the_consent_page_needs_a_signed_in_customer(client: Client) -> None:
    response = client.get("/privacy/consent/")

    assert response.status_code == 302
    assert client.post("/privacy/consent/", {"answer": "accept"}).status_code == 302
    assert ConsentEvent.objects.count() == 0


def test_with_nothing_to_answer_the_page_says_so(client: Client) -> None:
    client.force_login(customer_under_v1())

    html = client.get("/privacy/consent/").content.decode()

    assert "There is nothing for you to answer" in html


# ---------------------------------------------------------------- e-mail reminders (P24, P21)
# Sent as a campaign of the notice-reminder kind: tests/marketing/test_notice_reminders.py.
def test_p24_a_reminder_says_what_changed_and_asks_only_those_it_concerns() -> None:
    customer = customer_under_v1()
    v2 = in_force_today()

    reminder = notice_reminder(notice_version=v2.version)

    assert reminder.asks_consent(collected_since=JOINED_UNDER_V1) is True
    assert reminder.text_for(collected_since=timezone.now()) == reminder.text
    assert "/privacy/consent/" in reminder.asking_text
    assert "/privacy/consent/" not in reminder.text
    assert list(list_customers_to_remind(notice_version=v2.version)) == [customer.pk]
    record_notice_reminders(notice_version=v2.version, subject_ids=[customer.pk])
    record_notice_reminders(notice_version=v2.version, subject_ids=[customer.pk])
    assert list(list_customers_to_remind(notice_version=v2.version)) == []
    assert NoticeReminder.objects.filter(subject=customer, notice=v2).count() == 1


def test_a_reminder_of_an_unknown_version_is_refused() -> None:
    with pytest.raises(Notice.DoesNotExist):
        notice_reminder(notice_version=9)
    with pytest.raises(Notice.DoesNotExist):
        list_customers_to_remind(notice_version=9)
    assert NoticeReminder.objects.count() == 0


def test_the_service_validates_before_comparing() -> None:
    with pytest.raises(ValidationError):
        publish_notice(effective=datetime.date(2020, 1, 1), text="v2", practices=V1_PRACTICES)
    assert Notice.objects.count() == 1
