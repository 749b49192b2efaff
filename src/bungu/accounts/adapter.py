"""The shop's allauth adapter: labels each account e-mail with its kind for the outbox and
gives the e-mail templates the shop's name and address."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.urls import reverse

from bungu.mail.kinds import ACCOUNT_PASSWORD_RESET, ACCOUNT_VERIFY, mail_kind

# allauth's template prefix -> the kind of mail (bungu.mail), which decides that these are
# security mail: sent whatever the customer's e-mail choices say (P21), or they could lock
# themselves out.
_KINDS = {
    "account/email/email_confirmation": ACCOUNT_VERIFY,
    "account/email/email_confirmation_signup": ACCOUNT_VERIFY,
    "account/email/password_reset_key": ACCOUNT_PASSWORD_RESET,
    "account/email/unknown_account": ACCOUNT_PASSWORD_RESET,
}
ACCOUNT_NOTICE = "account.notice"


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # The wording is the shop's own (templates/account/email/), signed with its name.
        context = {
            **context,
            "shop_name": settings.BUNGU_SHOP_NAME,
            "site_url": settings.BUNGU_SITE_URL,
            "password_reset_page": settings.BUNGU_SITE_URL + reverse("account_reset_password"),
            "expiry_days": settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS,
        }
        with mail_kind(_KINDS.get(template_prefix, ACCOUNT_NOTICE)):
            super().send_mail(template_prefix, email, context)
