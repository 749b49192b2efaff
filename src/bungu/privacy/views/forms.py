from __future__ import annotations

from django import forms

from bungu.privacy.models import PrivacyRequest, RequestKind

DESCRIPTION_MAX = PrivacyRequest._meta.get_field("description").max_length or 4000


class PrivacyRequestForm(forms.Form):
    """P26: a described concern, or a request about the customer's data."""

    kind = forms.ChoiceField(
        label="What is it about?",
        choices=RequestKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what your request is about.",
            "invalid_choice": "Choose one of the kinds of request listed.",
        },
    )
    description = forms.CharField(
        label="Tell us more",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=DESCRIPTION_MAX,
        help_text=f"Up to {DESCRIPTION_MAX} characters. Please do not include card numbers.",
        error_messages={
            "required": "Describe your concern or request, so we can act on it.",
            "max_length": f"Keep it to {DESCRIPTION_MAX} characters or fewer "
            "(this one has %(show_value)d).",
        },
    )


class PrivacyRequestByEmailForm(PrivacyRequestForm):
    """P26: the same request from a visitor who is not signed in, verified by a link sent to
    the account's e-mail address."""

    field_order = ["email", "kind", "description"]

    email = forms.EmailField(
        label="Your account's e-mail address",
        max_length=254,
        help_text="We send a link to this address; the request counts once you confirm it.",
        error_messages={
            "required": "Enter the e-mail address of your account.",
            "invalid": "Enter an e-mail address such as name@example.com.",
            "max_length": "An e-mail address has at most 254 characters.",
        },
    )


class DeleteAccountForm(forms.Form):
    """P22: the customer confirms they want their account deleted."""

    confirm = forms.BooleanField(
        label="I understand that my account and the data about me will be erased.",
        error_messages={"required": "Tick the box to confirm that you want your account deleted."},
    )
