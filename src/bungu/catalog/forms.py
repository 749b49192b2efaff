"""Forms of the catalogue's back office."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

from .csv_import import MAX_BYTES


class CatalogImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="The format that Export CSV writes: one row per SKU, UTF-8.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args: Any, max_bytes: int = MAX_BYTES, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if (upload.size or 0) > self.max_bytes:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size or 0)}; the limit is "
                f"{filesizeformat(self.max_bytes)}. Split it into parts."
            )
        return upload
