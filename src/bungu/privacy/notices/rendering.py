"""Notice text: Markdown written by the shop, rendered, then cleaned with an allow-list.

Raw HTML in the source is shown as text (Markdown is told not to pass it through), and the
rendered HTML goes through nh3 (the Ammonia sanitiser), which keeps only the tags,
attributes and link schemes listed here. So a slip in a notice (or a compromised staff
account) cannot put a script, an event handler, a style or a ``javascript:`` link on the
shop's most-read legal page, whatever Markdown or its extensions produce.
"""

from __future__ import annotations

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension

# What Markdown and the extensions used below produce for ordinary formatting; nothing else.
ALLOWED_TAGS = frozenset(
    {
        "a", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
        "img", "li", "ol", "p", "pre", "strong", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    # The "toc" extension gives headings ids, so a section of the notice can be linked to.
    **{f"h{level}": {"id"} for level in range(1, 7)},
}
# Links may point at the web, an e-mail address, or (relative) the shop's own pages.
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})


class _RawHtmlAsText(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802  # Markdown's API
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


def clean_html(html: str) -> str:
    """``html`` with only the allowed tags, attributes and URL schemes left."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        # The shop's pages send no referrer off the site already (Referrer-Policy).
        link_rel=None,
    )


def render_notice_text(text: str) -> SafeString:
    """The notice's Markdown as HTML that holds no markup outside the allow-list."""
    html = markdown.markdown(text, extensions=[_RawHtmlAsText(), "sane_lists", "toc"])
    return mark_safe(clean_html(html))  # noqa: S308 - cleaned by nh3 with an allow-list  # nosec
