"""Wish list pages: thin views that check who is asking, call a service and render.

Every address under a list's id belongs to its owner: anybody else, and every anonymous
visitor, gets 404 whatever the method, and never learns whether the list exists. The only
way in for others is the share link, which is read-only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from bungu.accounts.services import sign_in_url
from bungu.cart import services as cart_services

from . import services
from .forms import NoteForm, SaveItemForm, WishListNameForm
from .models import WishList, WishListItem


def _owner_id(request: HttpRequest) -> int:
    if not request.user.is_authenticated:
        raise Http404("No such page.")
    return int(request.user.pk)


def _own_list(request: HttpRequest, wish_list_id: int) -> WishList:
    try:
        return services.get_own_wish_list(owner_id=_owner_id(request), wish_list_id=wish_list_id)
    except WishList.DoesNotExist:
        raise Http404("No such wish list.") from None


def _own_item(request: HttpRequest, wish_list_id: int, item_id: int) -> WishListItem:
    try:
        return services.get_own_item(
            owner_id=_owner_id(request), wish_list_id=wish_list_id, item_id=item_id
        )
    except WishListItem.DoesNotExist:
        raise Http404("No such item.") from None


def _post_only(request: HttpRequest) -> HttpResponse | None:
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


def _render_detail(
    request: HttpRequest,
    wish_list: WishList,
    *,
    rename_form: WishListNameForm | None = None,
    status: int = 200,
) -> HttpResponse:
    share_url = (
        request.build_absolute_uri(reverse("wishlists:shared", args=[wish_list.share_token]))
        if wish_list.share_token
        else ""
    )
    context: dict[str, Any] = {
        "wish_list": wish_list,
        "items": services.list_items(wish_list=wish_list),
        "rename_form": rename_form or WishListNameForm(initial={"name": wish_list.name}),
        "share_url": share_url,
    }
    return render(request, "wishlists/detail.html", context, status=status)


def index(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        if request.method not in {"GET", "HEAD"}:
            raise Http404("No such page.")
        # P22: wish lists need an account; the page says so instead of hiding the feature.
        return render(
            request,
            "wishlists/signed_out.html",
            {"sign_in_url": sign_in_url(next_path=request.path)},
        )
    owner_id = int(request.user.pk)
    status = 200
    if request.method == "POST":
        form = WishListNameForm(request.POST)
        if form.is_valid():
            try:
                wish_list = services.create_wish_list(
                    owner_id=owner_id, name=form.cleaned_data["name"]
                )
            except services.WishListError as error:
                form.add_error("name", str(error))
            else:
                messages.success(request, f"Your wish list “{wish_list.name}” is ready.")
                return redirect(reverse("wishlists:detail", args=[wish_list.id]))
        status = 400
    elif request.method in {"GET", "HEAD"}:
        form = WishListNameForm()
    else:
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    context = {"wish_lists": services.list_wish_lists(owner_id=owner_id), "form": form}
    return render(request, "wishlists/index.html", context, status=status)


def detail(request: HttpRequest, wish_list_id: int) -> HttpResponse:
    wish_list = _own_list(request, wish_list_id)
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return _render_detail(request, wish_list)


def rename(request: HttpRequest, wish_list_id: int) -> HttpResponse:
    wish_list = _own_list(request, wish_list_id)
    if refused := _post_only(request):
        return refused
    form = WishListNameForm(request.POST)
    if form.is_valid():
        try:
            services.rename_wish_list(
                owner_id=wish_list.owner_id,
                wish_list_id=wish_list.id,
                name=form.cleaned_data["name"],
            )
        except services.WishListError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, "The wish list is renamed.")
            return redirect(reverse("wishlists:detail", args=[wish_list.id]))
    return _render_detail(request, wish_list, rename_form=form, status=400)


def delete(request: HttpRequest, wish_list_id: int) -> HttpResponse:
    wish_list = _own_list(request, wish_list_id)
    if request.method == "POST":
        services.delete_wish_list(owner_id=wish_list.owner_id, wish_list_id=wish_list.id)
        messages.success(request, f"The wish list “{wish_list.name}” is deleted.")
        return redirect(reverse("wishlists:index"))
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    return render(request, "wishlists/delete.html", {"wish_list": wish_list})


def share(request: HttpRequest, wish_list_id: int) -> HttpResponse:
    wish_list = _own_list(request, wish_list_id)
    if refused := _post_only(request):
        return refused
    was_shared = wish_list.is_shared
    services.share_wish_list(owner_id=wish_list.owner_id, wish_list_id=wish_list.id)
    messages.success(
        request,
        "A new link is ready; the old one no longer works."
        if was_shared
        else "Anyone you give the link to can now see this list (but not change it).",
    )
    return redirect(reverse("wishlists:detail", args=[wish_list.id]))


def unshare(request: HttpRequest, wish_list_id: int) -> HttpResponse:
    wish_list = _own_list(request, wish_list_id)
    if refused := _post_only(request):
        return refused
    services.stop_sharing(owner_id=wish_list.owner_id, wish_list_id=wish_list.id)
    messages.success(request, "The list is private again: its link no longer works.")
    return redirect(reverse("wishlists:detail", args=[wish_list.id]))


def edit_note(request: HttpRequest, wish_list_id: int, item_id: int) -> HttpResponse:
    item = _own_item(request, wish_list_id, item_id)
    status = 200
    if request.method == "POST":
        form = NoteForm(request.POST)
        if form.is_valid():
            try:
                services.update_note(
                    owner_id=item.wish_list.owner_id,
                    wish_list_id=item.wish_list_id,
                    item_id=item.id,
                    note=form.cleaned_data["note"],
                )
            except services.WishListError as error:
                form.add_error("note", str(error))
            else:
                messages.success(request, "The note is saved.")
                return redirect(reverse("wishlists:detail", args=[item.wish_list_id]))
        status = 400
    elif request.method in {"GET", "HEAD"}:
        form = NoteForm(initial={"note": item.note})
    else:
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    return render(request, "wishlists/note.html", {"item": item, "form": form}, status=status)


def remove_item(request: HttpRequest, wish_list_id: int, item_id: int) -> HttpResponse:
    item = _own_item(request, wish_list_id, item_id)
    if refused := _post_only(request):
        return refused
    services.remove_item(
        owner_id=item.wish_list.owner_id, wish_list_id=item.wish_list_id, item_id=item.id
    )
    messages.success(request, f"{item.sku.product.name} is off the list.")
    return redirect(reverse("wishlists:detail", args=[item.wish_list_id]))


def move_to_cart(request: HttpRequest, wish_list_id: int, item_id: int) -> HttpResponse:
    item = _own_item(request, wish_list_id, item_id)
    if refused := _post_only(request):
        return refused
    try:
        with transaction.atomic():
            # Inside the transaction: a new cart's cookie goes out only if the move commits.
            cart = cart_services.cart_for(request)
            change = services.move_item_to_cart(
                owner_id=item.wish_list.owner_id,
                wish_list_id=item.wish_list_id,
                item_id=item.id,
                cart=cart,
            )
    except cart_services.CartError as error:
        messages.error(request, f"{error} It stays on your wish list.")
        return redirect(reverse("wishlists:detail", args=[item.wish_list_id]))
    messages.success(request, f"{change.message} It is off your wish list.")
    return redirect(reverse("wishlists:detail", args=[item.wish_list_id]))


def save_item(request: HttpRequest) -> HttpResponse:
    owner_id = _owner_id(request)
    if refused := _post_only(request):
        return refused
    form = SaveItemForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That item could not be saved: choose it again on its page.")
        return redirect(reverse("wishlists:index"))
    sku_id = form.cleaned_data["sku"]
    back = services.find_product_url(sku_id=sku_id) or reverse("wishlists:index")
    try:
        item = services.save_item(
            owner_id=owner_id,
            sku_id=sku_id,
            note=form.cleaned_data["note"],
            wish_list_id=form.cleaned_data["wish_list"],
        )
    except WishList.DoesNotExist:
        raise Http404("No such wish list.") from None
    except services.WishListError as error:
        messages.error(request, str(error))
        return redirect(back)
    messages.success(request, f"Saved to your wish list “{item.wish_list.name}”.")
    return redirect(back)


@require_safe
@never_cache
def shared(request: HttpRequest, token: str) -> HttpResponse:
    try:
        wish_list = services.get_shared_wish_list(token=token)
    except WishList.DoesNotExist:
        raise Http404("No such wish list.") from None
    context = {
        "wish_list": wish_list,
        "items": [view for view in services.list_items(wish_list=wish_list) if view.available],
        "owner_name": services.owner_first_name(wish_list.owner),
    }
    response = render(request, "wishlists/shared.html", context)
    # The address is the key to the list: never send it on to another site, nor index it.
    # "same-origin", not "no-referrer": with the latter a browser sends "Origin: null" with
    # the page's own POST forms (signing out from the header), which the CSRF check refuses.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
