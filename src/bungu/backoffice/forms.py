from django import forms


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label="Customer number or exact e-mail address", max_length=254, strip=True)
