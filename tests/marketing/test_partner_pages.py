"""P14: the partner's pages, reached by a signed link: the report, its CSV, and sending back
redeemed codes. Nothing a partner can see or download carries a customer's name, address,
e-mail address or phone number: a planted customer is searched for in every one of them."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bungu.accounts.models import Profile
from bungu.mail.models import OpenTracking, OutboxMessage
from bungu.marketing import offer_codes, partners, services
from bungu.marketing.models import CampaignRecipient, OfferCode, PartnerOffer
from bungu.marketing.partner_access import SALT, make_link_token
from bungu.marketing.partner_report import offer_counts
from bungu.marketing.redemptions import MAX_UPLOAD_BYTES
from bungu.marketing.runner import send_due_campaigns
from tests.accounts.factories import AddressFactory, CustomerFactory

from .factories import PartnerFactory, make_offer

pytestmark = pytest.mark.django_db

PLANTED = {
    "name": "Zephyrine Quillfeather",
    "email": "zephyrine.plant@example.org",
    "street": "77 Inkwell Lane",
    "city": "Penhaligon",
    "postal code": "94999",
    "phone": "+1 415 555 0199",
}


def leaks(text: str) -> list[str]:
    """Which planted values appear in a page or file (also in part: the surname, the address's
    local part, the phone's digits)."""
    lowered = text.lower()
    digits = re.sub(r"\D", "", text)
    found = [what for what, value in PLANTED.items() if value.lower() in lowered]
    for what, piece in (
        ("surname", "quillfeather"),
        ("e-mail local part", "zephyrine.plant"),
        ("street", "inkwell"),
    ):
        if piece in lowered:
            found.append(what)
    if re.sub(r"\D", "", PLANTED["phone"])[1:] in digits:
        found.append("phone digits")
    return found


def everything(response: Any) -> str:
    """A response as the partner receives it: status, headers and body."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    headers = "\n".join(f"{name}: {value}" for name, value in response.items())
    return f"{response.status_code}\n{headers}\n\n{content.decode('utf-8', 'replace')}"


def link(partner: Any, name: str = "report", **kwargs: Any) -> str:
    token = kwargs.pop("token", None) or make_link_token(partner, days=7)
    return reverse(f"partners:{name}", kwargs={"token": token})


@pytest.fixture
def planted(smtp_server: Any) -> dict[str, Any]:
    """A planted customer and eleven others sent an offer; the planted one opened it and
    redeemed the code; their address and phone are on record."""
    customer = CustomerFactory(name=PLANTED["name"], email=PLANTED["email"])
    Profile.objects.update_or_create(user=customer, defaults={"phone": PLANTED["phone"]})
    AddressFactory(
        customer=customer,
        recipient=PLANTED["name"],
        line1=PLANTED["street"],
        city=PLANTED["city"],
        postal_code=PLANTED["postal code"],
        phone=PLANTED["phone"],
    )
    for _ in range(11):
        CustomerFactory()
    partner = PartnerFactory(name="Kami Paper Co.")
    offer = make_offer(partner)
    services.start_campaign(campaign_id=offer.campaign_id)
    send_due_campaigns()
    row = CampaignRecipient.objects.get(campaign_id=offer.campaign_id, customer=customer)
    code = OfferCode.objects.get(recipient=row).code
    # Their open, recorded as the mail app records one (P7).
    message = OutboxMessage.objects.create(
        to_address=customer.email,
        recipient=customer,
        kind="marketing.campaign",
        from_address="shop@bungu.test",
        subject="An offer for " + PLANTED["name"],
        text_body="",
        message_id=row.tracking_key(domain="bungu.test"),
        state="sent",
        sent_at=timezone.now(),
    )
    OpenTracking.objects.create(
        message=message,
        recipient=customer,
        token="f" * 64,
        first_opened_at=timezone.now(),
        opens=1,
    )
    return {"customer": customer, "partner": partner, "offer": offer, "code": code}


def test_no_partner_facing_page_or_file_carries_the_planted_customer(planted: Any) -> None:
    partner, code = planted["partner"], planted["code"]
    client = Client()
    token = make_link_token(partner, days=7)
    pages = {
        "report": client.get(link(partner, token=token)),
        "csv": client.get(link(partner, "report_csv", token=token)),
        "upload result": client.post(
            link(partner, "redemptions", token=token),
            {"codes_text": f"{offer_codes.display(code)}\nNOTACODE\n{code}\nZZZZZZZZZZZZ\n"},
        ),
        "upload again": client.post(
            link(partner, "redemptions", token=token), {"codes_text": code}
        ),
        "empty upload": client.post(link(partner, "redemptions", token=token), {}),
        "binary upload": client.post(
            link(partner, "redemptions", token=token),
            {"codes_file": _file(b"\x89PNG\r\n\x1a\n\x00\x00" + PLANTED["email"].encode())},
        ),
        "expired link": client.get(
            link(
                partner,
                token=make_link_token(
                    partner, days=1, now=timezone.now() - datetime.timedelta(days=2)
                ),
            )
        ),
        "forged link": client.get(link(partner, token=token[:-3] + "abc")),
        "wrong method": client.get(link(partner, "redemptions", token=token)),
        "no such page": client.get(link(partner, token=token) + "nothing-here/"),
        "csrf refused": Client(enforce_csrf_checks=True).post(
            link(partner, "redemptions", token=token), {"codes_text": code}
        ),
    }
    statuses = {name: response.status_code for name, response in pages.items()}
    assert statuses == {
        "report": 200,
        "csv": 200,
        "upload result": 200,
        "upload again": 200,
        "empty upload": 400,
        "binary upload": 400,
        "expired link": 403,
        "forged link": 403,
        "wrong method": 405,
        "no such page": 404,
        "csrf refused": 403,
    }
    found = {name: leaks(everything(response)) for name, response in pages.items()}
    assert found == {name: [] for name in pages}
    # What the pages do say: the counts (11 others and the planted one sent; one open and one
    # redemption, both under the threshold) and the answer to the list.
    report = everything(pages["report"])
    assert "<td>12</td>" in report
    assert report.count("<td>fewer than 10</td>") == 2
    assert "1 recorded as redeemed" in everything(pages["upload result"])
    assert "1 reported redeemed before" in everything(pages["upload again"])
    assert code not in report + everything(pages["csv"]) + everything(pages["upload result"])


def test_the_search_catches_a_planted_leak_in_a_copy_of_the_report(planted: Any) -> None:
    partner = planted["partner"]
    response = Client().get(link(partner, "report_csv"))
    clean = everything(response)
    assert leaks(clean) == []
    assert leaks(clean + f"\r\nwasabi,{PLANTED['email']}") == ["email", "e-mail local part"]
    assert leaks(clean.replace("washi tape", "washi tape for Quillfeather")) == ["surname"]
    assert leaks(clean + "call 4155550199") == ["phone digits"]
    assert "name" in leaks(clean + PLANTED["name"].upper())
    assert "street" in leaks(clean + "77 INKWELL LANE")


def _file(data: bytes, name: str = "codes.txt") -> Any:
    return SimpleUploadedFile(name, data, content_type="text/plain")


def _post(partner: Any, **data: Any) -> Any:
    return Client().post(link(partner, "redemptions"), data)


def test_bad_lists_are_refused_with_a_reason_and_change_nothing(planted: Any) -> None:
    partner = planted["partner"]
    cases = {
        "empty file": ({"codes_file": _file(b"")}, "The submitted file is empty"),
        "blank lines": ({"codes_file": _file(b"\n  \n\t\n")}, "holds no codes"),
        "huge": ({"codes_file": _file(b"A" * (MAX_UPLOAD_BYTES + 1))}, "larger than 1 MB"),
        "binary": ({"codes_file": _file(b"\x00\x01\x02codes")}, "not a plain text list"),
        "latin-1": ({"codes_file": _file("caf\xe9\n".encode("latin-1"))}, "UTF-8"),
        "both": (
            {"codes_file": _file(b"X"), "codes_text": "Y"},
            "not both",
        ),
        "nothing": ({}, "no codes"),
        "huge paste": ({"codes_text": "A" * (MAX_UPLOAD_BYTES + 1)}, "at most 1000000 characters"),
    }
    for name, (data, reason) in cases.items():
        response = _post(partner, **data)
        assert response.status_code == 400, name
        assert reason in response.content.decode(), name
    # Beyond what the shop reads of any request at all: a 400 too, never a 500.
    too_big = _post(partner, codes_text="A" * (6 * 1024 * 1024))
    assert too_big.status_code == 400
    assert not OfferCode.objects.filter(redeemed_at__isnull=False).exists()


def test_each_line_is_counted_and_only_the_partners_own_live_codes_recorded(
    planted: Any,
) -> None:
    partner = planted["partner"]
    codes = list(OfferCode.objects.order_by("pk").values_list("code", flat=True))
    other_offer = make_offer(PartnerFactory())
    services.start_campaign(campaign_id=other_offer.campaign_id)
    other_rows = CampaignRecipient.objects.filter(campaign_id=other_offer.campaign_id)
    other = offer_codes.issue_codes(
        offer_id=other_offer.pk, recipient_ids=list(other_rows.values_list("pk", flat=True))
    )
    another_partners_code = next(iter(other.values()))
    lines = [
        codes[0],
        offer_codes.display(codes[1]).lower(),
        codes[0],  # repeated
        another_partners_code,  # not this partner's: unknown
        "hello",  # not a code
        "0000-0000-0000",  # unknown
    ]
    response = _post(partner, codes_text="\n".join(lines))

    page = response.content.decode()
    assert response.status_code == 200
    for expected in (
        "6 lines with a code",
        "2 recorded as redeemed",
        "1 repeated in this list",
        "2 unknown",
        "1 not a code",
        "Lines unknown: 4, 6.",
        "Lines not a code: 5.",
    ):
        assert expected in page, expected
    assert another_partners_code not in page
    redeemed = set(
        OfferCode.objects.filter(redeemed_at__isnull=False).values_list("code", flat=True)
    )
    assert redeemed == {codes[0], codes[1]}


def test_codes_reported_too_late_are_counted_as_expired(planted: Any) -> None:
    partner, offer, code = planted["partner"], planted["offer"], planted["code"]
    long_ago = timezone.localdate() - datetime.timedelta(days=15)
    PartnerOffer.objects.filter(pk=offer.pk).update(valid_from=long_ago, valid_until=long_ago)
    response = _post(partner, codes_text=code)
    assert "1 too late" in response.content.decode()
    assert OfferCode.objects.get(code=code).redeemed_at is None


def test_a_partner_sees_its_own_offers_only_and_a_link_altered_to_another_is_refused(
    planted: Any,
) -> None:
    mine = planted["partner"]
    theirs = PartnerFactory(name="Other Ink Ltd")
    make_offer(theirs, title="Their private offer")
    page = Client().get(link(mine)).content.decode()
    assert "10% off washi tape" in page
    assert "Their private offer" not in page
    # One partner's link with the other's payload (its signature kept), or signed with
    # another key: refused, and nothing of the other partner shown.
    mine_token = make_link_token(mine, days=7)
    theirs_token = make_link_token(theirs, days=7)
    spliced = theirs_token.rsplit(":", 1)[0] + ":" + mine_token.rsplit(":", 1)[1]
    own_key = signing.dumps(
        {"p": theirs.pk, "g": 0, "e": int(timezone.now().timestamp()) + 3600},
        salt=SALT,
        key="not the shop's key",
    )
    for forged in (spliced, own_key):
        response = Client().get(link(mine, token=forged))
        assert response.status_code == 403
        page = response.content.decode()
        assert "This link is not valid." in page
        assert "Their private offer" not in page
        assert "Other Ink" not in page
    assert Client().get(link(theirs, token=theirs_token)).status_code == 200


def test_expired_revoked_and_stopped_links_are_refused_with_the_reason(planted: Any) -> None:
    partner = planted["partner"]
    old = make_link_token(
        partner, days=1, now=timezone.now() - datetime.timedelta(days=1, seconds=1)
    )
    response = Client().get(link(partner, token=old))
    assert response.status_code == 403
    assert "expired" in response.content.decode()

    token = make_link_token(partner, days=7)
    partners.revoke_partner_links(partner_id=partner.pk)
    response = Client().get(link(partner, token=token))
    assert response.status_code == 403
    assert "withdrawn" in response.content.decode()

    partner.refresh_from_db()
    token = make_link_token(partner, days=7)
    assert Client().get(link(partner, token=token)).status_code == 200
    partners.set_partner_active(partner_id=partner.pk, active=False)
    response = Client().post(link(partner, "redemptions", token=token), {"codes_text": "x"})
    assert response.status_code == 403
    assert "stopped" in response.content.decode()


def test_partner_pages_are_private_to_the_link(planted: Any) -> None:
    response = Client().get(link(planted["partner"]))
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="referrer" content="no-referrer">' in response.content.decode()
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert not any(name == "sessionid" for name in response.cookies)


def test_opened_counts_the_recorded_opens_of_this_offers_messages_only(planted: Any) -> None:
    offer = planted["offer"]
    # An open of another campaign's message whose number starts with this one's.
    other = OutboxMessage.objects.create(
        to_address="x@example.com",
        kind="marketing.campaign",
        from_address="shop@bungu.test",
        subject="",
        text_body="",
        message_id=f"<campaign{offer.campaign_id}0.recipient1.bungu@bungu.test>",
    )
    OpenTracking.objects.create(
        message=other,
        recipient=planted["customer"],
        token="e" * 64,
        first_opened_at=timezone.now(),
        opens=1,
    )
    (counts,) = offer_counts([offer])
    assert (counts.sent, counts.opened, counts.redeemed) == (12, 1, 0)
