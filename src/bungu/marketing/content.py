"""What a campaign says: the staff member's subject and body, with placeholders filled in,
wrapped by the marketing app's templates into a text and an HTML body.

Staff write plain text, not templates: a placeholder is ``{{ name }}`` from a short fixed
list, so nothing a campaign says can reach anything else the shop knows.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import Context
from django.template.loader import get_template
from django.utils.html import escape

from .exceptions import BadTemplate

PLACEHOLDERS = {
    "name": "the customer's name (or “there” when they gave none)",
    "shop_name": "the shop's name",
}
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
# A body is an e-mail, not a book.
MAX_BODY_LENGTH = 20_000
# The templates (``.txt``, ``.html``) that wrap a marketing campaign's body.
CAMPAIGN_TEMPLATE = "marketing/email/campaign"


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str


def check_placeholders(text: str) -> None:
    """Raises BadTemplate naming the first placeholder that is not on the list."""
    for match in _PLACEHOLDER.finditer(text):
        if match.group(1) not in PLACEHOLDERS:
            known = ", ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS)
            raise BadTemplate(
                f"Unknown placeholder {match.group(0)[:60]!r}: the ones filled in are {known}."
            )
    if "{{" in _PLACEHOLDER.sub("", text) or "}}" in _PLACEHOLDER.sub("", text):
        raise BadTemplate("A placeholder is not closed: write it as {{ name }}.")


def fill(text: str, values: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)


def render_message(
    *,
    subject: str,
    body: str,
    name: str,
    unsubscribe_url: str,
    preferences_url: str,
    template: str = CAMPAIGN_TEMPLATE,
    offer_code: str = "",
) -> RenderedMessage:
    """The message as one customer receives it (P14: with their offer code, if any)."""
    return _render(
        subject=subject,
        body=body,
        name=name.strip() or "there",
        unsubscribe_url=unsubscribe_url,
        preferences_url=preferences_url,
        template=template,
        offer_code=offer_code,
    )


@dataclass(frozen=True)
class PreparedMessage:
    """A campaign's message rendered once, with a random marker where each customer's name
    and unsubscribe link go: what ``render_message`` gives, for a fraction of its cost.

    The markers are letters and digits only, which escaping and ``linebreaks`` leave as they
    are, so filling them in (the name and link escaped for the HTML body, as the template
    would) gives the same text. A name with a line break would change the paragraphs
    ``linebreaks`` makes, so that customer's message is rendered in full instead."""

    subject: str
    body: str
    preferences_url: str
    template: str
    name_marker: str
    link_marker: str
    text: str
    html: str
    # P14: where a partner offer's code goes ("" for other campaigns).
    code_marker: str = ""

    @classmethod
    def of(
        cls,
        *,
        subject: str,
        body: str,
        preferences_url: str,
        template: str = CAMPAIGN_TEMPLATE,
        with_code: bool = False,
    ) -> PreparedMessage:
        marker = f"bungu{secrets.token_hex(12)}"
        name_marker, link_marker = f"{marker}name", f"{marker}link"
        code_marker = f"{marker}code" if with_code else ""
        rendered = _render(
            subject=subject,
            body=body,
            name=name_marker,
            unsubscribe_url=link_marker,
            preferences_url=preferences_url,
            template=template,
            offer_code=code_marker,
        )
        return cls(
            subject,
            body,
            preferences_url,
            template,
            name_marker,
            link_marker,
            rendered.text,
            rendered.html,
            code_marker,
        )

    def for_customer(
        self, *, name: str, unsubscribe_url: str, offer_code: str = ""
    ) -> RenderedMessage:
        if "\n" in name or "\r" in name:
            return render_message(
                subject=self.subject,
                body=self.body,
                name=name,
                unsubscribe_url=unsubscribe_url,
                preferences_url=self.preferences_url,
                template=self.template,
                offer_code=offer_code if self.code_marker else "",
            )
        name = name.strip() or "there"
        text = self.text.replace(self.name_marker, name).replace(self.link_marker, unsubscribe_url)
        html = self.html.replace(self.name_marker, escape(name)).replace(
            self.link_marker, escape(unsubscribe_url)
        )
        if self.code_marker:
            text = text.replace(self.code_marker, offer_code)
            html = html.replace(self.code_marker, escape(offer_code))
        values = {"name": name, "shop_name": settings.BUNGU_SHOP_NAME}
        return RenderedMessage(" ".join(fill(self.subject, values).split())[:998], text, html)


def _render(
    *,
    subject: str,
    body: str,
    name: str,
    unsubscribe_url: str,
    preferences_url: str,
    template: str,
    offer_code: str = "",
) -> RenderedMessage:
    values = {"name": name, "shop_name": settings.BUNGU_SHOP_NAME}
    context: dict[str, Any] = {
        "body": fill(body, values),
        "shop_name": settings.BUNGU_SHOP_NAME,
        "site_url": settings.BUNGU_SITE_URL,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url,
        "offer_code": offer_code,
    }
    # Plain text is not HTML: rendered without escaping, so "Pens & Ink" stays as written.
    text = get_template(f"{template}.txt").template.render(  # type: ignore[attr-defined]
        Context(context, autoescape=False)
    )
    html = get_template(f"{template}.html").render(context)
    return RenderedMessage(" ".join(fill(subject, values).split())[:998], text, html)
