"""The per-visitor parts of shared pages: what fills each page hole (see ``holes``).

Each filler gets the request and the hole's arguments (ids and slugs the template wrote) and
returns this visitor's HTML. They read only what is cheap: nothing for an anonymous visitor,
and at most one small query for a signed-in one (their wish lists, their own review); the
signed-in user is read once per request by the authentication middleware.
"""

from __future__ import annotations

from functools import lru_cache

from django.contrib.messages import get_messages
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from bungu.accounts.services import sign_in_url
from bungu.reviews import services as reviews
from bungu.reviews.forms import ReviewForm
from bungu.reviews.models import Review
from bungu.wishlists import services as wishlists


def _signed_in_id(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)
    return int(user.pk) if user is not None and user.is_authenticated else None


def csrf_field(request: HttpRequest) -> str:
    return format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
    )


def account_menu(request: HttpRequest) -> str:
    """The header's account links: sign in, or the account, the data and sign out."""
    if _signed_in_id(request) is None:
        return format_html('<a href="{}">Sign in</a>', reverse("account_login"))
    return format_html(
        '\n        <a href="{}">Your account</a>\n        <a href="{}">Your data</a>\n'
        '        <form method="post" action="{}">{}<button type="submit" class="button-quiet">'
        "Sign out</button></form>\n      ",
        reverse("accounts:overview"),
        reverse("privacy:my_data"),
        reverse("account_logout"),
        csrf_field(request),
    )


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
@lru_cache(maxsize=512)
def _wish_list_part(sku_id: str, lists: tuple[tuple[int, str], ...] | None, path: str) -> str:
    return render_to_string(
        "wishlists/_save_form.html",
        {
            "user": _Viewer(lists is not None),
            "sku": {"id": sku_id},
            "wish_lists": [{"id": pk, "name": name} for pk, name in lists or ()],
            "sign_in_url": sign_in_url(next_path=path),
        },
    )


def wish_list_save(request: HttpRequest, sku_id: str) -> str:
    """The product page's "Save to wish list" part: the visitor's lists (one query)."""
    owner_id = _signed_in_id(request)
    lists = (
        tuple((w.id, w.name) for w in wishlists.list_wish_lists(owner_id=owner_id))
        if owner_id is not None
        else None
    )
    return _wish_list_part(sku_id, lists, request.path)


def review_report(request: HttpRequest, review_id: str, author_id: str) -> str:
    """ "Report this review", for a signed-in visitor who did not write it (no query)."""
    viewer_id = _signed_in_id(request)
    if viewer_id is None or str(viewer_id) == author_id:
        return ""
    return format_html(
        '<p class="review-actions"><a href="{}">Report this review</a></p>',
        reverse("reviews:report", kwargs={"review_id": int(review_id)}),
    )


def _own_review_part(*, signed_in: bool, own: Review | None, slug: str, path: str) -> str:
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


@lru_cache(maxsize=512)
def _review_invitation(signed_in: bool, slug: str, path: str) -> str:
    # "Write a review" (its form) or "Sign in to write a review": the same for everyone.
    return _own_review_part(signed_in=signed_in, own=None, slug=slug, path=path)


def review_own(request: HttpRequest, product_id: str, slug: str) -> str:
    """The visitor's own review of the product, or the form to write one (one query)."""
    viewer_id = _signed_in_id(request)
    if viewer_id is None:
        return _review_invitation(False, slug, request.path)
    own = reviews.find_review(author_id=viewer_id, product_id=int(product_id))
    if own is None:
        return _review_invitation(True, slug, request.path)
    return _own_review_part(signed_in=True, own=own, slug=slug, path=request.path)
