"""The signed-in customer's summary for the holes of a page (``bungu.accounts.summary``).

Read from the cache once per request; on a miss made from the database with a fixed number
of queries (the cart count, the wish lists, the items on them, the reviews: four), whatever
the customer holds, and stored for the next pages.
"""

from __future__ import annotations

from django.http import HttpRequest

from bungu.accounts.models import User
from bungu.accounts.summary import CustomerSummary, read_summary, store_summary
from bungu.cart import services as cart
from bungu.reviews import services as reviews
from bungu.wishlists import services as wishlists

# Where the request keeps the summary once read, so each hole does not read it again.
_ON_REQUEST = "_bungu_customer_summary"


def signed_in_id(request: HttpRequest) -> int | None:
    """The signed-in customer's id, from the user the authentication middleware verified."""
    user = getattr(request, "user", None)
    return int(user.pk) if user is not None and user.is_authenticated else None


def build_summary(*, user_id: int, display_name: str) -> CustomerSummary:
    saved = wishlists.list_saved_skus(owner_id=user_id)
    return CustomerSummary(
        display_name=display_name,
        cart_count=cart.count_customer_items(user_id=user_id),
        wish_lists=tuple((w.id, w.name) for w in wishlists.list_wish_lists(owner_id=user_id)),
        wished_sku_ids=frozenset(sku_id for sku_id, _ in saved),
        wished_product_ids=frozenset(product_id for _, product_id in saved),
        review_states=reviews.list_review_states(author_id=user_id),
    )


def customer_summary(request: HttpRequest) -> CustomerSummary | None:
    """The signed-in visitor's summary, or None for an anonymous one."""
    user_id = signed_in_id(request)
    if user_id is None:
        return None
    kept = request.__dict__.get(_ON_REQUEST)
    if isinstance(kept, CustomerSummary):
        return kept
    version, summary = read_summary(user_id=user_id)
    if summary is None:
        user = request.user
        name = user.get_short_name() if isinstance(user, User) else ""
        summary = build_summary(user_id=user_id, display_name=name)
        store_summary(user_id=user_id, version=version, summary=summary)
    setattr(request, _ON_REQUEST, summary)
    return summary
