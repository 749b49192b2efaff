"""The shop's allauth adapter: labels each account e-mail with its kind for the outbox, gives
the e-mail templates the shop's name and address, and gives a browser that signed in before
its own allowance of wrong passwords (``devices``)."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from bungu.mail.kinds import ACCOUNT_PASSWORD_RESET, ACCOUNT_VERIFY, mail_kind

from .devices import remember_device, trusted_device
from .summary import forget_summary

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
    def logout(self, request: HttpRequest) -> None:
        # The customer's summary (their name, their wish lists' names) leaves the cache.
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        super().logout(request)
        if user_id is not None:
            forget_summary(user_id=int(user_id))

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

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        login = str(credentials.get("email", ""))
        device = trusted_device(request, login=login)
        if device is None:
            super().pre_authenticate(request, **credentials)
            return
        # A browser that signed in to this account before counts against its own allowance,
        # never the account's, which strangers may have spent (see devices.py). allauth
        # rolls this usage back when the password is right, as it does its own.
        self._login_failed_rl_usage = ratelimit.consume(
            request,
            app="allauth.account",
            action="login_failed_device",
            config=settings.ACCOUNT_RATE_LIMITS,
            key=f"{self._get_login_attempts_cache_key(request, **credentials)}:{device}",
        )
        if not self._login_failed_rl_usage:
            raise self.validation_error("too_many_login_attempts")

    def post_login(
        self, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any
    ) -> HttpResponse:
        response: HttpResponse = super().post_login(request, user, **kwargs)
        remember_device(request, response, login=str(getattr(user, "email", "")))
        return response
