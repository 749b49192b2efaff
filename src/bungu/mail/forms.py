from __future__ import annotations

from django import forms

from .kinds import Category


class PreferencesForm(forms.Form):
    marketing = forms.BooleanField(
        label="Marketing e-mail",
        required=False,
        help_text="New pens, inks and paper, and offers.",
    )
    partner_offers = forms.BooleanField(
        label="Offers for other businesses",
        required=False,
        help_text=(
            "Offers we send ourselves on behalf of other businesses, with marketing e-mail on. "
            "They never get your name, address or e-mail address."
        ),
    )
    other_mail = forms.BooleanField(
        label="Service news and other e-mail",
        required=False,
        help_text="News about the shop and its services.",
    )
    legal_notices = forms.BooleanField(
        label="Changes to our privacy notice, by e-mail",
        required=False,
        help_text=(
            "If you turn this off we will not e-mail you when the notice changes; the notice "
            "in force still applies, and every version is on the privacy page."
        ),
    )

    def choices(self) -> dict[Category, bool]:
        data = self.cleaned_data
        return {
            Category.MARKETING: data["marketing"],
            Category.PARTNER_OFFERS: data["partner_offers"],
            Category.OTHER: data["other_mail"],
            Category.LEGAL: data["legal_notices"],
        }
