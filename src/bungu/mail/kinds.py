"""What kind of message a mail is, and which of the customer's choices governs it (P21).

A kind is a dotted name ("account.verify", "legal.notice"); its first part picks the
category. The categories, not the kinds, are what a customer turns on and off.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum

from bungu.privacy import Purpose

from .exceptions import UnknownMailKind

# The header a sender sets to say what kind of mail it is; never sent on.
KIND_HEADER = "X-Bungu-Kind"
# P22: set by privacy on the last e-mail to an erased account, to that account's number: the
# outbox blanks the message once it is delivered or given up on, and journals it as an
# erasure of the account. Never sent on.
ERASE_AFTER_DELIVERY_HEADER = "X-Bungu-Erase-After-Delivery"

ACCOUNT_VERIFY = "account.verify"
ACCOUNT_PASSWORD_RESET = "account.password_reset"  # noqa: S105 - a kind of mail, not a secret
TRANSACTIONAL = "transactional"
LEGAL_NOTICE = "legal.notice"
MARKETING = "marketing"

_KIND = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
MAX_KIND_LENGTH = 64


class Category(StrEnum):
    # Sign-in, verification, password reset: sent whatever the preferences say, or a
    # customer could lock themselves out of their account.
    SECURITY = "security"
    # The answer to something the customer just did (an order, a question).
    TRANSACTIONAL = "transactional"
    # P21 "other mail": service news and the shop's newsletter.
    OTHER = "other"
    # P21, P24: changes to the notice. The notice applies even to those who stop these.
    LEGAL = "legal"
    MARKETING = "marketing"
    # P14: offers the shop sends itself on behalf of other businesses: marketing e-mail, with
    # a switch of its own (turning marketing off stops them too).
    PARTNER_OFFERS = "partner_offers"

    @property
    def may_be_stopped(self) -> bool:
        return self in {
            Category.OTHER,
            Category.LEGAL,
            Category.MARKETING,
            Category.PARTNER_OFFERS,
        }

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def purpose(self) -> Purpose | None:
        """What sending this category uses the customer's address for, in the notice's terms
        (P25); None for mail the notice's essential practices always cover."""
        return _PURPOSES.get(self)

    @property
    def ledger_practice(self) -> str:
        """The notice practice whose opt-out this category's switch is ("" if none)."""
        return _PRACTICES.get(self, "")


_LABELS = {
    Category.SECURITY: "account security e-mail",
    Category.TRANSACTIONAL: "e-mail about your orders and requests",
    Category.OTHER: "service news and other e-mail",
    Category.LEGAL: "e-mail about changes to our privacy notice",
    Category.MARKETING: "marketing e-mail",
    Category.PARTNER_OFFERS: "offers we send for other businesses",
}

_PURPOSES = {
    Category.OTHER: Purpose.NOTIFICATIONS,
    Category.LEGAL: Purpose.LEGAL_NOTICES,
    Category.MARKETING: Purpose.MARKETING_EMAIL,
    Category.PARTNER_OFFERS: Purpose.PARTNER_OFFERS,
}

_PRACTICES = {
    Category.MARKETING: f"{Purpose.MARKETING_EMAIL.value}@shop",
    Category.LEGAL: f"{Purpose.LEGAL_NOTICES.value}@shop",
    Category.PARTNER_OFFERS: f"{Purpose.PARTNER_OFFERS.value}@shop",
}

_BY_PREFIX = {
    "account": Category.SECURITY,
    "transactional": Category.TRANSACTIONAL,
    "order": Category.TRANSACTIONAL,
    "service": Category.OTHER,
    "news": Category.OTHER,
    "legal": Category.LEGAL,
    "marketing": Category.MARKETING,
    "partner": Category.PARTNER_OFFERS,
}


def category_of(kind: str) -> Category:
    """The category of a kind of mail. Raises UnknownMailKind for a malformed or unknown kind."""
    if len(kind) > MAX_KIND_LENGTH or not _KIND.fullmatch(kind):
        raise UnknownMailKind(f"{kind!r} is not a kind of mail (e.g. 'account.verify').")
    prefix = kind.split(".", 1)[0]
    try:
        return _BY_PREFIX[prefix]
    except KeyError:
        known = ", ".join(sorted(_BY_PREFIX))
        raise UnknownMailKind(
            f"Unknown kind of mail {kind!r}: it must start with {known}."
        ) from None


_current_kind: ContextVar[str | None] = ContextVar("bungu_mail_kind", default=None)


def current_kind() -> str | None:
    return _current_kind.get()


@contextmanager
def mail_kind(kind: str) -> Iterator[None]:
    """Mail sent through Django's API inside this block (by allauth, say) is of this kind::

        with mail_kind(ACCOUNT_PASSWORD_RESET):
            super().send_mail(template_prefix, email, context)

    Raises UnknownMailKind."""
    category_of(kind)
    token = _current_kind.set(kind)
    try:
        yield
    finally:
        _current_kind.reset(token)
