"""Notice text: Markdown written by the shop, rendered so that it can only ever be text.

Raw HTML in the source is shown as text rather than passed through, and links may only
point at http(s), mailto or the shop's own pages, so a slip in a notice (or a compromised
staff account) cannot put a script on the shop's most-read legal page.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

import markdown
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

_SAFE_SCHEMES = frozenset({"", "http", "https", "mailto"})
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")


def is_safe_url(url: str) -> bool:
    return urlsplit(_CONTROL.sub("", url)).scheme.lower() in _SAFE_SCHEMES


class _SafeLinks(Treeprocessor):
    def run(self, root: Element) -> None:
        for element in root.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if value is not None and not is_safe_url(value):
                    del element.attrib[attribute]


class _TextOnly(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802  # Markdown's API
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_SafeLinks(md), "bungu_safe_links", 0)


def render_notice_text(text: str) -> SafeString:
    """The notice's Markdown as HTML that holds no markup the source did not ask for."""
    html = markdown.markdown(text, extensions=[_TextOnly(), "sane_lists", "toc"])
    return mark_safe(html)  # noqa: S308  # raw HTML is disabled and URLs are checked above
