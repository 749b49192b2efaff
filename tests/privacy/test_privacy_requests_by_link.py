"""P26: privacy requests from visitors who are not signed in, verified by a link sent to the
account's e-mail address before anything is recorded."""

from __future__ import annotations

import datetime
import re
import time
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bungu.mail.kinds import Category
from bungu.mail.models import OutboxMessage, State
from bungu.mail.preferences import set_preferences
from bungu.privacy import data_map
from bungu.privacy.datamap.clocks import REQUEST_LINK_VALID_DAYS, due_dates
from bungu.privacy.models import PendingPrivacyRequest, PrivacyRequest, Verification
from bungu.privacy.rights import concerns
from bungu.privacy.views import throttle
from tests.accounts.factories import CustomerFactory
from tests.storefront.html_checks import page_problems

pytestmark = pytest.mark.django_db

FORM = "/privacy/requests/by-email/"
SENT = "/privacy/requests/by-email/sent/"
NEUTRAL = "If that address belongs to an account with us, we have sent a link to it."
LINK = re.compile(r"https?://\S+?(/privacy/requests/confirm/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _outbox(settings) -> None:
    # Django's test runner swaps in its in-memory backend; these mails go to the shop's outbox.
    settings.EMAIL_BACKEND = "bungu.mail.backends.OutboxBackend"


def _ask(client: Client, email: str, kind: str = "access", text: str = "A copy, please.") -> str:
    response = client.post(FORM, {"email": email, "kind": kind, "description": text})
    assert response.status_code == 302
    return str(response["Location"])


def _link_in(message: OutboxMessage) -> str:
    found = LINK.findall(message.text_body)
    assert len(found) == 1
    return str(found[0])


def _nothing_recorded() -> None:
    assert OutboxMessage.objects.count() == 0
    assert PendingPrivacyRequest.objects.count() == 0
    assert PrivacyRequest.objects.count() == 0


# ---------------------------------------------------------------- the happy path
def test_p26_a_request_by_email_link_is_recorded_once_confirmed() -> None:
    customer = CustomerFactory(email="hana@example.com")
    client = Client()
    assert client.get(FORM).status_code == 200

    assert _ask(client, " Hana@Example.com ", "deletion", "Please delete my account.") == SENT
    assert NEUTRAL in client.get(SENT).content.decode()
    message = OutboxMessage.objects.get()
    assert (message.to_address, message.kind, message.state) == (
        "hana@example.com",
        "transactional.privacy_request",
        State.QUEUED,
    )
    assert message.recipient_id == customer.pk
    assert message.subject == f"{settings.BUNGU_SHOP_NAME}: please confirm your privacy request"
    # Only the mailbox's owner reads what was written, on the shop's page: the mail never
    # carries a stranger's words.
    assert "Please delete my account." not in message.text_body
    assert "deleting your account and data" in message.text_body
    assert PrivacyRequest.objects.count() == 0

    link = _link_in(message)
    page = client.get(link)
    assert page.status_code == 200
    assert "Please delete my account." in page.content.decode()
    assert PrivacyRequest.objects.count() == 0

    done = client.post(link)
    assert done.status_code == 200
    assert "Thank you: your request is confirmed" in done.content.decode()
    made = PrivacyRequest.objects.get()
    pending = PendingPrivacyRequest.objects.get()
    assert (made.customer_id, made.kind, made.description, made.status) == (
        customer.pk,
        "deletion",
        "Please delete my account.",
        "received",
    )
    assert made.verified_by == Verification.EMAIL_LINK
    assert pending.request_id == made.pk
    # The clocks run from when the form was sent, not from the click.
    assert made.received_at == pending.submitted_at
    assert (made.confirm_due, made.answer_due) == due_dates(received_at=pending.submitted_at)
    assert f"privacy request #{made.pk}" in done.content.decode()

    signed_in = Client()
    signed_in.force_login(customer)
    detail = signed_in.get(reverse("privacy:request_detail", args=[made.pk]))
    assert "Please delete my account." in detail.content.decode()


def test_p26_the_link_mail_goes_out_even_when_the_customer_stopped_other_mail() -> None:
    customer = CustomerFactory(email="ken@example.com")
    set_preferences(
        user=customer,
        choices={Category.MARKETING: False, Category.OTHER: False, Category.LEGAL: False},
        method="form",
    )
    _ask(Client(), "ken@example.com")
    message = OutboxMessage.objects.get()
    assert (message.state, message.suppressed_reason) == (State.QUEUED, "")
    # A reply to the person's own request: not mail they can unsubscribe from.
    assert "List-Unsubscribe" not in message.headers


# ---------------------------------------------------------------- nothing is revealed
@pytest.mark.parametrize("kind", ["concern", "access", "deletion", "correction", "opt_out"])
def test_p26_an_address_without_an_account_gets_the_same_answer_and_nothing_else(
    kind: str,
) -> None:
    CustomerFactory(email="known@example.com")
    client = Client()
    assert _ask(client, "nobody@example.com", kind, "Where is my data?") == SENT
    assert NEUTRAL in client.get(SENT).content.decode()
    _nothing_recorded()


def test_p26_known_and_unknown_addresses_get_identical_answers() -> None:
    CustomerFactory(email="known@example.com")
    data = {"kind": "access", "description": "A copy, please."}
    known = Client().post(FORM, {**data, "email": "known@example.com"})
    unknown = Client().post(FORM, {**data, "email": "unknown@example.com"})
    assert (known.status_code, known["Location"], known.content) == (
        unknown.status_code,
        unknown["Location"],
        unknown.content,
    )
    assert OutboxMessage.objects.count() == 1


def test_p26_an_inactive_account_is_treated_as_no_account() -> None:
    CustomerFactory(email="gone@example.com", is_active=False)
    assert _ask(Client(), "gone@example.com") == SENT
    _nothing_recorded()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not-an-address", "kind": "access", "description": "Hi"}, "email", "such as"),
        ({"email": "", "kind": "access", "description": "Hi"}, "email", "Enter the e-mail"),
        ({"email": "a@example.com", "kind": "refund", "description": "Hi"}, "kind", "Choose one"),
        ({"email": "a@example.com", "kind": "access", "description": "  "}, "description", "Desc"),
        (
            {"email": "a@example.com", "kind": "access", "description": "x" * 4001},
            "description",
            "4000 characters or fewer",
        ),
    ],
)
def test_p26_bad_input_on_the_public_form_gets_a_clear_error(
    data: dict[str, str], field: str, message: str
) -> None:
    CustomerFactory(email="a@example.com")
    response = Client().post(FORM, data)
    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert len(errors) == 1
    assert message in errors[0]
    _nothing_recorded()


