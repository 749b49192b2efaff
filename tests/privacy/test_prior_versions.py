"""P20: every update of given personal data keeps the earlier version, whichever path makes
it; privacy.E006 holds every personal model of the data map to it, with planted controls."""

import pytest
from allauth.account.models import EmailAddress
from django.forms import modelform_factory
from django.test import Client

from bungu.accounts.models import Address, PriorVersion
from bungu.privacy import (
    DataMap,
    KeptBy,
    NotVersioned,
    changes_by,
    checks as privacy_checks,
    data_map,
)
from bungu.wishlists.services import rename_wish_list
from tests.accounts.factories import CustomerFactory
from tests.wishlists.factories import WishListFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def gap(monkeypatch: pytest.MonkeyPatch) -> DataMap:
    copy = data_map.copy()
    monkeypatch.setattr(privacy_checks, "data_map", copy)
    return copy


def e006(errors: list[object]) -> list[str]:
    return [e.msg for e in errors if e.id == "privacy.E006"]


def test_p20_every_personal_model_of_the_map_says_how_prior_versions_are_kept() -> None:
    assert e006(privacy_checks.check_data_map()) == []
    declared = {label: data_map.prior_versions_of(label) for label in data_map.model_labels()}
    kept = sorted(label for label, how in declared.items() if isinstance(how, KeptBy))
    assert kept == [
        "accounts.Address",
        "accounts.Profile",
        "accounts.User",
        "mail.MailPreferences",
        "reviews.Review",
        "wishlists.WishList",
        "wishlists.WishListItem",
    ]


def test_p20_a_model_with_given_data_and_no_declaration_fails_e006(gap: DataMap) -> None:
    gap.declare_prior_versions("reviews.Review", None)

    assert e006(privacy_checks.check_data_map()) == [
        (
            "reviews.Review holds personal data people can change (body, product, rating) but "
            "declares neither how its prior versions are kept nor why none are needed (P20)."
        )
    ]


def test_p20_a_keeper_on_a_model_without_the_save_hook_fails_e006(gap: DataMap) -> None:
    gap.declare_prior_versions(
        "checkout.CheckoutAttempt", KeptBy("bungu.accounts.versions.keep_prior_version")
    )
    gap.declare_prior_versions("orders.Order", NotVersioned("  "))

    assert e006(privacy_checks.check_data_map()) == [
        (
            "checkout.CheckoutAttempt declares a prior-version keeper but does not inherit "
            "KeepsPriorVersions, so its saves never call it (P20)."
        ),
        (
            "orders.Order holds personal data people can change (card_brand, card_exp_month, "
            "card_exp_year, card_last4, currency, email, ship_city, ship_country, ship_line1, "
            "ship_line2, ship_phone, ship_postal_code, ship_recipient, ship_region, shipping_cost, "
            "shipping_method, shipping_method_name, subtotal, tax, total) but declares neither how "
            "its prior versions are kept nor why none are needed (P20)."
        ),
    ]


def test_p20_an_email_change_through_allauth_keeps_the_earlier_address() -> None:
    customer = CustomerFactory(email="old@example.com", name="Aiko")
    EmailAddress.objects.update_or_create(
        user=customer, email="old@example.com", defaults={"verified": True, "primary": True}
    )
    new = EmailAddress.objects.create(user=customer, email="new@example.com", verified=True)

    with changes_by(customer):
        assert new.set_as_primary()

    customer.refresh_from_db()
    assert customer.email == "new@example.com"
    copy = PriorVersion.objects.get(customer=customer)
    assert (copy.kind, copy.record, copy.snapshot, copy.changed_by) == (
        "account",
        "accounts.User",
        {"email": "old@example.com", "name": "Aiko"},
        customer,
    )


def test_p20_a_staff_edit_by_a_model_form_keeps_the_earlier_address() -> None:
    customer = CustomerFactory()
    staff = CustomerFactory(is_staff=True)
    address = Address.objects.create(
        customer=customer, recipient="Aiko", line1="1 Old Road", city="Kyoto", postal_code="1"
    )
    form_class = modelform_factory(Address, fields=["line1", "city"])
    form = form_class({"line1": "2 New Road", "city": "Kyoto"}, instance=address)
    assert form.is_valid()

    with changes_by(staff):
        form.save()

    copy = PriorVersion.objects.get(customer=customer)
    assert (copy.kind, copy.object_id, copy.snapshot["line1"], copy.changed_by) == (
        "address",
        address.pk,
        "1 Old Road",
        staff,
    )


def test_p20_a_save_that_changes_nothing_given_keeps_no_copy() -> None:
    customer = CustomerFactory()

    customer.save()
    customer.is_active = False
    customer.save(update_fields=["is_active"])

    assert not PriorVersion.objects.exists()


def test_p20_renaming_a_wish_list_keeps_the_earlier_name() -> None:
    wish_list = WishListFactory(name="Inks to try")

    rename_wish_list(owner_id=wish_list.owner_id, wish_list_id=wish_list.pk, name="Blues")

    copy = PriorVersion.objects.get()
    assert (copy.customer_id, copy.kind, copy.record, copy.snapshot) == (
        wish_list.owner_id,
        "record",
        "wishlists.WishList",
        {"name": "Inks to try"},
    )


def test_p20_a_page_names_the_signed_in_person_as_the_author(client: Client) -> None:
    wish_list = WishListFactory(name="Inks to try")
    client.force_login(wish_list.owner)

    client.post(f"/wishlists/{wish_list.pk}/rename/", {"name": "Blues"})

    copy = PriorVersion.objects.get()
    assert (copy.snapshot, copy.changed_by) == ({"name": "Inks to try"}, wish_list.owner)
