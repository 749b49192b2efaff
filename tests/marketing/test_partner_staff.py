"""P14: the staff pages of partners and their offers, for the Marketing role only, like the
campaign pages; bad input gets a 400 with the reason."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bungu.marketing.models import Campaign, CampaignKind, Partner, PartnerOffer
from tests.accounts.factories import CustomerFactory
from tests.backoffice.factories import staff_member

from .factories import PartnerFactory, make_offer

pytestmark = pytest.mark.django_db


def _offer_form(**changes: str) -> dict[str, str]:
    today = timezone.localdate()
    form = {
        "title": "Washi week",
        "subject": "Washi for {{ name }}",
        "text": "Hello {{ name }},\n\nKami Paper gives you 10% off.",
        "valid_from": today.isoformat(),
        "valid_until": (today + datetime.timedelta(days=14)).isoformat(),
        "segment": "never_ordered",
        "segment_argument": "",
    }
    form.update(changes)
    return form


def test_partner_pages_are_for_the_marketing_role_only(client: Any) -> None:
    partner = PartnerFactory()
    urls = [reverse("marketing:partners"), reverse("marketing:partner", args=[partner.pk])]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    client.force_login(CustomerFactory())
    assert [client.get(url).status_code for url in urls] == [404, 404]
    client.force_login(staff_member("Fulfilment"))
    assert [client.get(url).status_code for url in urls] == [403, 403]
    response = client.post(reverse("marketing:partners"), {"name": "X", "notice_version": "1"})
    assert response.status_code == 403
    assert not Partner.objects.filter(name="X").exists()


def test_staff_record_a_partner_and_refuse_a_bad_one(client: Any, marketer: Any) -> None:
    response = client.post(
        reverse("marketing:partners"),
        {"name": "Kami Paper", "contact": "ops@kami.example", "notice_version": "1"},
    )
    partner = Partner.objects.get(name="Kami Paper")
    assert response.status_code == 302
    assert response["Location"] == reverse("marketing:partner", args=[partner.pk])
    for data, reason in (
        ({"name": "Kami Paper", "notice_version": "1"}, "on record already"),
        ({"name": "{{ name }} Ltd", "notice_version": "1"}, "without braces"),
        ({"name": "Ink Co", "notice_version": "zero"}, "Enter a whole number"),
    ):
        response = client.post(reverse("marketing:partners"), data)
        assert response.status_code == 400
        assert reason in response.content.decode()
    assert Partner.objects.count() == 1


def test_an_offer_is_written_as_a_draft_campaign_of_the_shop(client: Any, marketer: Any) -> None:
    partner = PartnerFactory()
    response = client.post(reverse("marketing:offer_new", args=[partner.pk]), _offer_form())
    offer = PartnerOffer.objects.get(partner=partner)
    assert response.status_code == 302
    assert response["Location"] == reverse("marketing:campaign", args=[offer.campaign_id])
    campaign = Campaign.objects.get(pk=offer.campaign_id)
    assert campaign.kind == CampaignKind.PARTNER_OFFER
    assert campaign.state == "draft"
    assert f"This offer is from {partner.name}" in campaign.body
    # The campaign page shows it, for preview and sending.
    assert client.get(response["Location"]).status_code == 200


def test_bad_offers_are_refused_with_the_reason(client: Any, marketer: Any) -> None:
    partner = PartnerFactory()
    today = timezone.localdate()
    url = reverse("marketing:offer_new", args=[partner.pk])
    for changes, reason in (
        (
            {
                "valid_until": (today - datetime.timedelta(days=2)).isoformat(),
                "valid_from": (today - datetime.timedelta(days=9)).isoformat(),
            },
            "ended already",
        ),
        ({"valid_from": (today + datetime.timedelta(days=30)).isoformat()}, "ends before"),
        ({"text": "Hi {{ address }}"}, "Unknown placeholder"),
        ({"segment": "nobody"}, "Select a valid choice"),
        ({"valid_from": "31/31/2026"}, "Enter a valid date"),
    ):
        response = client.post(url, _offer_form(**changes))
        assert response.status_code == 400, changes
        assert reason in response.content.decode(), changes
    partner.active = False
    partner.save()
    response = client.post(url, _offer_form())
    assert response.status_code == 400
    assert "is stopped" in response.content.decode()
    assert PartnerOffer.objects.count() == 0
    assert Campaign.objects.count() == 0


def test_staff_give_a_link_that_works_and_withdraw_every_link(client: Any, marketer: Any) -> None:
    partner = PartnerFactory()
    make_offer(partner)
    response = client.post(reverse("marketing:partner_link", args=[partner.pk]), {"days": "7"})
    assert response.status_code == 200
    link = re.search(r"<code>(http[^<]+)</code>", response.content.decode()).group(1)
    path = link.split("testserver", 1)[1]
    assert Client().get(path).status_code == 200
    assert (
        client.post(reverse("marketing:partner_link", args=[partner.pk]), {"days": "91"})
    ).status_code == 400

    client.post(reverse("marketing:partner_revoke", args=[partner.pk]))
    assert Client().get(path).status_code == 403


def test_staff_see_exact_counts_beside_the_partners_report(client: Any, marketer: Any) -> None:
    partner = PartnerFactory()
    make_offer(partner, title="Washi week")
    page = client.get(reverse("marketing:partner", args=[partner.pk])).content.decode()
    assert "Washi week" in page
    assert "<td>0</td>" in page
    assert "fewer than 10" in page


def test_staff_stop_and_start_a_partner(client: Any, marketer: Any) -> None:
    partner = PartnerFactory()
    client.post(reverse("marketing:partner_active", args=[partner.pk]), {"active": "0"})
    partner.refresh_from_db()
    assert partner.active is False
    client.post(reverse("marketing:partner_active", args=[partner.pk]), {"active": "1"})
    partner.refresh_from_db()
    assert partner.active is True


def test_the_preview_of_an_offer_shows_where_the_code_goes(client: Any, marketer: Any) -> None:
    CustomerFactory(name="Hana")
    offer = make_offer()
    page = client.get(reverse("marketing:campaign", args=[offer.campaign_id])).content.decode()
    assert "Your offer code: <strong>XXXX-XXXX-XXXX (each customer&#x27;s own)</strong>" in page