# ---------------------------------------------------------------- the link
def _pending_link(email: str = "mei@example.com") -> str:
    CustomerFactory(email=email)
    _ask(Client(), email)
    return _link_in(OutboxMessage.objects.get(to_address=email))


def test_p26_opening_the_link_changes_nothing() -> None:
    link = _pending_link()
    for _ in range(3):
        assert Client().get(link).status_code == 200
    assert PrivacyRequest.objects.count() == 0
    assert PendingPrivacyRequest.objects.get().request_id is None


def test_p26_a_link_used_twice_records_one_request() -> None:
    link = _pending_link()
    first = Client().post(link)
    second = Client().post(link)
    assert (first.status_code, second.status_code) == (200, 200)
    assert "This request was already confirmed" not in first.content.decode()
    assert "This request was already confirmed" in second.content.decode()
    made = PrivacyRequest.objects.get()
    assert f"privacy request #{made.pk}" in second.content.decode()
    opened_again = Client().get(link)
    assert opened_again.status_code == 200
    assert "This request was already confirmed" in opened_again.content.decode()
    assert PrivacyRequest.objects.count() == 1


def test_p26_each_link_confirms_its_own_request() -> None:
    CustomerFactory(email="mei@example.com")
    client = Client()
    _ask(client, "mei@example.com", "access", "First")
    _ask(client, "mei@example.com", "correction", "Second")
    first, second = (_link_in(m) for m in OutboxMessage.objects.order_by("pk"))
    assert first != second
    Client().post(second)
    assert list(PrivacyRequest.objects.values_list("description", flat=True)) == ["Second"]


def test_p26_an_expired_link_is_refused_with_a_way_to_start_again(monkeypatch) -> None:
    link = _pending_link()
    later = time.time() + REQUEST_LINK_VALID_DAYS * 86400 + 60
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: later))
    for response in (Client().get(link), Client().post(link)):
        page = response.content.decode()
        assert response.status_code == 400
        assert "This link has expired" in page
        assert f"links work for {REQUEST_LINK_VALID_DAYS} days" in page
        assert f'href="{FORM}"' in page
    assert PrivacyRequest.objects.count() == 0


def test_p26_a_link_just_inside_its_lifetime_still_works(monkeypatch) -> None:
    link = _pending_link()
    later = time.time() + REQUEST_LINK_VALID_DAYS * 86400 - 60
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: later))
    assert Client().post(link).status_code == 200
    assert PrivacyRequest.objects.count() == 1


