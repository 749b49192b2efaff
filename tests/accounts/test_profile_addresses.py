"""The profile and the address book, with prior versions kept on every change (P4, P20, P22)."""

from __future__ import annotations

import pytest

from bungu.accounts import services
from bungu.accounts.models import Address, PriorVersion, Profile
from tests.accounts.factories import AddressFactory, CustomerFactory

pytestmark = pytest.mark.django_db

ADDRESS = {
    "label": "Office",
    "recipient": "Hana Sato",
    "line1": "500 Howard Street",
    "line2": "",
    "city": "San Francisco",
    "region": "CA",
    "postal_code": "94105",
    "country": "US",
    "phone": "",
}


@pytest.fixture
def customer(client):
    user = CustomerFactory(name="")  # no name yet: the profile form adds one
    client.force_login(user)
    return user


# ---------------------------------------------------------------- profile
def test_an_empty_profile_page_explains_what_each_field_is_for(client, customer):
    html = client.get("/account/profile/").content.decode()

    assert "Everything here is optional." in html
    assert "Lets us or the courier call you about a delivery problem." in html
    assert "Used to point out new inks in colours you like." in html


def test_saving_the_profile_keeps_the_earlier_version(client, customer):
    first = client.post(
        "/account/profile/",
        {"name": "Hana", "phone": "+1 415 555 0100", "ink_colours": "blue-black"},
    )
    second = client.post(
        "/account/profile/",
        {"name": "Hana S.", "phone": "", "ink_colours": "teal", "interests": ["ink", "paper"]},
    )

    assert first.status_code == second.status_code == 302
    customer.refresh_from_db()
    profile = Profile.objects.get(user=customer)
    assert (customer.name, profile.phone, profile.ink_colours, profile.interests) == (
        "Hana S.",
        "",
        "teal",
        ["ink", "paper"],
    )
    versions = list(PriorVersion.objects.filter(customer=customer).order_by("id"))
    assert [v.snapshot for v in versions] == [
        {"name": "", "phone": "", "ink_colours": "", "interests": []},
        {"name": "Hana", "phone": "+1 415 555 0100", "ink_colours": "blue-black", "interests": []},
    ]
    assert {v.changed_by_id for v in versions} == {customer.pk}


def test_saving_an_unchanged_profile_keeps_no_copy(client, customer):
    client.post("/account/profile/", {"name": ""})

    assert PriorVersion.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "x" * 151}, "Ensure this value has at most 150 characters"),
        ({"phone": "call me maybe"}, "Enter a phone number of digits"),
        ({"ink_colours": "y" * 201}, "Ensure this value has at most 200 characters"),
        ({"interests": ["crayons"]}, "Select a valid choice. crayons is not one of"),
    ],
)
def test_bad_profile_input_is_refused_and_nothing_changes(client, customer, data, message):
    response = client.post("/account/profile/", data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert PriorVersion.objects.count() == 0
    assert not Profile.objects.filter(user=customer).exclude(phone="").exists()


def test_update_profile_refuses_fields_that_are_not_in_the_profile():
    customer = CustomerFactory()

    with pytest.raises(KeyError, match="is_staff"):
        services.update_profile(user=customer, actor=customer, changes={"is_staff": True})
    customer.refresh_from_db()
    assert customer.is_staff is False


# ---------------------------------------------------------------- addresses
def test_the_first_address_becomes_the_default(client, customer):
    response = client.post("/account/addresses/new/", ADDRESS)

    assert response.status_code == 302
    address = Address.objects.get(customer=customer)
    assert address.is_default_shipping is True
    assert address.lines() == [
        "Hana Sato",
        "500 Howard Street",
        "San Francisco CA 94105",
        "United States",
    ]


def test_making_another_address_the_default_keeps_both_prior_versions(client, customer):
    home = AddressFactory(customer=customer, is_default_shipping=True)
    office = AddressFactory(customer=customer, label="Office")

    client.post(f"/account/addresses/{office.pk}/default/")

    home.refresh_from_db()
    office.refresh_from_db()
    assert (home.is_default_shipping, office.is_default_shipping) == (False, True)
    copies = PriorVersion.objects.filter(customer=customer).order_by("id")
    assert [(c.object_id, c.snapshot["is_default_shipping"]) for c in copies] == [
        (home.pk, True),
        (office.pk, False),
    ]


def test_editing_and_deleting_an_address_keep_the_earlier_versions(client, customer):
    address = AddressFactory(customer=customer, line1="1 Market Street")

    client.post(f"/account/addresses/{address.pk}/", {**ADDRESS, "line1": "2 Market Street"})
    client.post(f"/account/addresses/{address.pk}/delete/")

    assert not Address.objects.filter(pk=address.pk).exists()
    copies = PriorVersion.objects.filter(customer=customer).order_by("id")
    assert [(c.change, c.snapshot["line1"]) for c in copies] == [
        ("changed", "1 Market Street"),
        ("deleted", "2 Market Street"),
    ]
    html = client.get("/account/history/").content.decode()
    assert "1 Market Street" in html
    assert "2 Market Street" in html
    assert "deleted" in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"recipient": ""}, "This field is required."),
        ({"line1": "z" * 201}, "Ensure this value has at most 200 characters"),
        ({"country": "XX"}, "Select a valid choice. XX is not one of the available choices."),
        ({"postal_code": "9" * 21}, "Ensure this value has at most 20 characters"),
        ({"phone": "<script>"}, "Enter a phone number of digits"),
    ],
)
def test_bad_address_input_is_refused(client, customer, changes, message):
    response = client.post("/account/addresses/new/", {**ADDRESS, **changes})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Address.objects.count() == 0


def test_the_address_book_has_a_limit(client, customer, monkeypatch):
    monkeypatch.setattr(services, "MAX_ADDRESSES", 2)
    AddressFactory.create_batch(2, customer=customer)

    response = client.post("/account/addresses/new/", ADDRESS, follow=True)

    assert "An address book holds at most 2 addresses." in response.content.decode()
    assert Address.objects.filter(customer=customer).count() == 2


def test_user_text_is_escaped_on_the_account_pages(client, customer):
    AddressFactory(customer=customer, label="<b>Home</b>")

    html = client.get("/account/addresses/").content.decode()

    assert "&lt;b&gt;Home&lt;/b&gt;" in html
    assert "<b>Home</b>" not in html
