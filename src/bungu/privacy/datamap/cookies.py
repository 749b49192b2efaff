"""The cookie registry (P5, P10, P11): every cookie the shop sets, declared once.

Each app declares the cookies it sets in its ``personal_data.py``, beside its personal data::

    COOKIES = [Cookie("cart", setting="BUNGU_CART_COOKIE_NAME", purpose=..., ...)]

and the privacy app declares the ones Django sets for it (session, CSRF, messages). The
registry is read by the public cookie page, and by a test that drives the shop and fails on
any cookie a response sets that nobody declared.

A cookie whose name comes from a setting (the production profile renames the session and CSRF
cookies with the ``__Host-`` prefix) names that setting, and is looked up under the name the
setting gives it now.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

from bungu.privacy.datamap.declared import DeclarationRegistry
from bungu.privacy.datamap.taxonomy import Purpose

_PROMISE_IDS = frozenset(f"P{number}" for number in range(1, 27))


@dataclass(frozen=True, init=False)
class Cookie:
    """One cookie the shop may set in a visitor's browser."""

    default_name: str
    purpose: str
    # The longest the shop ever keeps it; None: it ends when the browser closes.
    max_age: timedelta | None
    # What stops working without it, in the words the cookie page shows (P11).
    needed_for: str
    essential: bool
    purposes: frozenset[Purpose]
    promises: tuple[str, ...]
    first_party: bool = True
    # A setting that renames the cookie (SESSION_COOKIE_NAME ...); its value wins.
    setting: str = ""

    def __init__(
        self,
        name: str,
        *,
        purpose: str,
        max_age: timedelta | None,
        needed_for: str,
        essential: bool,
        purposes: Iterable[Purpose],
        promises: Iterable[str],
        first_party: bool = True,
        setting: str = "",
    ) -> None:
        if not name or not purpose or not needed_for:
            raise ValueError("a cookie needs a name, a purpose and what it is needed for")
        if max_age is not None and max_age <= timedelta(0):
            raise ValueError(f"cookie {name!r}: max_age must be positive, or None")
        unknown = sorted(set(promises) - _PROMISE_IDS)
        if unknown or not promises:
            raise ValueError(f"cookie {name!r}: name the promises it serves (P1-P26): {unknown}")
        for attribute, value in (
            ("default_name", name),
            ("purpose", purpose),
            ("max_age", max_age),
            ("needed_for", needed_for),
            ("essential", essential),
            ("purposes", frozenset(Purpose(p) for p in purposes)),
            ("promises", tuple(promises)),
            ("first_party", first_party),
            ("setting", setting),
        ):
            object.__setattr__(self, attribute, value)

    @property
    def name(self) -> str:
        """The name the browser sees with the settings in force."""
        if self.setting:
            return str(getattr(settings, self.setting, self.default_name))
        return self.default_name

    def lifetime(self) -> str:
        """The lifetime in words, as the cookie page shows it."""
        if self.max_age is None:
            return "until you close the browser"
        days = self.max_age.days
        if days >= 365 and days % 365 == 0:
            years = days // 365
            return f"{years} year{'s' if years > 1 else ''}"
        if days >= 1:
            return f"up to {days} day{'s' if days > 1 else ''}"
        hours = max(1, int(self.max_age.total_seconds() // 3600))
        return f"up to {hours} hour{'s' if hours > 1 else ''}"


class UndeclaredCookie(LookupError):  # noqa: N818  # domain nouns (style.md)
    """A response set a cookie the registry does not know."""


class CookieRegistry(DeclarationRegistry[Cookie]):
    """Every declared cookie, by the name it has under the current settings."""

    attribute = "COOKIES"
    kind = Cookie
    noun = "cookie"

    def key(self, item: Cookie) -> str:
        return item.default_name

    def __iter__(self) -> Iterator[Cookie]:
        return iter(sorted(self._declared.values(), key=lambda c: (not c.essential, c.name)))

    def find(self, name: str) -> Cookie | None:
        return next((c for c in self._declared.values() if c.name == name), None)

    def get(self, name: str) -> Cookie:
        """The declaration of a cookie by its current name. Raises UndeclaredCookie."""
        cookie = self.find(name)
        if cookie is None:
            raise UndeclaredCookie(f"the shop set a cookie {name!r} that is not declared")
        return cookie

    def undeclared(self, names: Iterable[str]) -> list[str]:
        """The names among ``names`` that no declaration covers."""
        return sorted({name for name in names if self.find(name) is None})


cookie_registry = CookieRegistry()
