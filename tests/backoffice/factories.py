"""Staff members holding back-office roles, and a customer with a distinctive value in every
personal field the back office can show (for the P13 walk)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib.auth.models import Group

from bungu.accounts.models import Profile, User
from bungu.backoffice.roles import ensure_roles
from tests.accounts.factories import AddressFactory, CustomerFactory
from tests.marketing.factories import PartnerFactory, make_offer
from tests.orders.factories import ADDRESS, place_test_order
from tests.reviews.factories import ReviewFactory
from tests.wishlists.factories import WishListFactory, WishListItemFactory

# Each value appears in exactly one field (the e-mail also in allauth's copy of it), so a
# value found on a page names the field that leaked.
PLANTED: dict[str, str] = {
    "accounts.User.email": "zq-email-7731@example.org",
    "accounts.User.name": "Zqname Ototsuki",
    "accounts.Profile.phone": "+1 555 0100 771",
    "accounts.Profile.ink_colours": "zq-ink-murasaki",
    "accounts.Address.recipient": "Zqrecipient Hoshino",
    "accounts.Address.line1": "771 Zqline Street",
    "accounts.Address.line2": "Zqsuite 4B",
    "accounts.Address.city": "Zqcity",
    "accounts.Address.region": "Zqregion",
    "accounts.Address.postal_code": "ZQ7731",
    "accounts.Address.phone": "+1 555 0199 772",
    "reviews.Review.body": "Zqreview: the nib sings on Tomoe River paper.",
    "wishlists.WishList.name": "Zqwishes for winter",
    "wishlists.WishListItem.note": "Zqnote: the blue-black one",
    "orders.Order.email": "zq-order-7732@example.org",
    "orders.Order.ship_recipient": "Zqorder Recipient",
    "orders.Order.ship_line1": "772 Zqorder Lane",
    "orders.Order.ship_phone": "+1 555 0188 773",
}
# The same address, kept by allauth for sign-in: the e-mail is on record twice.
COPIES = {"account.EmailAddress.email": "accounts.User.email"}


def planted_customer() -> User:
    customer: User = CustomerFactory(
        email=PLANTED["accounts.User.email"], name=PLANTED["accounts.User.name"]
    )
    Profile.objects.create(
        user=customer,
        phone=PLANTED["accounts.Profile.phone"],
        ink_colours=PLANTED["accounts.Profile.ink_colours"],
    )
    AddressFactory(
        customer=customer,
        **{
            label.rsplit(".", 1)[1]: value
            for label, value in PLANTED.items()
            if label.startswith("accounts.Address.")
        },
    )
    ReviewFactory(author=customer, body=PLANTED["reviews.Review.body"])
    WishListItemFactory(
        wish_list=WishListFactory(owner=customer, name=PLANTED["wishlists.WishList.name"]),
        note=PLANTED["wishlists.WishListItem.note"],
    )
    place_test_order(
        customer=customer,
        email=PLANTED["orders.Order.email"],
        address=replace(
            ADDRESS,
            recipient=PLANTED["orders.Order.ship_recipient"],
            line1=PLANTED["orders.Order.ship_line1"],
            # Not San Francisco: the back office tests count the address book's city.
            city="Oakland",
            phone=PLANTED["orders.Order.ship_phone"],
        ),
    )
    # P14: a partner with an offer to a segment the customer is in (by the state of the
    # order, not by a planted value, so the segment's name on the page is no leak).
    make_offer(PartnerFactory(), segment="in_state", segment_argument=ADDRESS.region)
    return customer


def staff_member(*roles: str, **fields: Any) -> User:
    """A staff member (not a superuser) holding exactly the named roles."""
    ensure_roles()
    member: User = CustomerFactory(is_staff=True, **fields)
    member.groups.set(Group.objects.filter(name__in=roles))
    return member
