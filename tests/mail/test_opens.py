"""P7: e-mail open confirmations, only with the customer's choice, never taken as consent."""

from __future__ import annotations

import datetime
import io
import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from bungu import privacy
from bungu.mail import opens, services
from bungu.mail.models import MailPreferences, OpenTracking, OutboxMessage, State
from bungu.mail.tasks import deliver_message
from bungu.privacy.models import ConsentEvent, Notice
from tests.accounts.factories import CustomerFactory
from tests.privacy.factories import V1_PRACTICES

pytestmark = pytest.mark.django_db

IMAGE = re.compile(r"https?://[^\"'\s>]*/mail/open/([^\"'\s>/]*)\.gif")
PERSON = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Thunderbird"


def image_tokens(html: str) -> list[str]:
    """Every tracking image in an HTML part (the detector the tests below rely on)."""
    return IMAGE.findall(html)


def send_newsletter(customer, *, kind: str = "marketing", capture) -> OutboxMessage:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        message = services.send_mail_to(
            user=customer,
            kind=kind,
            subject="New inks",
            template="mail_tests/hello",
            context={"name": "Ann"},
        )
    message.refresh_from_db()
    return message


def delivered_long_ago(message: OutboxMessage) -> None:
    """Out of the window in which a fetch counts as a proxy's pre-fetch."""
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now() - timedelta(hours=2))


def fetch(client: Client, token: str, **headers: str):  # type: ignore[no-untyped-def]
    return client.get(f"/mail/open/{token}.gif", headers={"User-Agent": PERSON, **headers})