def _tampered(link: str) -> list[str]:
    token = link.removeprefix("/privacy/requests/confirm/").removesuffix("/")
    payload, stamp, signature = token.split(":")
    other = signing.dumps({"p": 1, "n": "x"}, salt="bungu.mail.unsubscribe")
    forged_payload = signing.dumps({"p": 2, "n": "x"}, salt=concerns.LINK_SALT).split(":")[0]
    swapped = "A" if signature[-1] != "A" else "B"
    return [
        f"{payload}:{stamp}:{signature[:-1]}{swapped}",  # one character of the signature
        f"{forged_payload}:{stamp}:{signature}",  # another request's payload, same signature
        f"{payload}:{stamp}",  # cut short
        other,  # another kind of signed link of the shop
        "not-signed",
        "x" * 400,
    ]


def test_p26_a_tampered_link_is_refused_and_records_nothing() -> None:
    link = _pending_link()
    for token in _tampered(link):
        url = reverse("privacy:request_confirm", kwargs={"token": token})
        for response in (Client().get(url), Client().post(url)):
            page = response.content.decode()
            assert response.status_code == 400, token
            assert "This link does not work" in page
            assert f'href="{FORM}"' in page
    assert PrivacyRequest.objects.count() == 0
    # The real link still works afterwards.
    assert Client().post(link).status_code == 200


def test_p26_a_link_whose_request_is_gone_is_refused() -> None:
    link = _pending_link()
    PendingPrivacyRequest.objects.all().delete()
    response = Client().post(link)
    assert response.status_code == 400
    assert "This link no longer names a request." in response.content.decode()
    assert PrivacyRequest.objects.count() == 0


def test_p26_a_well_signed_token_with_a_wrong_payload_is_refused() -> None:
    for payload in ({"p": "1", "n": "x"}, {"n": "x"}, ["p", 1], "text"):
        token = signing.dumps(payload, salt=concerns.LINK_SALT)
        with pytest.raises(concerns.BadRequestLink, match="not complete or has been changed"):
            concerns.open_request_link(token=token)


def test_p26_pending_requests_are_kept_only_as_long_as_their_link() -> None:
    for name in ("kind", "description", "submitted_at"):
        assert (
            data_map.get(f"privacy.PendingPrivacyRequest.{name}").retention_days
            == concerns.LINK_VALID_FOR.days
            == REQUEST_LINK_VALID_DAYS
        )
    assert data_map.retention_of("privacy.PendingPrivacyRequest") is not None


# ---------------------------------------------------------------- CSRF and limits
def test_p26_the_public_form_and_the_confirm_button_need_the_csrf_token() -> None:
    link = _pending_link()
    OutboxMessage.objects.all().delete()
    strict = Client(enforce_csrf_checks=True)
    refused = strict.post(
        FORM, {"email": "mei@example.com", "kind": "access", "description": "Again"}
    )
    assert refused.status_code == 403
    assert strict.post(link).status_code == 403
    assert OutboxMessage.objects.count() == 0
    assert PendingPrivacyRequest.objects.count() == 1
    assert PrivacyRequest.objects.count() == 0
    # The forms carry the token, so a real browser gets through.
    assert 'name="csrfmiddlewaretoken"' in strict.get(FORM).content.decode()
    assert 'name="csrfmiddlewaretoken"' in strict.get(link).content.decode()


def test_p26_one_address_gets_at_most_a_few_links_an_hour() -> None:
    CustomerFactory(email="target@example.com")
    for number in range(throttle.PER_ADDRESS.uses):
        client = Client(REMOTE_ADDR=f"192.0.2.{number + 1}")
        assert _ask(client, "TARGET@example.com") == SENT
    over = Client(REMOTE_ADDR="198.51.100.7").post(
        FORM, {"email": "target@example.com", "kind": "access", "description": "More"}
    )
    assert over.status_code == 429
    # The hour runs from the first link: the seconds it took to send them are gone from it.
    assert 3540 < int(over["Retry-After"]) <= 3600
    assert "Too many requests for now" in over.content.decode()
    assert "try again in 60 minutes" in over.content.decode()
    assert OutboxMessage.objects.count() == throttle.PER_ADDRESS.uses
    assert PendingPrivacyRequest.objects.count() == throttle.PER_ADDRESS.uses
    # Other addresses are not held up by it, and unknown ones are limited the same way.
    assert _ask(Client(REMOTE_ADDR="198.51.100.7"), "other@example.com") == SENT
    for _ in range(throttle.PER_ADDRESS.uses):
        _ask(Client(), "stranger@example.com")
    assert (
        Client()
        .post(FORM, {"email": "stranger@example.com", "kind": "access", "description": "x"})
        .status_code
        == 429
    )


