"""The customer's account pages under /account/: thin views over the services.

Every page needs a signed-in customer (anonymous visitors are sent to sign in) and shows or
changes only that customer's own records: an id of another customer's address, session or
link answers 404, exactly like an id that does not exist.
"""

from __future__ import annotations

from typing import Any, cast

from allauth.account.views import SignupView
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import guardians, services, sessions
from .forms import AddressForm, InviteSupervisedForm, ProfileForm, SupervisedSignUpForm
from .models import Address, GuardianLink, Interest, User


def _customer(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    user = _customer(request)
    profile = services.get_profile(user=user)
    return render(
        request,
        "accounts/overview.html",
        {
            "profile": profile,
            "default_address": services.find_default_address(customer=user),
            "supervised": guardians.is_supervised(user),
            "guardian": guardians.guardian_of(user),
            "has_totp": Authenticator.objects.filter(
                user=user, type=Authenticator.Type.TOTP
            ).exists(),
            "section": "overview",
        },
    )


# ---------------------------------------------------------------- profile
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = _customer(request)
    current = services.get_profile(user=user)
    snapshot = services.profile_snapshot(current)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            changed = services.update_profile(user=user, actor=user, changes=form.cleaned_data)
            messages.success(
                request, "Your profile is saved." if changed else "Nothing changed in your profile."
            )
            return redirect("accounts:profile")
    else:
        form = ProfileForm(initial=snapshot)
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "profile": current, "section": "profile"},
    )


# ---------------------------------------------------------------- addresses
def _own_address(request: HttpRequest, address_id: int) -> Address:
    try:
        return services.get_address(customer=_customer(request), address_id=address_id)
    except Address.DoesNotExist:
        raise Http404("No such address in your address book.") from None


@login_required
def addresses(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/addresses.html",
        {
            "addresses": services.list_addresses(customer=_customer(request)),
            "max_addresses": services.MAX_ADDRESSES,
            "section": "addresses",
        },
    )


@login_required
def add_address(request: HttpRequest) -> HttpResponse:
    user = _customer(request)
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_address(customer=user, actor=user, values=form.cleaned_data)
        except services.TooManyAddresses as error:
            messages.error(request, str(error))
            return redirect("accounts:addresses")
        messages.success(request, "The address is in your address book.")
        return redirect("accounts:addresses")
    return render(
        request,
        "accounts/address_form.html",
        {"form": form, "address": None, "section": "addresses"},
    )


@login_required
def edit_address(request: HttpRequest, address_id: int) -> HttpResponse:
    address = _own_address(request, address_id)
    form = AddressForm(request.POST or None, instance=address)
    if request.method == "POST" and form.is_valid():
        changed = services.update_address(
            address=address, actor=_customer(request), values=form.cleaned_data
        )
        messages.success(request, "The address is saved." if changed else "Nothing changed.")
        return redirect("accounts:addresses")
    return render(
        request,
        "accounts/address_form.html",
        {"form": form, "address": address, "section": "addresses"},
    )


@login_required
@require_POST
def delete_address(request: HttpRequest, address_id: int) -> HttpResponse:
    address = _own_address(request, address_id)
    services.delete_address(address=address, actor=_customer(request))
    messages.success(request, "The address is deleted; a copy stays in your history.")
    return redirect("accounts:addresses")


@login_required
@require_POST
def make_default_address(request: HttpRequest, address_id: int) -> HttpResponse:
    address = _own_address(request, address_id)
    services.make_default_address(address=address, actor=_customer(request))
    messages.success(request, "That is now your default shipping address.")
    return redirect("accounts:addresses")


# ---------------------------------------------------------------- prior versions, P20
@login_required
def history(request: HttpRequest) -> HttpResponse:
    versions = services.list_prior_versions(customer=_customer(request))
    return render(
        request,
        "accounts/history.html",
        {"versions": versions, "interest_choices": Interest.choices, "section": "history"},
    )


# ---------------------------------------------------------------- sessions, P3
@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/sessions.html",
        {
            "sessions": sessions.list_sessions(
                user=_customer(request), current_key=request.session.session_key
            ),
            "section": "sessions",
        },
    )


@login_required
@require_POST
def end_session(request: HttpRequest, session_id: int) -> HttpResponse:
    try:
        key = sessions.end_session(user=_customer(request), session_id=session_id)
    except UserSession.DoesNotExist:
        raise Http404("No such session on your account.") from None
    if key == request.session.session_key:
        logout(request)
        return redirect("storefront:home")
    messages.success(request, "That session is ended: the browser using it is signed out.")
    return redirect("accounts:sessions")


@login_required
@require_POST
def end_other_sessions(request: HttpRequest) -> HttpResponse:
    ended = sessions.end_other_sessions(
        user=_customer(request), current_key=request.session.session_key
    )
    messages.success(
        request,
        f"Signed out everywhere else ({ended} session{'s' if ended != 1 else ''} ended).",
    )
    return redirect("accounts:sessions")


# ---------------------------------------------------------------- security
@login_required
def security(request: HttpRequest) -> HttpResponse:
    user = _customer(request)
    kinds = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    return render(
        request,
        "accounts/security.html",
        {
            "has_totp": Authenticator.Type.TOTP in kinds,
            "has_recovery_codes": Authenticator.Type.RECOVERY_CODES in kinds,
            "section": "security",
        },
    )


# ---------------------------------------------------------------- supervised accounts, P23
@login_required
def supervised(request: HttpRequest) -> HttpResponse:
    user = _customer(request)
    form = InviteSupervisedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            guardians.invite_supervised(
                guardian=user,
                email=form.cleaned_data["email"],
                consent=form.cleaned_data["consent"],
                site_url=request.build_absolute_uri("/"),
            )
        except guardians.GuardianError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"We sent an invitation to {form.cleaned_data['email']}.")
            return redirect("accounts:supervised")
    return render(
        request,
        "accounts/supervised.html",
        {
            "form": form,
            "links": guardians.list_links(guardian=user),
            "can_supervise": guardians.is_adult(user),
            "section": "supervised",
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def end_supervision(request: HttpRequest, link_id: int) -> HttpResponse:
    try:
        link = guardians.end_link(guardian=_customer(request), link_id=link_id)
    except GuardianLink.DoesNotExist:
        raise Http404("No such supervised account.") from None
    if link.supervised_id:
        messages.success(request, "The link is ended and that account is closed.")
    else:
        messages.success(request, "The invitation is withdrawn.")
    return redirect("accounts:supervised")


class SupervisedSignUpView(SignupView):
    """allauth's sign-up, reached through a guardian's invitation link (P23)."""

    template_name = "accounts/join_supervised.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        invitation = guardians.find_invitation(token=kwargs.get("token", ""))
        if invitation is None:
            return render(request, "accounts/invitation_invalid.html", status=404)
        self.invitation = invitation
        return cast(HttpResponseBase, super().dispatch(request, *args, **kwargs))

    def get_form_class(self) -> type[SupervisedSignUpForm]:
        return SupervisedSignUpForm

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = cast(dict[str, Any], super().get_form_kwargs())
        kwargs["invitation"] = self.invitation
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = cast(dict[str, Any], super().get_context_data(**kwargs))
        context["invitation"] = self.invitation
        return context


join_supervised = SupervisedSignUpView.as_view()