@pytest.fixture
def delivered(smtp_server, mail_templates, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """A newsletter delivered to a customer who made no choice (v1's default: recorded)."""
    customer = CustomerFactory(email="ann@example.com")
    message = send_newsletter(customer, capture=django_capture_on_commit_callbacks)
    delivered_long_ago(message)
    return customer, message


# ---------------------------------------------------------------- the image
def test_p7_the_image_carries_an_hmac_of_the_message_id_and_nothing_about_the_customer(
    smtp_server, delivered
) -> None:
    customer, message = delivered

    received = smtp_server.last
    (token,) = image_tokens(received.html)
    assert token == opens.tracking_token(message.message_id)
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    url = re.search(r'src="([^"]*/mail/open/[^"]*)"', received.html)
    assert url is not None
    assert url.group(1) == f"http://127.0.0.1:8000/mail/open/{token}.gif"
    for clear in (customer.email, "ann", message.message_id.strip("<>").split("@")[0]):
        assert clear not in url.group(1)
    assert f"/{customer.pk}/" not in url.group(1)
    assert image_tokens(received.text) == []  # plain text never carries one
    assert OpenTracking.objects.get().token == token


def test_p7_no_image_once_the_customer_turned_recording_off(
    smtp_server, mail_templates, django_capture_on_commit_callbacks
) -> None:
    customer = CustomerFactory()
    privacy.set_open_recording(subject=customer, allowed=False, method="form")

    message = send_newsletter(customer, capture=django_capture_on_commit_callbacks)

    assert message.state == State.SENT
    assert "Pens &amp; Ink" in smtp_server.last.html
    assert image_tokens(smtp_server.last.html) == []
    assert OpenTracking.objects.count() == 0


def test_p7_planted_an_image_added_without_the_choice_is_caught(
    smtp_server, mail_templates, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    """Positive control: with the choice ignored (the violation), the detector above finds
    the image that the test before expects never to find."""
    customer = CustomerFactory()
    privacy.set_open_recording(subject=customer, allowed=False, method="form")
    monkeypatch.setattr(opens, "open_tracking_refusal", lambda **_: None)

    send_newsletter(customer, capture=django_capture_on_commit_callbacks)

    assert len(image_tokens(smtp_server.last.html)) == 1


def test_p7_a_choice_made_after_queueing_is_read_at_delivery(smtp_server, mail_templates) -> None:
    customer = CustomerFactory()
    message = services.send_mail_to(
        user=customer, kind="marketing", subject="Ink", template="mail_tests/hello"
    )
    privacy.set_open_recording(subject=customer, allowed=False, method="form")

    deliver_message.call(message.pk)

    assert smtp_server.last["Subject"] == "Ink"
    assert image_tokens(smtp_server.last.html) == []


def test_p7_a_gpc_signal_means_off_until_the_customer_turns_it_on_again(
    smtp_server, mail_templates, django_capture_on_commit_callbacks
) -> None:
    customer = CustomerFactory()
    privacy.record_gpc_signal(subject=customer, at=timezone.now() - timedelta(minutes=5))

    send_newsletter(customer, capture=django_capture_on_commit_callbacks)
    assert image_tokens(smtp_server.last.html) == []

    privacy.set_open_recording(subject=customer, allowed=True, method="form")
    send_newsletter(customer, capture=django_capture_on_commit_callbacks)
    assert len(image_tokens(smtp_server.last.html)) == 1


@pytest.mark.parametrize("kind", ["transactional", "order.shipped", "account.verify"])
def test_p7_mail_whose_notice_practice_records_no_opens_carries_no_image(
    smtp_server, mail_templates, django_capture_on_commit_callbacks, kind
) -> None:
    customer = CustomerFactory()

    send_newsletter(customer, kind=kind, capture=django_capture_on_commit_callbacks)

    assert "Pens &amp; Ink" in smtp_server.last.html
    assert image_tokens(smtp_server.last.html) == []


def test_p7_a_guest_never_gets_an_image(smtp_server) -> None:
    services.queue_message(
        to="guest@example.com",
        kind="transactional",
        subject="Your order",
        text_body="Thanks",
        html_body="<p>Thanks</p>",
    )
    deliver_message.call(OutboxMessage.objects.get().pk)

    assert image_tokens(smtp_server.last.html) == []


def test_p7_p25_a_notice_that_drops_open_tracking_turns_the_default_off(
    smtp_server, mail_templates, django_capture_on_commit_callbacks
) -> None:
    customer = CustomerFactory(date_joined=timezone.now() - timedelta(days=3))
    Notice.objects.create(
        version=2,
        effective=timezone.localdate(),
        text="v2",
        practices=V1_PRACTICES.replace("open_tracking = true", "open_tracking = false"),
    )

    send_newsletter(customer, capture=django_capture_on_commit_callbacks)

    assert image_tokens(smtp_server.last.html) == []
    decision = privacy.may_record_opens(
        subject=customer,
        purpose="marketing.communications.email",
        collected_at=customer.date_joined,
    )
    assert (decision.allowed, decision.reason) == (
        False,
        "The notice that binds your address does not record opens.",
    )


def test_p7_no_click_tracking_links_go_out_as_written(smtp_server, delivered) -> None:
    _, message = delivered
    links = re.findall(r'href="([^"]+)"', message.html_body)

    assert re.findall(r'href="([^"]+)"', smtp_server.last.html) == links
    # The only change at delivery is the image, added before </body>.
    without_image = re.sub(r"<img [^>]*/mail/open/[^>]*>", "", smtp_server.last.html)
    assert without_image.replace("\r\n", "\n").strip() == message.html_body.strip()


# ---------------------------------------------------------------- the open
def test_p7_opens_are_counted_first_and_later_with_no_cookie_and_no_store(
    client, delivered
) -> None:
    _, message = delivered
    token = opens.tracking_token(message.message_id)

    first = fetch(client, token)
    second = fetch(client, token)

    for response in (first, second):
        assert response.status_code == 200
        assert response["Content-Type"] == "image/gif"
        assert response.content == opens.PIXEL
        assert "no-store" in response["Cache-Control"]
        assert "Set-Cookie" not in response.headers
        assert not response.cookies
    tracked = OpenTracking.objects.get()
    assert (tracked.opens, tracked.proxy_fetches) == (2, 0)
    assert tracked.first_opened_at is not None
    assert tracked.first_opened_at <= tracked.last_opened_at


@pytest.mark.parametrize(
    "token",
    [
        "0" * 64,  # well formed, no such message
        "short",
        "Z" * 64,
        "a" * 5000,
        "%00",
        "../../admin",
    ],
)
def test_p7_forged_or_bad_tokens_answer_404_never_500(client, delivered, token) -> None:
    response = fetch(client, token)

    assert response.status_code == 404
    assert "Set-Cookie" not in response.headers
    assert OpenTracking.objects.get().opens == 0


def test_p7_a_valid_hmac_of_another_message_id_is_not_an_image_of_the_shop(
    client, delivered
) -> None:
    forged = opens.tracking_token("<made-up@bungu.test>")

    assert fetch(client, forged).status_code == 404


def test_p7_only_get_is_answered(client, delivered) -> None:
    _, message = delivered
    token = opens.tracking_token(message.message_id)

    assert client.post(f"/mail/open/{token}.gif").status_code == 405
    assert OpenTracking.objects.get().opens == 0


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"User-Agent": "Mozilla/5.0 (via ggpht.com GoogleImageProxy)"}, "browser string"),
        ({"User-Agent": "YahooMailProxy; https://help.yahoo.com"}, "browser string"),
        ({"User-Agent": "Mozilla/5.0"}, "Apple Mail Privacy Protection"),
        ({"REMOTE_ADDR": "17.58.100.4"}, "network of a mail privacy proxy"),
        ({"REMOTE_ADDR": "66.249.84.3"}, "network of a mail privacy proxy"),
    ],
)
def test_p7_proxy_prefetches_are_flagged_and_counted_apart(delivered, headers, reason) -> None:
    _, message = delivered
    token = opens.tracking_token(message.message_id)
    client = Client(REMOTE_ADDR=headers.pop("REMOTE_ADDR", "203.0.113.9"))

    assert fetch(client, token, **headers).status_code == 200

    tracked = OpenTracking.objects.get()
    assert (tracked.opens, tracked.proxy_fetches, tracked.first_opened_at) == (0, 1, None)
    assert reason in tracked.last_proxy_reason
    counts = opens.count_opens()
    assert (counts.tracked, counts.opened, counts.proxy_only) == (1, 0, 1)
    assert (counts.opens, counts.proxy_fetches) == (0, 1)


