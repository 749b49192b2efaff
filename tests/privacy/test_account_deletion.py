"""P22, P19, P20: a customer deletes their account from the account pages; after the grace
period every personal field the data map declares about them is erased by its rule."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from bungu import privacy
from bungu.accounts import services as accounts
from bungu.catalog.models import Product
from bungu.mail import services as mail_services
from bungu.mail.delivery import attempt_delivery
from bungu.mail.models import OutboxMessage, State
from bungu.privacy.datamap.registry import Erase, data_map
from bungu.privacy.datamap.walk import linked_models
from bungu.privacy.models import AccountDeletion, ErasureJournalEntry
from bungu.privacy.rights import deletion as account_deletion
from tests.accounts.factories import PASSWORD, AddressFactory, CustomerFactory
from tests.cart.factories import CartFactory, CartLineFactory
from tests.mail.factories import OutboxMessageFactory
from tests.reviews.factories import approved_review
from tests.storefront.html_checks import page_problems
from tests.wishlists.factories import WishListFactory, WishListItemFactory

pytestmark = pytest.mark.django_db

URL = "/privacy/delete-account/"
CANCEL_URL = "/privacy/delete-account/cancel/"
LATER = datetime.timedelta(days=15)


@pytest.fixture(autouse=True)
def _outbox(settings: Any) -> None:
    """The shop's mail backend, as configured: privacy's mails land in the outbox."""
    settings.EMAIL_BACKEND = "bungu.mail.backends.OutboxBackend"


def _rich_customer(email: str) -> Any:
    """A customer with something in every app that keeps personal data."""
    customer = CustomerFactory(email=email, name="Hana Sato")
    accounts.update_profile(
        user=customer, actor=customer, changes={"phone": "+1 415 555 0100", "name": "Hana S."}
    )
    address = AddressFactory(customer=customer)
    accounts.update_address(address=address, actor=customer, values={"line1": "9 New Street"})
    wish_list = WishListFactory(owner=customer)
    WishListItemFactory(wish_list=wish_list, note="for my birthday")
    CartLineFactory(cart=CartFactory(user=customer))
    OutboxMessageFactory(to_address=email, recipient=customer, subject="Your receipt")
    privacy.record_consent(subject=customer, method=privacy.ConsentMethod.PAGE, page="/privacy/")
    return customer


def test_a_due_deletion_erases_every_personal_field_by_its_rule() -> None:
    customer = _rich_customer("hana@example.com")
    other = _rich_customer("kenji@example.com")
    mine = approved_review(author=customer, rating=1)
    approved_review(author=other, product=mine.product, rating=5)
    assert Product.objects.get(pk=mine.product_id).rating_average == Decimal("3.00")
    account_deletion.request_account_deletion(subject=customer)

    assert account_deletion.run_due_deletions(now=timezone.now() + LATER) == 1

    # The walk of "My data" and the erasure (linked_models) over the whole data map.
    user_model = get_user_model()
    kept_rules = {Erase.KEEP_FOR_LAW}
    for linked in linked_models(data_map, user_model=user_model):
        label, model = linked.model_label, linked.model
        declared = data_map.for_model(label)
        rows = model._base_manager.filter(linked.condition(customer.pk))
        if model is OutboxMessage:
            # P22: the goodbye e-mail, queued after the erasure, is the one row left; its
            # content goes once it is delivered (see the SMTP tests below).
            goodbye = rows.get()
            assert (goodbye.kind, goodbye.erase_after_delivery) == ("account.deletion", True)
            continue
        rules = {item.erase for item in declared}
        if rules == {Erase.DELETE}:
            assert not rows.exists(), f"{label}: rows should be deleted"
            continue
        for row in rows.values(*(item.field_name for item in declared)):
            for item in declared:
                value = row[item.field_name]
                if item.erase in kept_rules or label.startswith("privacy."):
                    continue
                field = model._meta.get_field(item.field_name)
                if item.erase is Erase.ANONYMISE:
                    assert value == f"erased-user-{customer.pk}@erased.invalid", item.label
                elif field.null:
                    assert value is None, item.label
                elif item.field_name == "password":
                    assert str(value).startswith("!"), item.label
                elif item.field_name != "date_joined":
                    assert value in ("", False), item.label
    # Reviews went through their own service: the rating is the other customer's alone.
    assert Product.objects.get(pk=mine.product_id).rating_average == Decimal("5.00")
    # The consent ledger is kept for the law, tied to the anonymised account.
    assert customer.consent_events.count() == 1
    # Prior versions (P20) went with the records.
    assert not customer.prior_versions.exists()
    # Another customer's data is untouched.
    assert privacy.pending_account_deletion(subject=other) is None
    other.refresh_from_db()
    assert (other.email, other.name, other.is_active) == ("kenji@example.com", "Hana S.", True)
    assert other.prior_versions.count() == 2
    assert other.addresses.count() == 1
    assert other.wish_lists.count() == 1
    assert other.outbox_messages.count() == 1
    assert other.reviews.count() == 1
    assert apps.get_model("cart.Cart").objects.filter(user=other).count() == 1


def test_the_journal_holds_no_erased_value() -> None:
    customer = _rich_customer("secret.name@example.com")
    account_deletion.request_account_deletion(subject=customer)

    account_deletion.run_due_deletions(now=timezone.now() + LATER)

    journal = repr(list(ErasureJournalEntry.objects.values()))
    assert "secret.name@example.com" not in journal
    assert "secret.name" not in journal
    assert "Hana" not in journal
    assert "9 New Street" not in journal
    assert "for my birthday" not in journal
    assert set(ErasureJournalEntry.objects.values_list("actor", flat=True)) == {
        account_deletion.JOB_ACTOR
    }
    # Replaying it changes nothing more.
    assert privacy.replay_erasures() == 0


def test_mails_are_sent_on_request_and_when_done(
    smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    customer = CustomerFactory(email="hana@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        deletion = account_deletion.request_account_deletion(subject=customer)
    requested = smtp_server.last
    assert requested.rcpt_tos == ["hana@example.com"]
    assert requested["Subject"] == f"{settings.BUNGU_SHOP_NAME}: your account will be deleted"
    assert f"{timezone.localtime(deletion.due_at):%B %-d, %Y}" in requested.text
    assert "/privacy/delete-account/" in requested.text
    # An ordinary message: the outbox keeps it as sent, address and all (until pruned).
    kept = OutboxMessage.objects.get()
    assert (kept.state, kept.to_address, kept.erase_after_delivery) == (
        State.SENT,
        "hana@example.com",
        False,
    )

    with django_capture_on_commit_callbacks(execute=True):
        account_deletion.run_due_deletions(now=deletion.due_at)

    assert len(smtp_server.messages) == 2
    done = smtp_server.last
    assert done.rcpt_tos == ["hana@example.com"]
    assert done["Subject"] == f"{settings.BUNGU_SHOP_NAME}: your account has been deleted"
    assert "Your Bungu account has been deleted." in done.text.replace("\n", " ")


def _goodbye(customer: Any) -> OutboxMessage:
    return OutboxMessage.objects.get(recipient=customer, kind=account_deletion.MAIL_KIND)


def test_p22_the_goodbye_mail_forgets_its_address_and_text_once_delivered(
    smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    customer = CustomerFactory(email="hana@example.com")
    account_deletion.request_account_deletion(subject=customer)
    with django_capture_on_commit_callbacks(execute=True):
        account_deletion.run_due_deletions(now=timezone.now() + LATER)

    assert smtp_server.last.rcpt_tos == ["hana@example.com"]
    goodbye = _goodbye(customer)
    assert goodbye.state == State.SENT
    assert goodbye.sent_at is not None
    assert (goodbye.to_address, goodbye.subject, goodbye.text_body, goodbye.headers) == (
        "",
        "",
        "",
        {},
    )
    # Nothing in the outbox holds the address any more.
    assert not OutboxMessage.objects.filter(to_address__icontains="hana").exists()
    assert not OutboxMessage.objects.filter(text_body__icontains="deleted").exists()
    entry = ErasureJournalEntry.objects.get(model="mail.OutboxMessage", action="blanked")
    assert (entry.account_ref, entry.row_ids, entry.actor) == (
        customer.pk,
        [goodbye.pk],
        "job:mail_delivery",
    )
    assert entry.fields == sorted(OutboxMessage.CONTENT_FIELDS)
    assert privacy.replay_erasures() == 0


def test_p22_a_goodbye_mail_refused_for_good_is_forgotten_and_not_retried(
    smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    customer = CustomerFactory(email="nobody@example.com")
    account_deletion.request_account_deletion(subject=customer)
    smtp_server.refuse("550 5.1.1 No such mailbox")
    with django_capture_on_commit_callbacks(execute=True):
        account_deletion.run_due_deletions(now=timezone.now() + LATER)

    goodbye = _goodbye(customer)
    assert goodbye.state == State.FAILED
    assert (goodbye.to_address, goodbye.text_body, goodbye.last_error) == ("", "", "")
    smtp_server.refuse(None)
    assert mail_services.retry_messages([goodbye]) == 0
    goodbye.refresh_from_db()
    assert goodbye.state == State.FAILED
    assert smtp_server.messages == []


def test_p22_a_goodbye_mail_keeps_its_address_while_delivery_is_retried(
    smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    customer = CustomerFactory(email="later@example.com")
    account_deletion.request_account_deletion(subject=customer)
    smtp_server.refuse("451 4.3.0 Try again later")
    with django_capture_on_commit_callbacks(execute=True):
        account_deletion.run_due_deletions(now=timezone.now() + LATER)
    goodbye = _goodbye(customer)
    assert (goodbye.state, goodbye.to_address) == (State.QUEUED, "later@example.com")
    assert not ErasureJournalEntry.objects.filter(
        model="mail.OutboxMessage", action="blanked"
    ).exists()

    smtp_server.refuse(None)
    attempt_delivery(message_id=goodbye.pk, now=timezone.now() + datetime.timedelta(hours=1))

    assert smtp_server.last.rcpt_tos == ["later@example.com"]
    goodbye.refresh_from_db()
    assert (goodbye.state, goodbye.to_address, goodbye.text_body) == (State.SENT, "", "")


def test_a_cancelled_request_erases_nothing() -> None:
    customer = _rich_customer("cancel@example.com")
    account_deletion.request_account_deletion(subject=customer)
    account_deletion.cancel_account_deletion(subject=customer)

    assert account_deletion.run_due_deletions(now=timezone.now() + LATER) == 0

    customer.refresh_from_db()
    assert (customer.email, customer.is_active) == ("cancel@example.com", True)
    assert customer.addresses.count() == 1
    assert customer.prior_versions.count() == 2
    assert not ErasureJournalEntry.objects.exists()


def test_not_due_yet_erases_nothing() -> None:
    customer = CustomerFactory()
    account_deletion.request_account_deletion(subject=customer)

    assert account_deletion.run_due_deletions(now=timezone.now() + datetime.timedelta(days=13)) == 0
    customer.refresh_from_db()
    assert customer.is_active is True


def test_the_command_runs_due_deletions(capsys: pytest.CaptureFixture[str]) -> None:
    customer = CustomerFactory()
    AccountDeletion.objects.create(
        subject=customer, requested_at=timezone.now(), due_at=timezone.now()
    )

    call_command("privacy", "run-due-deletions")

    assert capsys.readouterr().out == "Deleted 1 account(s).\n"
    customer.refresh_from_db()
    assert customer.is_active is False


# ---------------------------------------------------------------- the pages
def test_the_page_asks_for_confirmation(client: Client) -> None:
    client.force_login(CustomerFactory())

    response = client.get(URL)

    assert response.status_code == 200
    assert b"<h1>Delete your account</h1>" in response.content
    assert b"14 days" in response.content
    refused = client.post(URL, {})
    assert refused.status_code == 400
    assert b"Tick the box to confirm" in refused.content
    assert not AccountDeletion.objects.exists()


def test_request_then_cancel_from_the_page(client: Client) -> None:
    customer = CustomerFactory()
    client.force_login(customer)

    response = client.post(URL, {"confirm": "on"}, follow=True)

    pending = privacy.pending_account_deletion(subject=customer)
    assert pending is not None
    assert f"Your account will be deleted on {timezone.localtime(pending.due_at):%B %-d, %Y}" in (
        response.content.decode()
    )
    assert b"Keep my account" in response.content
    # A second request while one is pending is refused, clearly.
    again = client.post(URL, {"confirm": "on"}, follow=True)
    assert b"You already asked to delete your account" in again.content
    assert AccountDeletion.objects.filter(subject=customer).count() == 1

    kept = client.post(CANCEL_URL, follow=True)

    assert b"Your account will not be deleted. Nothing was erased." in kept.content
    assert privacy.pending_account_deletion(subject=customer) is None
    nothing = client.post(CANCEL_URL, follow=True)
    assert b"There is no pending request to delete your account." in nothing.content


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    for url in (URL, CANCEL_URL):
        response = client.get(url) if url == URL else client.post(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/account/login/?next=")


def test_the_old_address_of_the_page_leads_to_it(client: Client) -> None:
    # The cancel link in e-mails sent before the page moved under /privacy/.
    response = client.get("/account/delete/")

    assert (response.status_code, response["Location"]) == (301, URL)


def test_cancel_refuses_get(client: Client) -> None:
    client.force_login(CustomerFactory())
    assert client.get(CANCEL_URL).status_code == 405


def test_csrf_is_required() -> None:
    client = Client(enforce_csrf_checks=True)
    customer = CustomerFactory()
    client.force_login(customer)

    assert client.post(URL, {"confirm": "on"}).status_code == 403
    assert privacy.pending_account_deletion(subject=customer) is None


def test_after_the_erasure_sign_in_fails_and_sessions_end() -> None:
    customer = CustomerFactory(email="gone@example.com", password=PASSWORD)
    browser = Client()
    browser.force_login(customer)
    assert browser.get("/account/").status_code == 200
    account_deletion.request_account_deletion(subject=customer)

    account_deletion.run_due_deletions(now=timezone.now() + LATER)

    # The old session no longer authenticates: signed out everywhere.
    assert browser.get("/account/").status_code == 302
    assert Client().login(email="gone@example.com", password=PASSWORD) is False
    response = Client().post("/account/login/", {"login": "gone@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert b"not correct" in response.content or b"incorrect" in response.content.lower()


def test_the_page_queries_stay_few(client: Client, django_assert_max_num_queries: Any) -> None:
    customer = CustomerFactory()
    client.force_login(customer)
    account_deletion.request_account_deletion(subject=customer)
    # The customer's summary for the header is made on their first page: 4 queries, then
    # none (storefront/summary.py).
    with django_assert_max_num_queries(18):
        assert client.get(URL).status_code == 200


def test_both_states_of_the_page_pass_the_basic_html_checks(client: Client) -> None:
    customer = CustomerFactory()
    client.force_login(customer)
    assert page_problems(client.get(URL).content.decode()) == []
    assert page_problems(client.post(URL, {}).content.decode()) == []
    account_deletion.request_account_deletion(subject=customer)
    assert page_problems(client.get(URL).content.decode()) == []
