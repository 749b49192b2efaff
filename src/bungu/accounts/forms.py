"""Forms of the account pages, and the shop's versions of allauth's sign-in and sign-up."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import AddEmailForm, LoginForm, SignupForm
from django import forms
from django.contrib.auth.hashers import make_password
from django.core.validators import MaxLengthValidator, RegexValidator
from django.http import HttpRequest

from . import guardians, services
from .models import Address, GuardianLink, Interest, User

_PHONE = RegexValidator(
    r"^\+?[0-9][0-9 ()\-.]{4,28}$",
    "Enter a phone number of digits, spaces, brackets or dashes, optionally starting with +.",
)


# The column's length: Django's form field allows 320 characters, which PostgreSQL would
# refuse with an error instead of a message.
EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length or 254


def _cap_email(field: forms.Field) -> None:
    field.max_length = EMAIL_MAX_LENGTH  # type: ignore[attr-defined]
    field.validators.append(MaxLengthValidator(EMAIL_MAX_LENGTH))
    field.widget.attrs["maxlength"] = str(EMAIL_MAX_LENGTH)


def _hash_when_taken(form: SignupForm) -> None:
    """Hash the chosen password even when the address already has an account, so that
    answer costs what creating an account costs: the page is the same either way
    (ACCOUNT_PREVENT_ENUMERATION), and the time to answer must not tell the two apart."""
    if form.account_already_exists:
        make_password(form.cleaned_data.get("password1"))


class SignInForm(LoginForm):
    """allauth's sign-in, with the remember-me box worded for shared computers (P3)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "remember" in self.fields:
            field = self.fields["remember"]
            field.label = "Keep me signed in on this computer"
            field.help_text = (
                "Leave this unticked on a shared or public computer: you are signed out "
                "when the browser closes."
            )


class SignUpForm(SignupForm):
    """allauth's sign-up plus the statement of age (P23); no birth date is asked for."""

    field_order = ["email", "password1", "password2", "adult"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _cap_email(self.fields["email"])

    adult = forms.BooleanField(
        label="I am 18 or over",
        required=True,
        error_messages={
            "required": (
                "Please confirm that you are 18 or over. Someone younger can use the shop "
                "through an invitation from a parent or guardian."
            )
        },
    )

    def try_save(self, request: HttpRequest) -> Any:
        _hash_when_taken(self)
        return super().try_save(request)

    def custom_signup(self, request: HttpRequest, user: User) -> None:
        super().custom_signup(request, user)
        services.record_adult_statement(user=user)


class SupervisedSignUpForm(SignupForm):
    """Sign-up through a guardian's invitation (P23): no adult statement, and the address must
    be the invited one, since the guardian consented for that person."""

    def __init__(self, *args: Any, invitation: GuardianLink, **kwargs: Any) -> None:
        self.invitation = invitation
        super().__init__(*args, **kwargs)
        _cap_email(self.fields["email"])
        self.fields["email"].initial = invitation.invited_email
        self.fields["email"].help_text = "The address your parent or guardian invited."

    def clean_email(self) -> str:
        email = str(super().clean_email())
        if email.lower() != self.invitation.invited_email.lower():
            raise forms.ValidationError("Sign up with the address the invitation was sent to.")
        return email

    def try_save(self, request: HttpRequest) -> Any:
        _hash_when_taken(self)
        return super().try_save(request)

    def custom_signup(self, request: HttpRequest, user: User) -> None:
        super().custom_signup(request, user)
        guardians.accept_invitation(link=self.invitation, user=user)


class ChangeEmailForm(AddEmailForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _cap_email(self.fields["email"])


class ProfileForm(forms.Form):
    name = forms.CharField(
        label="What we should call you",
        max_length=150,
        required=False,
        help_text="Used to greet you in e-mails and on parcels. Without it we use your address.",
    )
    phone = forms.CharField(
        label="Phone number",
        max_length=30,
        required=False,
        validators=[_PHONE],
        help_text="Lets us or the courier call you about a delivery problem.",
    )
    ink_colours = forms.CharField(
        label="Favourite ink colours",
        max_length=200,
        required=False,
        help_text="Used to point out new inks in colours you like.",
    )
    interests = forms.MultipleChoiceField(
        label="What you like to write with",
        choices=Interest.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Used to choose what the home page and recommendations show you first.",
    )

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()

    def clean_phone(self) -> str:
        return str(self.cleaned_data["phone"]).strip()

    def clean_ink_colours(self) -> str:
        return str(self.cleaned_data["ink_colours"]).strip()


class AddressForm(forms.ModelForm[Address]):
    class Meta:
        model = Address
        fields = list(services.ADDRESS_FIELDS)
        help_texts = {"is_default_shipping": "Checkout offers this address first."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone"].validators.append(_PHONE)
        autocomplete = {
            "recipient": "name",
            "line1": "address-line1",
            "line2": "address-line2",
            "city": "address-level2",
            "region": "address-level1",
            "postal_code": "postal-code",
            "country": "country",
            "phone": "tel",
        }
        for name, token in autocomplete.items():
            self.fields[name].widget.attrs["autocomplete"] = token

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, value in cleaned.items():
            if isinstance(value, str):
                cleaned[name] = value.strip()
        return cleaned


class InviteSupervisedForm(forms.Form):
    email = forms.EmailField(
        label="The young person's e-mail address",
        max_length=254,
        help_text="We send them a link to create their own supervised account.",
    )
    consent = forms.BooleanField(
        label=(
            "I am their parent or guardian, and I agree to their using the shop under my "
            "supervision"
        ),
        required=True,
        error_messages={"required": "Please confirm that you are their parent or guardian."},
    )