def test_p7_a_fetch_within_seconds_of_delivery_is_taken_for_a_prefetch(
    client, smtp_server, mail_templates, django_capture_on_commit_callbacks
) -> None:
    message = send_newsletter(CustomerFactory(), capture=django_capture_on_commit_callbacks)

    fetch(client, opens.tracking_token(message.message_id))

    tracked = OpenTracking.objects.get()
    assert (tracked.opens, tracked.proxy_fetches) == (0, 1)
    assert tracked.last_proxy_reason == "fetched within 60 s of delivery"
    later = message.sent_at + opens.PREFETCH_WINDOW + timedelta(seconds=1)
    assert opens.proxy_reason(user_agent=PERSON, ip="", sent_at=message.sent_at, now=later) == ""


def test_p7_turning_recording_off_stops_it_at_once(client, delivered) -> None:
    customer, message = delivered
    token = opens.tracking_token(message.message_id)
    fetch(client, token)

    privacy.set_open_recording(subject=customer, allowed=False, method="form")
    response = fetch(client, token)

    assert response.status_code == 200  # the image still shows; nothing is noted
    assert OpenTracking.objects.get().opens == 1


def test_p7_a_fetch_carrying_gpc_records_nothing(client, delivered) -> None:
    _, message = delivered

    fetch(client, opens.tracking_token(message.message_id), **{"Sec-GPC": "1"})

    assert OpenTracking.objects.get().opens == 0


def choices_on_record(customer) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:  # type: ignore[no-untyped-def]
    """The customer's ledger and e-mail preferences, to compare before and after."""
    return (
        list(ConsentEvent.objects.filter(subject=customer).values_list()),
        list(MailPreferences.objects.filter(user=customer).values_list()),
    )


