"""The wish list use cases. Every function that touches a list takes the owner's id and
finds the list through it, so one customer can never reach another's."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from bungu.accounts.summary import summary_changed
from bungu.cart import services as cart_services
from bungu.cart.models import Cart
from bungu.catalog import services as catalog_services
from bungu.catalog.models import SKU, Product

from .models import (
    DEFAULT_NAME,
    NAME_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    SHARE_TOKEN_BYTES,
    SHARE_TOKEN_LENGTH,
    WishList,
    WishListItem,
)

# Enough for any real use; stops a script from filling the database through one account.
MAX_WISH_LISTS = 50
MAX_ITEMS_PER_LIST = 500

_TOKEN_SHAPE = re.compile(rf"^[A-Za-z0-9_-]{{{SHARE_TOKEN_LENGTH}}}$")


class WishListError(Exception):
    """A wish list action the rules refuse; the message is written for the customer."""


class SkuNotAvailable(WishListError):  # noqa: N818 - a domain noun, like Http404
    """The SKU does not exist or is no longer sold."""


class TooMany(WishListError):  # noqa: N818 - a domain noun, like Http404
    """A limit on lists per customer or items per list is reached."""


@dataclass(frozen=True)
class ItemView:
    """One wish list line as a page shows it."""

    item: WishListItem
    available: bool


def clean_name(name: str) -> str:
    """A wish list name as stored. Raises WishListError for an empty or too long one."""
    name = " ".join(name.split())
    if not name:
        raise WishListError("Give the wish list a name.")
    if len(name) > NAME_MAX_LENGTH:
        raise WishListError(f"Keep the name under {NAME_MAX_LENGTH} characters.")
    return name


def clean_note(note: str) -> str:
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise WishListError(
            f"Keep the note under {NOTE_MAX_LENGTH} characters (it has {len(note)})."
        )
    return note


def owner_first_name(user: AbstractBaseUser) -> str:
    """What a shared list says about its owner: the first word of the name they gave us, or
    nothing. Never the e-mail address."""
    name = str(getattr(user, "name", "") or "").strip()
    return name.split()[0] if name else ""


# ---------------------------------------------------------------- lists


def list_wish_lists(*, owner_id: int) -> list[WishList]:
    """The customer's wish lists with their item counts (``item_count``), in one query."""
    return list(WishList.objects.filter(owner_id=owner_id).annotate(item_count=Count("items")))


def list_saved_skus(*, owner_id: int) -> list[tuple[int, int]]:
    """(SKU id, product id) of every item on the customer's wish lists, in one query."""
    return list(
        WishListItem.objects.filter(wish_list__owner_id=owner_id)
        .values_list("sku_id", "sku__product_id")
        .distinct()
    )


def get_own_wish_list(*, owner_id: int, wish_list_id: int) -> WishList:
    """Raises WishList.DoesNotExist for a list that is not the customer's."""
    return WishList.objects.get(id=wish_list_id, owner_id=owner_id)


@transaction.atomic
def create_wish_list(*, owner_id: int, name: str) -> WishList:
    """Start a new, private wish list. Raises WishListError or TooMany."""
    name = clean_name(name)
    if WishList.objects.filter(owner_id=owner_id).count() >= MAX_WISH_LISTS:
        raise TooMany(f"You can keep up to {MAX_WISH_LISTS} wish lists; delete one first.")
    summary_changed(user_id=owner_id)
    return WishList.objects.create(owner_id=owner_id, name=name)


def rename_wish_list(*, owner_id: int, wish_list_id: int, name: str) -> WishList:
    """Raises WishListError or WishList.DoesNotExist."""
    wish_list = get_own_wish_list(owner_id=owner_id, wish_list_id=wish_list_id)
    wish_list.name = clean_name(name)
    wish_list.save(update_fields=["name", "updated_at"])
    summary_changed(user_id=owner_id)
    return wish_list


def delete_wish_list(*, owner_id: int, wish_list_id: int) -> None:
    """Delete a list and its items; its link stops working. Raises WishList.DoesNotExist."""
    get_own_wish_list(owner_id=owner_id, wish_list_id=wish_list_id).delete()
    summary_changed(user_id=owner_id)


def share_wish_list(*, owner_id: int, wish_list_id: int) -> WishList:
    """Give the list a new unguessable link; any earlier link stops working. Raises
    WishList.DoesNotExist."""
    wish_list = get_own_wish_list(owner_id=owner_id, wish_list_id=wish_list_id)
    wish_list.share_token = secrets.token_urlsafe(SHARE_TOKEN_BYTES)
    wish_list.shared_at = timezone.now()
    wish_list.save(update_fields=["share_token", "shared_at", "updated_at"])
    return wish_list


