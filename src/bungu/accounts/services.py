"""Use cases of the customer's own account: the profile, the address book and the prior
versions kept of both (P20)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import models, transaction
from django.shortcuts import resolve_url
from django.utils import timezone

from bungu.privacy import prior_version_kept

from .models import Address, PriorVersion, Profile, User
from .summary import summary_changed

# What a snapshot of each record holds: the customer-visible fields, nothing internal.
PROFILE_FIELDS = ("name", "phone", "ink_colours", "interests")
ADDRESS_FIELDS = (
    "label",
    "recipient",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
    "is_default_shipping",
)
# A customer's address book has room for this many entries: enough for any household, and a
# bound on what one account can make the shop store.
MAX_ADDRESSES = 20


class TooManyAddresses(Exception):  # noqa: N818 - a domain noun, like OutOfStock
    """The address book is full."""


def sign_in_url(*, next_path: str) -> str:
    """The sign-in page, coming back to ``next_path`` afterwards (for "Sign in to ..." links)."""
    return f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': next_path})}"


# ---------------------------------------------------------------- the profile
def get_profile(*, user: User) -> Profile:
    """The customer's profile, made empty on first use (it holds nothing until they fill it)."""
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def profile_snapshot(profile: Profile) -> dict[str, Any]:
    return {
        "name": profile.user.name,
        "phone": profile.phone,
        "ink_colours": profile.ink_colours,
        "interests": list(profile.interests),
    }


@transaction.atomic
def update_profile(*, user: User, actor: User, changes: Mapping[str, Any]) -> bool:
    """Apply the given profile fields (name, phone, ink_colours, interests); keep the earlier
    version (P20) when anything changed. Returns whether anything changed. Raises KeyError for
    a field that is not part of the profile."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise KeyError(f"not profile fields: {sorted(unknown)}")
    profile = Profile.objects.select_for_update().select_related("user").get_or_create(user=user)[0]
    before = profile_snapshot(profile)
    after = {**before, **changes}
    if after == before:
        return False
    PriorVersion.objects.create(
        customer=user,
        kind=PriorVersion.Kind.PROFILE,
        change=PriorVersion.Change.CHANGED,
        snapshot=before,
        changed_by=actor,
    )
    if after["name"] != before["name"]:
        profile.user.name = after["name"]
        # The profile's copy above holds the name: the save hook steps aside (P20).
        prior_version_kept(profile.user)
        profile.user.save(update_fields=["name"])
        # The account menu shows it.
        summary_changed(user_id=user.pk)
    profile.phone = after["phone"]
    profile.ink_colours = after["ink_colours"]
    profile.interests = list(after["interests"])
    prior_version_kept(profile)
    profile.save()
    return True


# ---------------------------------------------------------------- the address book
def list_addresses(*, customer: User) -> list[Address]:
    return list(Address.objects.of(customer))


def get_address(*, customer: User, address_id: int) -> Address:
    """One of the customer's own addresses. Raises Address.DoesNotExist for another's."""
    return Address.objects.of(customer).get(pk=address_id)


def address_snapshot(address: Address) -> dict[str, Any]:
    return {name: getattr(address, name) for name in ADDRESS_FIELDS}


def _keep_prior(address: Address, *, actor: User, change: PriorVersion.Change) -> None:
    PriorVersion.objects.create(
        customer_id=address.customer_id,
        kind=PriorVersion.Kind.ADDRESS,
        object_id=address.pk,
        change=change,
        snapshot=address_snapshot(address),
        changed_by=actor,
    )


def _clear_default(customer_id: int, *, actor: User, keep: int | None = None) -> None:
    """Unset the current default shipping address (keeping its prior version)."""
    current = Address.objects.filter(customer_id=customer_id, is_default_shipping=True)
    if keep is not None:
        current = current.exclude(pk=keep)
    for address in current.select_for_update():
        _keep_prior(address, actor=actor, change=PriorVersion.Change.CHANGED)
        address.is_default_shipping = False
        prior_version_kept(address)
        address.save(update_fields=["is_default_shipping", "updated_at"])


@transaction.atomic
def add_address(*, customer: User, actor: User, values: Mapping[str, Any]) -> Address:
    """Add an address to the book; the first one becomes the default for shipping.
    Raises TooManyAddresses when the book is full."""
    # Locks the customer's row, so two additions at once cannot both pass the count.
    User.objects.select_for_update().filter(pk=customer.pk).first()
    count = Address.objects.of(customer).count()
    if count >= MAX_ADDRESSES:
        raise TooManyAddresses(f"An address book holds at most {MAX_ADDRESSES} addresses.")
    fields = {name: values[name] for name in ADDRESS_FIELDS if name in values}
    make_default = bool(fields.pop("is_default_shipping", False)) or count == 0
    if make_default:
        _clear_default(customer.pk, actor=actor)
    return Address.objects.create(customer=customer, is_default_shipping=make_default, **fields)


@transaction.atomic
def update_address(*, address: Address, actor: User, values: Mapping[str, Any]) -> bool:
    """Change an address, keeping its earlier version (P20). Returns whether anything
    changed. Unsetting the default leaves the book without one, which is allowed."""
    locked = Address.objects.select_for_update().get(pk=address.pk)
    before = address_snapshot(locked)
    after = {**before, **{k: v for k, v in values.items() if k in ADDRESS_FIELDS}}
    if after == before:
        return False
    if after["is_default_shipping"] and not before["is_default_shipping"]:
        _clear_default(locked.customer_id, actor=actor, keep=locked.pk)
    _keep_prior(locked, actor=actor, change=PriorVersion.Change.CHANGED)
    for name, value in after.items():
        setattr(locked, name, value)
    prior_version_kept(locked)
    locked.save()
    address.refresh_from_db()
    return True


@transaction.atomic
def delete_address(*, address: Address, actor: User) -> None:
    """Delete an address; a copy is kept as its last prior version (P20)."""
    locked = Address.objects.select_for_update().get(pk=address.pk)
    _keep_prior(locked, actor=actor, change=PriorVersion.Change.DELETED)
    locked.delete()


@transaction.atomic
def make_default_address(*, address: Address, actor: User) -> None:
    """Make this address the default for shipping (the previous default's version is kept)."""
    update_address(address=address, actor=actor, values={"is_default_shipping": True})


def find_default_address(*, customer: User | int) -> Address | None:
    """The customer's default shipping address, for checkout; None when there is none."""
    return Address.objects.filter(customer=customer, is_default_shipping=True).first()


# ---------------------------------------------------------------- prior versions, P20
def list_prior_versions(*, customer: User, limit: int = 200) -> list[PriorVersion]:
    """The customer's prior versions, newest first, with who made each change."""
    return list(PriorVersion.objects.filter(customer=customer).select_related("changed_by")[:limit])


def record_adult_statement(*, user: User) -> None:
    """P23: note when the customer first stated that they are 18 or over."""
    # P20: a first statement replaces none, so there is no earlier version to keep (the
    # account's copy would only repeat the e-mail address and name): QuerySet.update itself.
    unstated = User.objects.filter(pk=user.pk, adult_declared_at__isnull=True)
    models.QuerySet.update(unstated, adult_declared_at=timezone.now())
    user.refresh_from_db(fields=["adult_declared_at"])
