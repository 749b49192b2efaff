"""The cart's use cases: find the visitor's cart, change its lines, total it, merge, purge.

Business rules live here; views only parse the request and show the outcome. Every refusal is
a ``CartError`` whose text is the message for the customer, and a refused change changes
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from bungu.accounts.summary import summary_changed
from bungu.catalog import services as catalog_services
from bungu.catalog.models import SKU, Product

from . import tokens
from .models import Cart, CartLine, CartQuerySet

# The most of one item a single order takes; beyond this a customer should call the shop.
MAX_LINE_QUANTITY = 99
_COUNT_KEY = "bungu.cart.count"


class CartError(Exception):
    """A cart change the shop refuses. ``str(error)`` is the message for the customer."""


class BadQuantity(CartError):  # noqa: N818 - a domain noun (style.md)
    pass


class NotPurchasable(CartError):  # noqa: N818 - a domain noun (style.md)
    """The SKU does not exist, or it or its product has been withdrawn."""


class SoldOut(CartError):  # noqa: N818 - a domain noun (style.md)
    pass


class LimitReached(CartError):  # noqa: N818 - a domain noun (style.md)
    """The cart already holds as many of the item as can be bought."""


class LineNotFound(CartError):  # noqa: N818 - a domain noun (style.md)
    """No such line in this cart (it may be in someone else's: never say which)."""


def sku_name(sku: SKU) -> str:
    label = sku.variant_label
    return f"{sku.product.name} ({label})" if label else sku.product.name


def _check_quantity(quantity: object, *, minimum: int) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise BadQuantity("Enter the quantity as a whole number.")
    if not minimum <= quantity <= MAX_LINE_QUANTITY:
        raise BadQuantity(f"Enter a quantity from {minimum} to {MAX_LINE_QUANTITY}.")
    return quantity


# ---------------------------------------------------------------- finding the cart


def _anonymous_carts() -> CartQuerySet:
    """Anonymous carts still alive: an expired one is as good as gone, purged or not."""
    return Cart.objects.anonymous().changed_since(timezone.now() - tokens.lifetime())


def _find_anonymous(token: str) -> Cart | None:
    return _anonymous_carts().filter(token_hash=tokens.hash_token(token)).first()


def _signed_in_user_id(request: HttpRequest) -> int | None:
    # Without a session cookie nobody is signed in: skip loading the session and the user.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None
    user = request.user
    return int(user.pk) if user.is_authenticated else None


def find_cart(request: HttpRequest) -> Cart | None:
    """The visitor's cart if they have one: the account's once signed in, else the cookie's.

    A tampered, unknown or expired cookie finds nothing and is deleted with the response."""
    user_id = _signed_in_user_id(request)
    if user_id is not None:
        return Cart.objects.filter(user_id=user_id).first()
    token = tokens.read_token(request)
    cart = _find_anonymous(token) if token else None
    if cart is None and tokens.has_cookie(request):
        tokens.delete_cookie_later(request)
    return cart


def cart_for(request: HttpRequest) -> Cart:
    """The cart this request changes, made if the visitor has none yet.

    Call it inside the transaction that changes the cart: the cookie for a new cart (or the
    fresh lifetime of an existing one) goes out only if that transaction commits."""
    user_id = _signed_in_user_id(request)
    if user_id is not None:
        account_cart, _ = Cart.objects.get_or_create(user_id=user_id)
        return account_cart
    token = tokens.read_token(request)
    cart = _find_anonymous(token) if token else None
    if cart is None or token is None:
        token = tokens.new_token()
        cart = Cart.objects.create(token_hash=tokens.hash_token(token))
    kept = token
    transaction.on_commit(lambda: tokens.set_cookie_later(request, kept))
    return cart


def count_items(request: HttpRequest) -> int:
    """How many items the visitor's cart holds: one small query, none without a cookie."""
    if _COUNT_KEY in request.META:
        return int(request.META[_COUNT_KEY])
    user_id = _signed_in_user_id(request)
    if user_id is not None:
        lines = CartLine.objects.filter(cart__user_id=user_id)
    else:
        token = tokens.read_token(request)
        if token is None:
            return 0
        lines = CartLine.objects.filter(
            cart__in=_anonymous_carts().filter(token_hash=tokens.hash_token(token))
        )
    total = lines.aggregate(total=Sum("quantity"))["total"]
    return int(total or 0)


def count_customer_items(*, user_id: int) -> int:
    """How many items a customer's cart holds (one query), for their summary."""
    total = CartLine.objects.filter(cart__user_id=user_id).aggregate(total=Sum("quantity"))
    return int(total["total"] or 0)


def count_cart_items(cart: Cart) -> int:
    """How many items one cart holds."""
    total = CartLine.objects.filter(cart=cart).aggregate(total=Sum("quantity"))["total"]
    return int(total or 0)


# ---------------------------------------------------------------- changing the lines


@dataclass(frozen=True)
class LineChange:
    """What a change did: the line's quantity now, and whether stock or the limit cut it."""

    name: str
    quantity: int
    added: int = 0
    capped_by_stock: bool = False
    capped_by_limit: bool = False

    @property
    def message(self) -> str:
        if self.quantity == 0:
            return f"Removed {self.name} from your cart."
        if self.capped_by_stock:
            return (
                f"Only {self.quantity} of {self.name} left in stock, "
                f"so your cart holds {self.quantity}."
            )
        if self.capped_by_limit:
            return (
                f"One order takes at most {MAX_LINE_QUANTITY} of {self.name}, "
                f"so your cart holds {self.quantity}."
            )
        if self.added:
            return f"Added {self.added} of {self.name} to your cart."
        return f"Your cart now holds {self.quantity} of {self.name}."

    @property
    def was_capped(self) -> bool:
        return self.capped_by_stock or self.capped_by_limit


def _lock(cart: Cart) -> None:
    """Serialise changes to one cart (a no-op lock on SQLite, whose writes are serial)."""
    list(Cart.objects.select_for_update().filter(pk=cart.pk).values_list("pk", flat=True))


def _touch(cart: Cart) -> None:
    """After a change of the cart's lines: its time, and the owner's summary is stale."""
    cart.save(update_fields=["updated_at"])
    summary_changed(user_id=cart.user_id)


def _limit_for(sku: SKU) -> int:
    return min(sku.available, MAX_LINE_QUANTITY)


def _capped(*, name: str, sku: SKU, wanted: int, current: int = 0) -> LineChange:
    quantity = min(wanted, _limit_for(sku))
    return LineChange(
        name=name,
        quantity=quantity,
        added=max(quantity - current, 0),
        capped_by_stock=wanted > sku.available and sku.available <= MAX_LINE_QUANTITY,
        capped_by_limit=wanted > MAX_LINE_QUANTITY and sku.available > MAX_LINE_QUANTITY,
    )


@transaction.atomic
def add_item(cart: Cart, *, sku_id: int, quantity: int) -> LineChange:
    """Add ``quantity`` of a SKU, capped by stock and the per-order limit.

    Raises BadQuantity, NotPurchasable, SoldOut or LimitReached; then nothing changed."""
    _check_quantity(quantity, minimum=1)
    try:
        sku = catalog_services.get_purchasable_sku(sku_id=sku_id)
    except catalog_services.NotPurchasable as refused:
        if refused.sku is None:
            raise NotPurchasable("That item is not sold here.") from None
        raise NotPurchasable(f"{sku_name(refused.sku)} is no longer sold.") from None
    name = sku_name(sku)
    if sku.available <= 0:
        raise SoldOut(f"{name} is sold out.")
    _lock(cart)
    line = CartLine.objects.filter(cart=cart, sku=sku).first()
    current = line.quantity if line else 0
    if current >= _limit_for(sku):
        if sku.available <= MAX_LINE_QUANTITY:
            raise LimitReached(f"Your cart already holds all {sku.available} of {name} we have.")
        raise LimitReached(
            f"Your cart already holds {current} of {name}, the most one order takes."
        )
    change = _capped(name=name, sku=sku, wanted=current + quantity, current=current)
    if line is None:
        CartLine.objects.create(cart=cart, sku=sku, quantity=change.quantity)
    else:
        line.quantity = change.quantity
        line.save(update_fields=["quantity"])
    _touch(cart)
    return change


def get_line(cart: Cart, *, line_id: int) -> CartLine:
    """A line of this cart, locked for the change to come. Raises LineNotFound."""
    line = (
        CartLine.objects.select_related("sku__product")
        .filter(cart=cart, pk=line_id)
        .select_for_update()
        .first()
    )
    if line is None:
        raise LineNotFound("That line is not in your cart (any more).")
    return line


@transaction.atomic
def set_quantity(cart: Cart, *, line_id: int, quantity: int) -> LineChange:
    """Set a line's quantity; 0 removes it. Capped by stock and the per-order limit.

    Raises BadQuantity, LineNotFound, NotPurchasable (withdrawn: it can only be removed) or
    SoldOut; then nothing changed."""
    _check_quantity(quantity, minimum=0)
    _lock(cart)
    line = get_line(cart, line_id=line_id)
    name = sku_name(line.sku)
    if quantity == 0:
        line.delete()
        _touch(cart)
        return LineChange(name=name, quantity=0)
    if not line.sku.is_purchasable:
        raise NotPurchasable(f"{name} is no longer sold; you can only remove it.")
    if line.sku.available <= 0:
        raise SoldOut(f"{name} is sold out; you can only remove it.")
    change = replace(_capped(name=name, sku=line.sku, wanted=quantity), added=0)
    line.quantity = change.quantity
    line.save(update_fields=["quantity"])
    _touch(cart)
    return change


@transaction.atomic
def remove_line(cart: Cart, *, line_id: int) -> str:
    """Remove a line; returns the item's name. Raises LineNotFound."""
    _lock(cart)
    line = get_line(cart, line_id=line_id)
    name = sku_name(line.sku)
    line.delete()
    _touch(cart)
    return name


# ---------------------------------------------------------------- reading the cart


class LineState(StrEnum):
    OK = "ok"
    SHORT = "short"  # more in the cart than in stock
    SOLD_OUT = "sold_out"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class LineView:
    line: CartLine
    sku: SKU
    product: Product
    name: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    state: LineState

    @property
    def counts(self) -> bool:
        """Whether the line is in the cart's total (withdrawn and sold-out lines are not)."""
        return self.state in {LineState.OK, LineState.SHORT}

    @property
    def note(self) -> str:
        return {
            LineState.OK: "",
            LineState.SHORT: f"Only {self.sku.available} left: lower the quantity to buy this.",
            LineState.SOLD_OUT: "Sold out: not counted in the total.",
            LineState.WITHDRAWN: "No longer sold: not counted in the total.",
        }[self.state]


@dataclass(frozen=True)
class CartSummary:
    lines: list[LineView] = field(default_factory=list)
    subtotal: Decimal = Decimal("0.00")
    item_count: int = 0

    @property
    def is_empty(self) -> bool:
        return not self.lines


def _state(sku: SKU, quantity: int) -> LineState:
    if not sku.is_purchasable:
        return LineState.WITHDRAWN
    if sku.available <= 0:
        return LineState.SOLD_OUT
    if quantity > sku.available:
        return LineState.SHORT
    return LineState.OK


def view_cart(cart: Cart | None, *, request: HttpRequest | None = None) -> CartSummary:
    """The cart's lines with their state and the total, in one query however many lines.

    Given the request, the item count is remembered for the header badge of the same page."""
    if cart is None:
        summary = CartSummary()
    else:
        views = []
        for line in cart.lines.select_related("sku__product").order_by("added_at", "id"):
            sku = line.sku
            views.append(
                LineView(
                    line=line,
                    sku=sku,
                    product=sku.product,
                    name=sku_name(sku),
                    quantity=line.quantity,
                    unit_price=sku.price,
                    total=sku.price * line.quantity,
                    state=_state(sku, line.quantity),
                )
            )
        summary = CartSummary(
            lines=views,
            subtotal=sum((v.total for v in views if v.counts), Decimal("0.00")),
            item_count=sum(v.quantity for v in views),
        )
    if request is not None:
        request.META[_COUNT_KEY] = summary.item_count
    return summary


@transaction.atomic
def remove_bought_items(*, cart_id: int, bought: Mapping[int, int]) -> None:
    """Take what an order bought (SKU id -> units) out of the cart it came from; a line
    bought whole goes. A cart or line that is gone meanwhile is simply skipped."""
    lines = CartLine.objects.select_for_update().filter(cart_id=cart_id, sku_id__in=list(bought))
    for line in lines:
        left = line.quantity - bought[line.sku_id]
        if left > 0:
            line.quantity = left
            line.save(update_fields=["quantity"])
        else:
            line.delete()
    Cart.objects.filter(pk=cart_id).update(updated_at=timezone.now())
    for user_id in Cart.objects.filter(pk=cart_id).values_list("user_id", flat=True):
        summary_changed(user_id=user_id)


# ---------------------------------------------------------------- merge on sign-in


@dataclass(frozen=True)
class MergeResult:
    moved: int = 0
    notes: list[str] = field(default_factory=list)


@transaction.atomic
def merge_carts(*, into: Cart, source: Cart) -> MergeResult:
    """Move an anonymous cart's lines into an account's cart, adding quantities capped by
    stock, and delete the anonymous cart. Withdrawn and sold-out items are left out."""
    # Both carts locked in one fixed order, so two merges can never wait on each other.
    list(
        Cart.objects.select_for_update()
        .filter(pk__in=[into.pk, source.pk])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    existing = {line.sku_id: line for line in CartLine.objects.filter(cart=into)}
    moved = 0
    notes = []
    for line in CartLine.objects.filter(cart=source).select_related("sku__product"):
        sku = line.sku
        name = sku_name(sku)
        if not sku.is_purchasable:
            notes.append(f"{name} is no longer sold, so it was left out.")
            continue
        if sku.available <= 0:
            notes.append(f"{name} is sold out, so it was left out.")
            continue
        target = existing.get(sku.pk)
        current = target.quantity if target else 0
        change = _capped(name=name, sku=sku, wanted=current + line.quantity, current=current)
        if change.was_capped:
            notes.append(change.message)
        if target is None:
            CartLine.objects.create(cart=into, sku=sku, quantity=change.quantity)
        elif change.quantity != current:
            target.quantity = change.quantity
            target.save(update_fields=["quantity"])
        moved += change.added
    source.delete()
    _touch(into)
    return MergeResult(moved=moved, notes=notes)


def merge_cookie_cart(request: HttpRequest) -> MergeResult:
    """For a signed-in customer whose browser still holds an anonymous cart's cookie: merge
    that cart into the account's and delete the cookie. A cookie of anything else (another
    account's cart never has one; unknown, expired, tampered) is simply deleted."""
    user_id = _signed_in_user_id(request)
    if user_id is None:
        return MergeResult()
    tokens.delete_cookie_later(request)
    token = tokens.read_token(request)
    if token is None:
        return MergeResult()
    source = _find_anonymous(token)
    if source is None:
        return MergeResult()
    with transaction.atomic():
        into, _ = Cart.objects.get_or_create(user_id=user_id)
        return merge_carts(into=into, source=source)


# ---------------------------------------------------------------- retention


@dataclass(frozen=True)
class PurgeResult:
    anonymous: int
    accounts: int


def purge_expired_carts(*, now: datetime | None = None) -> PurgeResult:
    """Delete anonymous carts unchanged for BUNGU_CART_COOKIE_DAYS and account carts unchanged
    for BUNGU_CART_ACCOUNT_DAYS, with their lines (P5: kept no longer than declared)."""
    now = now or timezone.now()
    anonymous = Cart.objects.anonymous().unchanged_since(now - tokens.lifetime())
    accounts = Cart.objects.filter(user__isnull=False).unchanged_since(
        now - timedelta(days=settings.BUNGU_CART_ACCOUNT_DAYS)
    )
    _, by_model = anonymous.delete()
    anonymous_count = by_model.get(Cart._meta.label, 0)
    owners = list(accounts.values_list("user_id", flat=True))
    _, by_model = accounts.delete()
    for user_id in owners:
        summary_changed(user_id=user_id)
    return PurgeResult(anonymous=anonymous_count, accounts=by_model.get(Cart._meta.label, 0))
