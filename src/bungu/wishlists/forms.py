from __future__ import annotations

from django import forms

from bungu.database_ids import MAX_DATABASE_ID

from .models import NAME_MAX_LENGTH, NOTE_MAX_LENGTH

# Length limits are checked by the services, which say how long is too long; a maxlength
# attribute would make the browser cut a pasted note short without a word.


class WishListNameForm(forms.Form):
    name = forms.CharField(
        label="Name of the wish list",
        help_text=f"Up to {NAME_MAX_LENGTH} characters, for example “Birthday”.",
        error_messages={"required": "Give the wish list a name."},
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=f"Optional, up to {NOTE_MAX_LENGTH} characters.",
    )


class SaveItemForm(forms.Form):
    """The product page's "save to wish list" form."""

    sku = forms.IntegerField(min_value=1, max_value=MAX_DATABASE_ID, widget=forms.HiddenInput)
    # Empty: the customer's first list (made on the fly if they have none).
    wish_list = forms.IntegerField(
        label="Wish list", required=False, min_value=1, max_value=MAX_DATABASE_ID
    )
    note = forms.CharField(label="Note (optional)", required=False)
