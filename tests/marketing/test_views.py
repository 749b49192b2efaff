"""The staff pages of campaigns: for staff whose role may use data for marketing e-mail;
every form refuses bad input with a 400 and a reason."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from bungu.mail.kinds import Category
from bungu.mail.preferences import set_preferences
from bungu.marketing.models import Campaign, CampaignState
from bungu.marketing.runner import send_due_campaigns
from bungu.privacy.models import AccessLogEntry
from tests.accounts.factories import CustomerFactory
from tests.backoffice.factories import staff_member

from .factories import CampaignFactory

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "Autumn inks",
    "subject": "Autumn inks for {{ name }}",
    "body": "Hello {{ name }},\n\nNew inks.",
    "segment": "never_ordered",
    "segment_argument": "",
    "rate_per_minute": "600",
    "max_consecutive_errors": "5",
}


def test_anonymous_visitors_are_sent_to_the_staff_sign_in(client: Any) -> None:
    response = client.get(reverse("marketing:campaigns"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_customer_gets_a_404(client: Any) -> None:
    client.force_login(CustomerFactory())
    assert client.get(reverse("marketing:campaigns")).status_code == 404


def test_staff_without_a_marketing_role_are_refused_with_the_reason(client: Any) -> None:
    client.force_login(staff_member("Fulfilment"))
    response = client.get(reverse("marketing:campaigns"))
    assert response.status_code == 403
    assert "Marketing role" in response.content.decode()
    response = client.post(reverse("marketing:campaign_new"), GOOD)
    assert response.status_code == 403
    assert not Campaign.objects.exists()


@pytest.mark.usefixtures("marketer")
def test_staff_write_a_campaign_see_the_segment_size_and_a_preview(client: Any) -> None:
    hana = CustomerFactory(name="Hana Sato")
    CustomerFactory()

    response = client.post(reverse("marketing:campaign_new"), GOOD)

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert (campaign.name, campaign.state, campaign.rate_per_minute) == (
        "Autumn inks",
        CampaignState.DRAFT,
        600,
    )
    page = client.get(reverse("marketing:campaign", args=[campaign.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "2 customers" in text
    assert "Autumn inks for Hana Sato" in text
    # The sample customer's name was read for marketing e-mail, and logged.
    assert AccessLogEntry.objects.filter(
        subject_id=hana.pk, purpose__startswith="marketing"
    ).exists()


@pytest.mark.usefixtures("marketer")
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"subject": "Hi {{ password }}"}, "subject", "Unknown placeholder"),
        ({"body": "Hi {{ name }"}, "body", "A placeholder is not closed"),
        ({"segment": "everyone"}, "segment", "Select a valid choice."),
        ({"segment": "bought_in_category"}, "segment_argument", "needs a category"),
        (
            {"segment": "bought_in_category", "segment_argument": "x"},
            "segment_argument",
            "no category",
        ),
        ({"rate_per_minute": "0"}, "rate_per_minute", "greater than or equal to 1"),
        ({"rate_per_minute": "lots"}, "rate_per_minute", "Enter a whole number."),
        ({"max_consecutive_errors": "-1"}, "max_consecutive_errors", "greater than or equal"),
        ({"body": "x" * 20_001}, "body", "at most 20000 characters"),
    ],
)
def test_bad_input_is_a_400_with_the_reason(
    client: Any, change: dict[str, str], field: str, message: str
) -> None:
    response = client.post(reverse("marketing:campaign_new"), GOOD | change)

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not Campaign.objects.exists()


@pytest.mark.usefixtures("marketer")
def test_send_now_shows_progress_then_pause_resume_and_cancel(client: Any) -> None:
    CustomerFactory()
    campaign = CampaignFactory()

    response = client.post(reverse("marketing:campaign_send", args=[campaign.pk]))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.SENDING
    send_due_campaigns()  # what the worker's task does (to the outbox: no SMTP here)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DONE
    page = client.get(reverse("marketing:campaign", args=[campaign.pk])).content.decode()
    assert "<td>1</td><td>0</td><td>0</td><td>0</td><td>1</td>" in page

    # A done campaign cannot be paused, resumed or cancelled: 400 with the reason.
    for action in ("pause", "resume", "cancel", "send"):
        response = client.post(reverse(f"marketing:campaign_{action}", args=[campaign.pk]))
        assert response.status_code == 400
        assert "A done campaign cannot be" in response.content.decode()


@pytest.mark.usefixtures("marketer")
def test_pause_resume_and_cancel_move_a_sending_campaign(client: Any) -> None:
    campaign = CampaignFactory(state=CampaignState.SENDING, started_at=timezone.now())

    assert client.post(reverse("marketing:campaign_pause", args=[campaign.pk])).status_code == 302
    campaign.refresh_from_db()
    assert (campaign.state, campaign.pause_reason) == (CampaignState.PAUSED, "Paused by staff.")
    assert client.post(reverse("marketing:campaign_resume", args=[campaign.pk])).status_code == 302
    campaign.refresh_from_db()
    assert campaign.state in {CampaignState.SENDING, CampaignState.DONE}
    assert client.post(reverse("marketing:campaign_cancel", args=[campaign.pk])).status_code in {
        302,
        400,
    }


@pytest.mark.usefixtures("marketer")
def test_scheduling_wants_a_time_in_the_future(client: Any) -> None:
    campaign = CampaignFactory()
    url = reverse("marketing:campaign_schedule", args=[campaign.pk])

    for bad in ("", "tomorrow-ish", "2020-01-01T10:00"):
        response = client.post(url, {"send_at": bad})
        assert response.status_code == 400
    assert "Choose a time in the future" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DRAFT

    later = timezone.localtime() + datetime.timedelta(days=1)
    response = client.post(url, {"send_at": later.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.SCHEDULED


@pytest.mark.usefixtures("marketer")
def test_editing_a_draft_and_refusing_to_edit_a_sent_one(client: Any) -> None:
    campaign = CampaignFactory()
    url = reverse("marketing:campaign_edit", args=[campaign.pk])

    assert client.post(url, GOOD | {"subject": "Changed"}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.subject == "Changed"
    assert client.post(url, GOOD | {"subject": "{{ nope }}"}).status_code == 400

    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.DONE)
    response = client.post(url, GOOD | {"subject": "Again"}, follow=True)
    assert "can no longer be changed" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.subject == "Changed"


@pytest.mark.usefixtures("marketer")
def test_bad_preview_sample_and_unknown_campaigns(client: Any) -> None:
    campaign = CampaignFactory()
    url = reverse("marketing:campaign", args=[campaign.pk])

    assert client.get(url, {"sample": "abc"}).status_code == 400
    assert client.get(url, {"sample": "-4"}).status_code == 400
    response = client.get(url, {"sample": "999999"})
    assert response.status_code == 200
    assert "is not in the segment" in response.content.decode()
    assert client.get(reverse("marketing:campaign", args=[999999])).status_code == 404
    assert client.post(reverse("marketing:campaign_send", args=[999999])).status_code == 404
    assert client.get(reverse("marketing:campaign_send", args=[campaign.pk])).status_code == 405


@pytest.mark.usefixtures("marketer")
def test_the_preview_withholds_the_name_of_a_customer_who_opted_out(client: Any) -> None:
    customer = CustomerFactory(name="Private Person")
    set_preferences(user=customer, choices={Category.MARKETING: False}, method="form")
    campaign = CampaignFactory()

    response = client.get(reverse("marketing:campaign", args=[campaign.pk]))

    assert response.status_code == 200
    text = response.content.decode()
    assert "Private Person" not in text
    assert "name withheld" in text