def stop_sharing(*, owner_id: int, wish_list_id: int) -> WishList:
    """Make the list private again: its link answers 404 from now on. Raises
    WishList.DoesNotExist."""
    wish_list = get_own_wish_list(owner_id=owner_id, wish_list_id=wish_list_id)
    wish_list.share_token = None
    wish_list.shared_at = None
    wish_list.save(update_fields=["share_token", "shared_at", "updated_at"])
    return wish_list


def get_shared_wish_list(*, token: str) -> WishList:
    """The list a share link points at, with its owner. Raises WishList.DoesNotExist for a
    malformed, forged or revoked token."""
    if not _TOKEN_SHAPE.match(token):
        raise WishList.DoesNotExist(token)
    return WishList.objects.select_related("owner").get(share_token=token)


# ---------------------------------------------------------------- items


def _items(wish_list: WishList) -> QuerySet[WishListItem]:
    return wish_list.items.select_related("sku__product__brand")


def list_items(*, wish_list: WishList) -> list[ItemView]:
    """The list's items with their SKUs and products, in one query; each says whether it can
    still be bought."""
    return [
        ItemView(
            item=item,
            available=item.sku.is_purchasable,
        )
        for item in _items(wish_list)
    ]


def _get_saveable_sku(sku_id: int) -> SKU:
    try:
        return catalog_services.get_purchasable_sku(sku_id=sku_id)
    except catalog_services.NotPurchasable:
        raise SkuNotAvailable("That item is not sold here (any more).") from None


@transaction.atomic
def save_item(
    *, owner_id: int, sku_id: int, note: str, wish_list_id: int | None = None
) -> WishListItem:
    """Put a SKU on one of the customer's wish lists (their first one, made if need be, when
    none is named). Saving it again updates the note. Raises WishListError,
    SkuNotAvailable, TooMany or WishList.DoesNotExist."""
    note = clean_note(note)
    sku = _get_saveable_sku(sku_id)
    if wish_list_id is None:
        wish_list = WishList.objects.filter(owner_id=owner_id).order_by("id").first()
        if wish_list is None:
            wish_list = create_wish_list(owner_id=owner_id, name=DEFAULT_NAME)
    else:
        wish_list = get_own_wish_list(owner_id=owner_id, wish_list_id=wish_list_id)
    existing = wish_list.items.filter(sku=sku).first()
    if existing is not None:
        if note:
            existing.note = note
            existing.save(update_fields=["note"])
        return existing
    if wish_list.items.count() >= MAX_ITEMS_PER_LIST:
        raise TooMany(f"A wish list holds up to {MAX_ITEMS_PER_LIST} items; start another one.")
    summary_changed(user_id=owner_id)
    try:
        with transaction.atomic():
            return WishListItem.objects.create(wish_list=wish_list, sku=sku, note=note)
    except IntegrityError:
        # The same item saved twice at once: the other request got there first.
        return wish_list.items.get(sku=sku)


def get_own_item(*, owner_id: int, wish_list_id: int, item_id: int) -> WishListItem:
    """Raises WishListItem.DoesNotExist for an item not on this customer's list."""
    return WishListItem.objects.select_related("sku__product", "wish_list").get(
        id=item_id, wish_list_id=wish_list_id, wish_list__owner_id=owner_id
    )


def update_note(*, owner_id: int, wish_list_id: int, item_id: int, note: str) -> WishListItem:
    """Raises WishListError or WishListItem.DoesNotExist."""
    item = get_own_item(owner_id=owner_id, wish_list_id=wish_list_id, item_id=item_id)
    item.note = clean_note(note)
    item.save(update_fields=["note"])
    return item


def remove_item(*, owner_id: int, wish_list_id: int, item_id: int) -> WishListItem:
    """Take an item off the list; returns it (unsaved) for the message. Raises
    WishListItem.DoesNotExist."""
    item = get_own_item(owner_id=owner_id, wish_list_id=wish_list_id, item_id=item_id)
    item.delete()
    summary_changed(user_id=owner_id)
    return item


def find_product_url(*, sku_id: int) -> str | None:
    """The product page showing this SKU, if it is still sold."""
    sku = (
        SKU.objects.select_related("product")
        .filter(id=sku_id, product__in=Product.objects.visible())
        .first()
    )
    if sku is None:
        return None
    return f"{sku.product.get_absolute_url()}?{urlencode({'sku': sku.code})}"


@transaction.atomic
def move_item_to_cart(
    *, owner_id: int, wish_list_id: int, item_id: int, cart: Cart
) -> cart_services.LineChange:
    """Put one of the item in the cart and take it off the wish list. Raises
    WishListItem.DoesNotExist, or the cart's CartError (then nothing changed)."""
    item = get_own_item(owner_id=owner_id, wish_list_id=wish_list_id, item_id=item_id)
    change = cart_services.add_item(cart, sku_id=item.sku_id, quantity=1)
    item.delete()
    summary_changed(user_id=owner_id)
    return change
