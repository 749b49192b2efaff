"""What the cart app holds about a visitor or customer (read by bungu.privacy's data map).

A cart is gathered automatically as the visitor shops (P5, P6, P10). An anonymous cart and
its cookie go ``BUNGU_CART_COOKIE_DAYS`` after the cart last changed, an account's cart
``BUNGU_CART_ACCOUNT_DAYS`` after (``bungu purge_carts``); the declared retention is read
from the same settings, so the map never promises less than the shop does.
"""

from datetime import timedelta

from django.conf import settings

from bungu.privacy import Cookie, DataCategory, Erase, Field, PurgedBy, Purpose, Source

_CART_PURPOSES = {Purpose.PERSONALISED_CONTENT, Purpose.BUSINESS_TRANSFER}
_KEPT_DAYS = max(settings.BUNGU_CART_COOKIE_DAYS, settings.BUNGU_CART_ACCOUNT_DAYS)

PERSONAL = [
    Field(
        "cart.Cart.token_hash",
        category=DataCategory.COOKIE_ID,
        source=Source.AUTOMATIC,
        purposes={Purpose.COOKIE_STORAGE},
        retention_days=settings.BUNGU_CART_COOKIE_DAYS,
        erase=Erase.DELETE,
        note="A hash of the cart cookie's random token; the cookie itself holds nothing else.",
    ),
    *(
        Field(
            f"cart.Cart.{name}",
            category=DataCategory.BEHAVIOR,
            source=Source.AUTOMATIC,
            purposes=_CART_PURPOSES,
            retention_days=_KEPT_DAYS,
            erase=Erase.DELETE,
        )
        for name in ("created_at", "updated_at")
    ),
    *(
        Field(
            f"cart.CartLine.{name}",
            category=DataCategory.BEHAVIOR,
            source=Source.AUTOMATIC,
            purposes=_CART_PURPOSES,
            retention_days=_KEPT_DAYS,
            erase=Erase.DELETE,
            note="What is in the cart, shown back to the visitor who filled it.",
        )
        for name in ("sku", "quantity", "added_at")
    ),
]

NOT_PERSONAL = [
    # Links to the customer and to the cart: the records they point at are mapped there.
    "cart.Cart.user",
    "cart.CartLine.cart",
]

# P10: the cookie that keeps an anonymous cart between visits (read by bungu.privacy's cookie
# registry and shown on /privacy/cookies/).
COOKIES = [
    Cookie(
        "cart",
        setting="BUNGU_CART_COOKIE_NAME",
        purpose=(
            "Keeps what you put in your cart between visits before you sign in. It holds a "
            "random token and nothing about you."
        ),
        max_age=timedelta(days=settings.BUNGU_CART_COOKIE_DAYS),
        needed_for="keeping a cart while you are not signed in",
        essential=True,
        purposes={Purpose.COOKIE_STORAGE},
        promises=("P6", "P10"),
    ),
]

# P5: two clocks (the cookie's for anonymous carts, the account's for the others), so the
# cart app enforces its retention itself; lines go with their cart.
RETENTION = {
    "cart.Cart": PurgedBy("bungu.cart.services.purge_expired_carts"),
    "cart.CartLine": PurgedBy("bungu.cart.services.purge_expired_carts"),
}
