"""A campaign message written directly (``wire.py``) reads, header by header and part by
part, as the one Django's email package builds; what it cannot write simply, it leaves to
the email package."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from django.core.mail import EmailMultiAlternatives

from bungu.mail.kinds import Category
from bungu.mail.tokens import read_unsubscribe_token, unsubscribe_url, unsubscribe_urls
from bungu.marketing import services
from bungu.marketing.runner import send_due_campaigns
from bungu.marketing.wire import Wire
from tests.accounts.factories import CustomerFactory

from .factories import CampaignFactory

SENDER = "Bungu Pens & Ink <shop@bungu.test>"
LINK = "https://shop.example/mail/unsubscribe/eyJ1IjoxfQ:1t:abc-_/"
HEADERS = ["From", "To", "Subject", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post"]


def _both(*, sender: str = SENDER, to: str, subject: str, text: str, html: str):  # type: ignore[no-untyped-def]
    wire = Wire.for_sender(sender)
    data = wire.message(
        to=to,
        subject=subject,
        message_id="<campaign1.recipient2.bungu@bungu.test>",
        list_unsubscribe=f"<{LINK}>",
        text=text,
        html=html,
    )
    assert data is not None
    django = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=sender,
        to=[to],
        headers={
            "Message-ID": "<campaign1.recipient2.bungu@bungu.test>",
            "List-Unsubscribe": f"<{LINK}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    django.attach_alternative(html, "text/html")
    theirs = message_from_bytes(django.message().as_bytes(linesep="\r\n"), policy=policy.default)
    return data, message_from_bytes(data, policy=policy.default), theirs


def _parts(message):  # type: ignore[no-untyped-def]
    return [
        (part.get_content_type(), part.get_content_charset(), part.get_content().replace("\r", ""))
        for part in message.iter_parts()
    ]


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("New inks for Hana", "Dear Hana,\n\nThe autumn inks are in.\n"),
        ("Nouvelles encres pour Kévin", "Cher Kévin,\n\nLes encres sont là.\n"),
        ("渡辺さんへ: 新しいインク", "渡辺さん\n\n秋のインクが入荷しました。\n"),
        (("A subject " + "long " * 30).strip(), "A line starting with a dot:\n.\nand more\n"),
        ("=?utf-8?q?not_an_encoded_word?=", "Tom & 'Jerry' <b>\n"),
    ],
)
def test_a_written_message_reads_as_the_one_django_builds(subject: str, text: str) -> None:
    html = f"<p>{text}</p><img src='x' alt=''>"

    data, ours, theirs = _both(to="hana@example.com", subject=subject, text=text, html=html)

    for name in HEADERS:
        assert str(ours[name]) == str(theirs[name]), name
    assert ours.get_content_type() == "multipart/alternative"
    assert _parts(ours) == _parts(theirs)
    assert ours["Date"] is not None
    assert ours.defects == []
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    assert b"\n" not in data.replace(b"\r\n", b"")


@pytest.mark.parametrize(
    ("to", "text"),
    [
        ("ké@example.com", "Hello"),  # a non-ASCII address: the email package's business
        ("hana@example.com", "x" * 1200),  # a line longer than 998 bytes: quoted-printable
        ("a@example.com>, b@example.com", "Hello"),  # never two recipients in one To
    ],
)
def test_what_is_not_simple_is_left_to_the_email_package(to: str, text: str) -> None:
    wire = Wire.for_sender(SENDER)

    assert (
        wire.message(
            to=to,
            subject="Hello",
            message_id="<m@bungu.test>",
            list_unsubscribe=f"<{LINK}>",
            text=text,
            html="<p>Hello</p>",
        )
        is None
    )


def test_a_part_holding_the_boundary_is_left_to_the_email_package() -> None:
    wire = Wire.for_sender(SENDER)

    assert (
        wire.message(
            to="hana@example.com",
            subject="Hello",
            message_id="<m@bungu.test>",
            list_unsubscribe=f"<{LINK}>",
            text=f"--{wire.boundary}--",
            html="<p>Hello</p>",
        )
        is None
    )


@pytest.mark.django_db
def test_a_campaign_whose_lines_are_too_long_for_8bit_still_goes_through_the_email_package(
    smtp_server,
) -> None:
    CustomerFactory(email="hana@example.com", name="Hana")
    long_line = "Ink " * 300  # 1,200 characters on one line
    campaign = CampaignFactory(body=f"Dear {{{{ name }}}},\n\n{long_line}")
    services.start_campaign(campaign_id=campaign.pk)

    send_due_campaigns()

    (mail,) = smtp_server.messages
    assert mail.rcpt_tos == ["hana@example.com"]
    assert long_line.strip() in mail.text
    assert "Dear Hana," in mail.text


@pytest.mark.django_db
def test_unsubscribe_links_made_for_a_batch_are_the_ones_made_one_by_one() -> None:
    links = unsubscribe_urls(user_ids=[7, 8], category=Category.MARKETING)

    single = unsubscribe_url(user_id=7, category=Category.MARKETING)
    prefix = single[: single.index("/unsubscribe/") + len("/unsubscribe/")]
    for user_id, link in links.items():
        assert link.startswith(prefix)
        token = link[len(prefix) :].rstrip("/")
        assert read_unsubscribe_token(token) == (user_id, Category.MARKETING)
