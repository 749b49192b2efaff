from __future__ import annotations

from django import forms

from .models import (
    BODY_MAX_LENGTH,
    RATING_MAX,
    RATING_MIN,
    REASON_MAX_LENGTH,
    REPORT_DETAILS_MAX_LENGTH,
    ReportReason,
)

RATING_CHOICES = [
    (value, f"{value} star{'s' if value > 1 else ''}")
    for value in range(RATING_MAX, RATING_MIN - 1, -1)
]


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a rating from 1 to 5 stars.",
            "invalid_choice": "Choose a rating from 1 to 5 stars.",
        },
    )
    # No maxlength attribute on the textarea: a browser would cut a long paste short without
    # a word, and the customer would lose text. The server says how much is too much instead.
    body = forms.CharField(
        label="Your review",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=f"Up to {BODY_MAX_LENGTH:,} characters. Plain text: no HTML or links.",
        error_messages={"required": "Write a few words about the product."},
    )

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError("Write a few words about the product.")
        if len(body) > BODY_MAX_LENGTH:
            raise forms.ValidationError(
                f"Your review is {len(body):,} characters long; the most we can take is "
                f"{BODY_MAX_LENGTH:,}. Shorten it by {len(body) - BODY_MAX_LENGTH:,} characters: "
                "your text is still below."
            )
        return body


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label="What is wrong with this review?",
        choices=ReportReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what is wrong with the review."},
    )
    details = forms.CharField(
        label="Anything our staff should know (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_details(self) -> str:
        details: str = self.cleaned_data["details"].strip()
        if len(details) > REPORT_DETAILS_MAX_LENGTH:
            raise forms.ValidationError(
                f"Keep the details under {REPORT_DETAILS_MAX_LENGTH:,} characters "
                f"(now {len(details):,})."
            )
        return details


class RejectForm(forms.Form):
    """The admin's intermediate page for rejecting reviews with a reason."""

    reason = forms.CharField(
        label="Reason shown to the authors",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
