"""Forms of the privacy admin: publishing a notice (P25) and recording a disclosure (P16)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from bungu.privacy.datamap.registry import data_map
from bungu.privacy.exceptions import LessProtectiveUnconfirmed
from bungu.privacy.models import Disclosure, Notice
from bungu.privacy.notices.practices import NoticeComparison, PracticesError
from bungu.privacy.notices.publishing import check_publishable, comparison_with_previous


def describe_change_lines(comparison: NoticeComparison) -> list[str]:
    return [
        f"{change.kind}: {change.practice} ({', '.join(c.label for c in change.data)}): "
        f"{change.detail}"
        for change in comparison.less_protective_changes()
    ]


class NoticeForm(forms.ModelForm[Notice]):
    confirm_less_protective = forms.BooleanField(
        required=False,
        label="I have read the comparison and publish this less protective version",
        help_text=(
            "Needed only when this version is less protective than the one before it (P25). "
            "Customers whose information was collected earlier will be asked to agree, and "
            "their older information stays under the older rules until they do."
        ),
    )

    class Meta:
        model = Notice
        fields = ["version", "effective", "text", "practices"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.comparison: NoticeComparison | None = None

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        version, practices = cleaned.get("version"), cleaned.get("practices")
        if not version or practices is None:
            return cleaned
        candidate = Notice(pk=self.instance.pk, version=version, practices=practices)
        try:
            self.comparison = comparison_with_previous(candidate)
            check_publishable(
                candidate,
                confirmed_less_protective=bool(cleaned.get("confirm_less_protective")),
            )
        except PracticesError:
            # Reported against the practices field by the model's own validation.
            self.comparison = None
        except LessProtectiveUnconfirmed as error:
            raise ValidationError(
                [str(error), *describe_change_lines(error.comparison)],
                code="less_protective",
            ) from None
        return cleaned


class DisclosureForm(forms.ModelForm[Disclosure]):
    data_released = forms.MultipleChoiceField(
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Exactly the fields handed over, as the data map names them.",
    )

    class Meta:
        model = Disclosure
        fields = [
            "subject",
            "legal_basis",
            "legal_basis_other",
            "requester",
            "data_released",
            "visible_to_customer",
            "note",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A recorded disclosure's page shows the field as read through the privacy gate.
        field = self.fields.get("data_released")
        if isinstance(field, forms.MultipleChoiceField):
            field.choices = [(item.label, item.label) for item in data_map]
