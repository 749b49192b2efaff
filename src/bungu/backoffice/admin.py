"""P13: the admin pages other packages register for customers' data are taken out of the
admin; staff read that data in the back office, for a purpose, logged.

allauth registers the customers' e-mail addresses, their second factors (TOTP secrets and
recovery codes) and their signed-in sessions (addresses, browsers). This app comes after
allauth in INSTALLED_APPS, so its admin module runs after theirs.
"""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib import admin

for model in (EmailAddress, Authenticator, UserSession):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
