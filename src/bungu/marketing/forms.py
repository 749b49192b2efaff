from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from .audiences import declared_segments, get_segment, segment_size
from .content import MAX_BODY_LENGTH, PLACEHOLDERS, check_placeholders
from .exceptions import BadTemplate, UnknownSegment
from .models import MAX_RATE_PER_MINUTE
from .services import Draft

PLACEHOLDER_HELP = "Placeholders: " + ", ".join(
    f"{{{{ {name} }}}} ({meaning})" for name, meaning in PLACEHOLDERS.items()
)


def segment_choices() -> list[tuple[str, str]]:
    return [(key, segment.label) for key, segment in declared_segments().items()]


def check_message(form: forms.Form, data: dict[str, Any], *, fields: tuple[str, ...]) -> None:
    """Form errors for unknown placeholders in the message's ``fields``."""
    for name in fields:
        if name in data:
            try:
                check_placeholders(data[name])
            except BadTemplate as error:
                form.add_error(name, str(error))


SEGMENT_ARGUMENT_LABEL = "Segment's category, state or region, or days"
SEGMENT_ARGUMENT_HELP = (
    "For the segments that ask for one (a category's path, e.g. pens/fountain-pens; a state, "
    "e.g. CA; for the back-in-stock segment, how many days back, 1 to 90, 14 if left blank)."
)


class SegmentForm(forms.Form):
    """The audience of a mailing: a declared segment and its argument, checked together (a
    blank argument takes the segment's default). The campaign and the partner-offer forms
    build on it; each sets ``field_order`` so the two fields stay where its page shows them."""

    segment = forms.ChoiceField(choices=segment_choices)
    segment_argument = forms.CharField(
        label=SEGMENT_ARGUMENT_LABEL,
        max_length=200,
        required=False,
        help_text=SEGMENT_ARGUMENT_HELP,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "segment" not in data:
            return data
        try:
            default = get_segment(data["segment"]).default
            if default and "segment_argument" in data and not data["segment_argument"].strip():
                # The campaign records the argument it used, not a blank.
                data["segment_argument"] = default
            # Counting the members builds the segment, which is what checks its argument.
            segment_size(
                key=data["segment"], argument=data.get("segment_argument", ""), now=timezone.now()
            )
        except UnknownSegment as error:
            self.add_error("segment_argument", str(error))
        return data


class CampaignForm(SegmentForm):
    field_order = [
        "name",
        "subject",
        "body",
        "segment",
        "segment_argument",
        "rate_per_minute",
        "max_consecutive_errors",
    ]

    name = forms.CharField(max_length=120, help_text="For staff only.")
    subject = forms.CharField(max_length=200, help_text=PLACEHOLDER_HELP)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=MAX_BODY_LENGTH,
        help_text=PLACEHOLDER_HELP + ". Blank lines separate paragraphs.",
    )
    rate_per_minute = forms.IntegerField(
        label="At most this many messages a minute",
        min_value=1,
        max_value=MAX_RATE_PER_MINUTE,
        initial=60_000,
    )
    max_consecutive_errors = forms.IntegerField(
        label="Pause by itself after this many errors in a row",
        min_value=1,
        max_value=1000,
        initial=10,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        check_message(self, data, fields=("subject", "body"))
        return data

    def draft(self) -> Draft:
        data = self.cleaned_data
        return Draft(
            name=data["name"],
            subject=data["subject"],
            body=data["body"],
            segment=data["segment"],
            segment_argument=data["segment_argument"],
            rate_per_minute=data["rate_per_minute"],
            max_consecutive_errors=data["max_consecutive_errors"],
        )


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label="Send at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="In the shop's time zone.",
    )

    def clean_send_at(self) -> Any:
        send_at = self.cleaned_data["send_at"]
        if send_at <= timezone.now():
            raise forms.ValidationError("Choose a time in the future, or send it now.")
        return send_at


class PreviewForm(forms.Form):
    sample = forms.IntegerField(
        label="Sample customer number", min_value=1, max_value=2**62, required=False
    )


class PsiAnswerForm(forms.Form):
    """P8: the partner's answer to one of our PSI requests."""

    answer = forms.FileField(
        label="The partner's answer",
        help_text="The file `bungu marketing psi-answer` wrote for our request.",
    )
