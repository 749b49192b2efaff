"""The back office's pages. Every one is for staff only, and every customer datum on them
comes from ``bungu.privacy.access`` for a purpose the member holds (P13)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from bungu.privacy import Purpose, PurposeNotAllowed, practices_in_force

from . import dashboard as dashboard_charts, services
from .forms import CustomerSearchForm
from .roles import ROLES

View = Callable[..., HttpResponse]


def _members_only(view: View) -> View:
    """Anonymous visitors are sent to the staff sign-in page, which is where a member coming
    from a bookmark wants to go. A signed-in customer gets 404, like any other address that is
    not theirs: the shop does not tell customers which addresses lead to staff pages."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not (user.is_active and user.is_staff):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper


# Customers' data must not stay in a browser's or a proxy's cache: never_cache on both.
def staff_only(view: View) -> View:
    """A staff page: members only, read with GET."""
    return never_cache(require_GET(_members_only(view)))


def staff_post(view: View) -> View:
    """A staff form that changes something: members only, sent with POST."""
    return never_cache(require_POST(_members_only(view)))


def _member(request: HttpRequest) -> AbstractBaseUser:
    """The signed-in staff member (``staff_only`` has let only members through)."""
    user = request.user
    if not isinstance(user, AbstractBaseUser):
        raise Http404("No such page.")
    return user


def _purpose_links(purposes: list[Purpose]) -> list[dict[str, str]]:
    return [{"slug": services.purpose_slug(p), "label": p.label} for p in purposes]


@staff_only
def index(request: HttpRequest) -> HttpResponse:
    offered = services.purposes_offered(_member(request))
    return render(
        request,
        "backoffice/index.html",
        {"purposes": _purpose_links(offered), "form": CustomerSearchForm()},
    )


@staff_only
def dashboard(request: HttpRequest) -> HttpResponse:
    """The charts the member's purposes cover (``dashboard.CHARTS`` says which)."""
    charts = dashboard_charts.charts_for(_member(request))
    return render(
        request, "backoffice/dashboard.html", {"charts": charts, "now": timezone.localtime()}
    )


@staff_only
def roles(request: HttpRequest) -> HttpResponse:
    """The staff roles and what each may see: no customer's data, only the rules."""
    practices = practices_in_force()
    rows = [
        {
            "name": role.name,
            "purposes": [
                {
                    "label": purpose.label,
                    "fields": [
                        item.label for item in services.shown_fields(purpose, practices=practices)
                    ],
                }
                for purpose in sorted(role.purposes)
            ],
        }
        for role in ROLES
    ]
    return render(request, "backoffice/roles.html", {"roles": rows})


@staff_only
def customer_search(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    form = CustomerSearchForm(request.GET if "q" in request.GET else None)
    context: dict[str, Any] = {"form": form, "searched": False}
    status = 200
    if form.is_valid():
        try:
            found = services.find_customer(query=form.cleaned_data["q"], member=member)
        except services.SearchRefused as refused:
            form.add_error("q", str(refused))
            context["refused"] = True
            status = 400
        else:
            context.update(
                searched=True,
                found=found,
                purposes=_purpose_links(services.purposes_offered(member)),
            )
    elif form.is_bound:
        status = 400
    return render(request, "backoffice/search.html", context, status=status)


def _refused(request: HttpRequest, message: str, customer_id: int) -> HttpResponse:
    offered = services.purposes_offered(_member(request))
    context = {"message": message, "customer_id": customer_id, "purposes": _purpose_links(offered)}
    return render(request, "backoffice/refused.html", context, status=403)


@staff_only
def customer(request: HttpRequest, customer_id: int) -> HttpResponse:
    member = _member(request)
    slug = request.GET.get("purpose", "")
    offered = services.purposes_offered(member)
    if not slug:
        # Choosing a purpose reads nothing, so it neither needs the customer nor logs.
        context = {"customer_id": customer_id, "purposes": _purpose_links(offered)}
        return render(request, "backoffice/customer_purposes.html", context)
    try:
        purpose = services.purpose_from_slug(slug)
    except services.UnknownPurpose as unknown:
        return _refused(request, str(unknown), customer_id)
    if purpose not in offered:
        # Refused before the customer is looked up, so a refusal never tells whether they exist.
        message = f"Your role does not let you see customers' data for {purpose.label}."
        return _refused(request, message, customer_id)
    try:
        view = services.read_customer(customer_id=customer_id, purpose=purpose, member=member)
    except LookupError as missing:
        raise Http404("No such customer.") from missing
    except PurposeNotAllowed:
        return _refused(request, "The privacy rules refused this access.", customer_id)
    context = {
        "customer_id": customer_id,
        "purpose": purpose,
        "purpose_slug": slug,
        "view": view,
        "purposes": _purpose_links(offered),
    }
    return render(request, "backoffice/customer.html", context)
