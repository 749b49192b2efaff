"""What a campaign says: the staff member's subject and body, with placeholders filled in,
wrapped by the marketing app's templates into a text and an HTML body.

Staff write plain text, not templates: a placeholder is ``{{ name }}`` from a short fixed
list, so nothing a campaign says can reach anything else the shop knows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import Context
from django.template.loader import get_template

from .exceptions import BadTemplate

PLACEHOLDERS = {
    "name": "the customer's name (or “there” when they gave none)",
    "shop_name": "the shop's name",
}
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
# A body is an e-mail, not a book.
MAX_BODY_LENGTH = 20_000


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
    *, subject: str, body: str, name: str, unsubscribe_url: str, preferences_url: str
) -> RenderedMessage:
    """The message as one customer receives it."""
    values = {"name": name.strip() or "there", "shop_name": settings.BUNGU_SHOP_NAME}
    context: dict[str, Any] = {
        "body": fill(body, values),
        "shop_name": settings.BUNGU_SHOP_NAME,
        "site_url": settings.BUNGU_SITE_URL,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url,
    }
    # Plain text is not HTML: rendered without escaping, so "Pens & Ink" stays as written.
    text = get_template("marketing/email/campaign.txt").template.render(  # type: ignore[attr-defined]
        Context(context, autoescape=False)
    )
    html = get_template("marketing/email/campaign.html").render(context)
    return RenderedMessage(" ".join(fill(subject, values).split())[:998], text, html)