def test_p7_an_open_is_never_taken_as_consent(client, delivered) -> None:
    customer, message = delivered
    privacy.set_open_recording(subject=customer, allowed=True, method="form")
    before = choices_on_record(customer)

    fetch(client, opens.tracking_token(message.message_id))

    assert OpenTracking.objects.get().opens == 1
    assert choices_on_record(customer) == before


def test_p7_planted_an_open_written_as_consent_is_caught(client, delivered, monkeypatch) -> None:
    """Positive control for the comparison above: an open that writes a consent changes it."""
    customer, message = delivered
    before = choices_on_record(customer)
    recording = opens.record_open

    def also_consents(**kwargs):  # type: ignore[no-untyped-def]
        privacy.record_consent(
            subject=customer, method="email", practice="marketing.communications.email@shop"
        )
        return recording(**kwargs)

    monkeypatch.setattr(opens, "record_open", also_consents)
    fetch(client, opens.tracking_token(message.message_id))

    assert choices_on_record(customer) != before


def test_p5_opens_are_erased_by_the_retention_the_data_map_declares(delivered) -> None:
    _, message = delivered
    tracked = OpenTracking.objects.get()
    OpenTracking.objects.filter(pk=tracked.pk).update(added_at=timezone.now() - timedelta(days=181))

    privacy.enforce_retention()

    assert not OpenTracking.objects.exists()
    assert OutboxMessage.objects.filter(pk=message.pk).exists()


def test_p7_the_counts_report_people_and_proxies_apart(delivered) -> None:
    customer, first = delivered
    second = OutboxMessage.objects.create(
        to_address=customer.email,
        recipient=customer,
        kind="marketing",
        from_address="shop@bungu.test",
        subject="x",
        text_body="x",
        message_id="<second@bungu.test>",
        state=State.SENT,
        sent_at=timezone.now() - timedelta(hours=1),
    )
    OpenTracking.objects.create(
        message=second, recipient=customer, token=opens.tracking_token(second.message_id)
    )
    opens.record_open(token=opens.tracking_token(first.message_id), user_agent=PERSON)
    opens.record_open(token=opens.tracking_token(first.message_id), user_agent=PERSON)
    opens.record_open(token=opens.tracking_token(second.message_id), user_agent="Mozilla/5.0")

    counts = opens.count_opens()

    assert counts == opens.OpenCounts(tracked=2, opened=1, proxy_only=1, opens=2, proxy_fetches=1)
    assert counts.open_rate == 0.5
    assert opens.count_opens(since=timezone.now() + timedelta(days=1)).open_rate is None


def test_p7_the_rule_refuses_without_a_notice_in_force_at_collection() -> None:
    customer = CustomerFactory(date_joined=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))

    decision = privacy.may_record_opens(
        subject=customer,
        purpose="marketing.communications.email",
        collected_at=customer.date_joined,
    )

    assert decision.allowed is False


def test_p7_the_report_command_prints_people_and_proxies_apart(delivered) -> None:
    _, message = delivered
    opens.record_open(token=opens.tracking_token(message.message_id), user_agent="Mozilla/5.0")
    out = io.StringIO()

    call_command("open_report", "--days", "7", stdout=out)

    assert "opened by a person: 0 (0.0%)" in out.getvalue()
    assert "fetched only by a mail privacy proxy (unknown whether read): 1" in out.getvalue()
    with pytest.raises(CommandError, match="--days"):
        call_command("open_report", "--days", "0")


def test_p7_p22_the_last_mail_to_a_deleted_account_carries_no_image() -> None:
    customer = CustomerFactory()
    message = OutboxMessage.objects.create(
        to_address=customer.email,
        recipient=customer,
        kind="marketing",
        from_address="shop@bungu.test",
        subject="x",
        text_body="x",
        html_body="<p>x</p>",
        message_id="<last@bungu.test>",
        erase_after_delivery=True,
    )

    assert opens.html_to_send(message) == "<p>x</p>"
    assert not OpenTracking.objects.exists()
