"""The per-visitor parts of shared pages: what fills each page hole (see ``holes``).

Each filler gets the request and the hole's arguments (ids and slugs the template wrote) and
returns this visitor's HTML. They read only what is cheap: nothing for an anonymous visitor
(but the cart badge, from the cart cookie), and for a signed-in one their summary
(``summary``: one cache read per request, kept on the request); the signed-in user is read
once per request by the authentication middleware, which verifies the session.
"""

from __future__ import annotations

from functools import lru_cache

from django.contrib.messages import get_messages
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from bungu.accounts.services import sign_in_url
from bungu.cart import services as cart
from bungu.cart.badge import badge_html
from bungu.catalog.caching import hole_marker
from bungu.reviews.forms import ReviewForm
from bungu.reviews.models import ReviewStatus

from .summary import customer_summary, signed_in_id

# Rendered parts kept per process, of each kind (a few KB each).
PARTS_KEPT = 4096


def csrf_field(request: HttpRequest) -> str:
    return format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
    )


def cart_count(request: HttpRequest) -> str:
    """The "cart-count" hole: the signed-in customer's count from their summary, a visitor's
    from the cart their cookie names."""
    summary = customer_summary(request)
    return badge_html(cart.count_items(request) if summary is None else summary.cart_count)


@lru_cache(maxsize=1)
def _sign_in_link() -> SafeString:
    return format_html('<a href="{}">Sign in</a>', reverse("account_login"))


@lru_cache(maxsize=1)
def _account_links() -> str:
    # The same for every customer; its CSRF token is a hole, filled as this part's is.
    links = format_html(
        '\n        <a href="{}">Your account</a>\n        <a href="{}">Your data</a>\n'
        '        <form method="post" action="{}">',
        reverse("accounts:overview"),
        reverse("privacy:my_data"),
        reverse("account_logout"),
    )
    return (
        links
        + hole_marker("csrf")
        + '<button type="submit" class="button-quiet">Sign out</button></form>\n      '
    )


def account_menu(request: HttpRequest) -> str:
    """The header's account links: sign in, or the customer's name, the account, the data and
    sign out."""
    summary = customer_summary(request)
    if summary is None:
        return _sign_in_link()
    name = format_html('\n        <span class="account-name">{}</span>', summary.display_name)
    return name + _account_links()


def flash_messages(request: HttpRequest) -> str:
    """The visitor's pending messages, shown once (reading them marks them seen)."""
    pending = list(get_messages(request))
    if not pending:
        return ""
    # str(): a message written with format_html stays as its author made it safe.
    items = format_html_join(
        "", '<p class="message message-{}">{}</p>', ((m.tags, str(m)) for m in pending)
    )
    return format_html('<div class="wrap messages" role="status">\n    {}\n  </div>', items)


class _Viewer:
    """What the parts' templates ask of the user: only whether someone is signed in."""

    def __init__(self, signed_in: bool) -> None:
        self.is_authenticated = signed_in


# The parts are the same for every visitor with the same few inputs, and rendering a template
# costs more than the whole cached page: each process keeps the latest few hundred made, by
# their inputs (never a person's data beyond their wish lists' ids and names; the CSRF token
# is a hole inside, filled per response).
# Sized to hold every product page a visitor browses (the demo shop has about 2,200): at 512
# the bench's rotation over 1,000 product pages rendered both parts again on every request.
@lru_cache(maxsize=PARTS_KEPT)
def _wish_list_part(
    sku_id: str, lists: tuple[tuple[int, str], ...] | None, saved: bool, path: str
) -> str:
    return render_to_string(
        "wishlists/_save_form.html",
        {
            "user": _Viewer(lists is not None),
            "sku": {"id": sku_id},
            "wish_lists": [{"id": pk, "name": name} for pk, name in lists or ()],
            "saved": saved,
            "sign_in_url": sign_in_url(next_path=path),
        },
    )


def wish_list_save(request: HttpRequest, sku_id: str) -> str:
    """The product page's "Save to wish list" part: the visitor's lists, and whether the item
    is on one (from their summary)."""
    summary = customer_summary(request)
    if summary is None:
        return _wish_list_part(sku_id, None, False, request.path)
    saved = sku_id.isdigit() and int(sku_id) in summary.wished_sku_ids
    return _wish_list_part(sku_id, summary.wish_lists, saved, request.path)


def review_report(request: HttpRequest, review_id: str, author_id: str) -> str:
    """ "Report this review", for a signed-in visitor who did not write it (no query)."""
    viewer_id = signed_in_id(request)
    if viewer_id is None or str(viewer_id) == author_id:
        return ""
    return format_html(
        '<p class="review-actions"><a href="{}">Report this review</a></p>',
        reverse("reviews:report", kwargs={"review_id": int(review_id)}),
    )


class _OwnReview:
    """What the part's template shows of the customer's review: its state."""

    def __init__(self, status: str) -> None:
        self.status = status

    def get_status_display(self) -> str:
        return str(ReviewStatus(self.status).label)


@lru_cache(maxsize=PARTS_KEPT)
def _own_review_part(*, signed_in: bool, status: str | None, slug: str, path: str) -> str:
    # The same for every customer whose review of the product is in the same state.
    own = _OwnReview(status) if status is not None else None
    return render_to_string(
        "reviews/_own_review.html",
        {
            "signed_in": signed_in,
            "own": own,
            "product": {"slug": slug},
            # Its own ids, so they cannot clash with the other forms of the page.
            "review_form": ReviewForm(auto_id="review_%s"),
            "sign_in_url": sign_in_url(next_path=path),
        },
    )


def review_own(request: HttpRequest, product_id: str, slug: str) -> str:
    """The visitor's own review of the product (its state, from their summary), the form to
    write one, or the way to sign in."""
    summary = customer_summary(request)
    if summary is None:
        return _own_review_part(signed_in=False, status=None, slug=slug, path=request.path)
    status = summary.review_states.get(int(product_id)) if product_id.isdigit() else None
    return _own_review_part(signed_in=True, status=status, slug=slug, path=request.path)