def test_p26_one_visitor_gets_at_most_a_few_tries_an_hour() -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    for number in range(throttle.PER_VISITOR.uses):
        # Bad input counts too: the limit is on posting the form at all.
        data = {"email": f"someone{number}@example.com", "kind": "access", "description": "x"}
        if number % 2:
            data["email"] = "broken"
        assert client.post(FORM, data).status_code in {302, 400}
    over = client.post(FORM, {"email": "late@example.com", "kind": "access", "description": "x"})
    assert over.status_code == 429
    assert (
        Client(REMOTE_ADDR="203.0.113.10")
        .post(FORM, {"email": "late@example.com", "kind": "access", "description": "x"})
        .status_code
        == 302
    )


# ---------------------------------------------------------------- pages, links and staff
def test_p26_the_pages_pass_the_basic_accessibility_checks() -> None:
    link = _pending_link()
    client = Client()
    pages = {
        "form": client.get(FORM),
        "form with errors": client.post(FORM, {"email": "bad"}),
        "sent": client.get(SENT),
        "confirm": client.get(link),
        "confirmed": client.post(link),
        "already confirmed": client.post(link),
        "expired or forged": client.get(
            reverse("privacy:request_confirm", kwargs={"token": "not-signed"})
        ),
    }
    throttled = Client(REMOTE_ADDR="192.0.2.99")
    for _ in range(throttle.PER_VISITOR.uses):
        throttled.post(FORM, {})
    pages["too many"] = throttled.post(FORM, {})
    assert pages["too many"].status_code == 429
    assert {name: page_problems(page.content.decode()) for name, page in pages.items()} == {
        name: [] for name in pages
    }
    # P24: the notice is linked beside the form that collects the address.
    assert 'href="/privacy/"' in pages["form"].content.decode()


def test_p26_the_notice_page_leads_to_the_right_request_form() -> None:
    signed_out = Client().get("/privacy/").content.decode()
    assert f'href="{FORM}"' in signed_out
    customer = CustomerFactory()
    client = Client()
    client.force_login(customer)
    signed_in = client.get("/privacy/").content.decode()
    assert 'href="/privacy/requests/new/"' in signed_in
    assert f'href="{FORM}"' not in signed_in


def test_p26_new_pages_make_few_queries(django_assert_num_queries) -> None:
    link = _pending_link()
    client = Client()
    # The layout's catalogue state and (once cached) menu: 2, then 1 per page.
    with django_assert_num_queries(2):
        client.get(FORM)
    with django_assert_num_queries(1):
        client.get(SENT)
    with django_assert_num_queries(2):
        client.get(link)
    # Savepoint, the locked read, insert the request, link it, release; the layout.
    with django_assert_num_queries(6):
        client.post(link)
    with django_assert_num_queries(4):
        client.post(link)


def test_p26_staff_see_how_a_request_was_verified() -> None:
    link = _pending_link()
    Client().post(link)
    by_link = PrivacyRequest.objects.get()
    signed_in = concerns.submit_privacy_request(
        customer=CustomerFactory(), kind="concern", description="Hm."
    )
    staff = CustomerFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    page = client.get(reverse("admin:privacy_privacyrequest_change", args=[by_link.pk]))
    assert "by a link sent to the account&#x27;s e-mail address" in page.content.decode()
    listing = client.get("/admin/privacy/privacyrequest/?verified_by__exact=email_link")
    assert [item.pk for item in listing.context["cl"].result_list] == [by_link.pk]
    listing = client.get("/admin/privacy/privacyrequest/?verified_by__exact=signed_in")
    assert [item.pk for item in listing.context["cl"].result_list] == [signed_in.pk]


def test_p26_a_link_confirmed_days_later_keeps_the_day_it_was_sent() -> None:
    link = _pending_link()
    earlier = timezone.now() - datetime.timedelta(days=2)
    PendingPrivacyRequest.objects.update(submitted_at=earlier)
    Client().post(link)
    made = PrivacyRequest.objects.get()
    assert made.received_at == earlier
    assert (made.confirm_due, made.answer_due) == due_dates(received_at=earlier)


def test_p26_a_pending_request_is_erased_once_its_link_has_expired() -> None:
    from bungu.privacy import enforce_retention  # noqa: PLC0415 - resolved lazily by the package

    link = _pending_link()
    fresh_link = _pending_link("sora@example.com")
    Client().post(fresh_link)
    sent = PendingPrivacyRequest.objects.get(customer__email="mei@example.com").submitted_at
    enforce_retention(now=sent + datetime.timedelta(days=REQUEST_LINK_VALID_DAYS, seconds=-60))
    assert PendingPrivacyRequest.objects.count() == 2
    enforce_retention(now=sent + datetime.timedelta(days=REQUEST_LINK_VALID_DAYS, seconds=60))
    assert PendingPrivacyRequest.objects.count() == 0
    # The confirmed request itself stays, under its own retention.
    assert PrivacyRequest.objects.count() == 1
    assert Client().post(link).status_code == 400
