"""Accessibility and CSP checks over rendered HTML, shared by the storefront's page tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

LANDMARKS = ("header", "nav", "main", "footer")
# Inputs a person never types into or that label themselves.
_UNLABELLED_INPUT_TYPES = {"hidden", "submit", "button", "reset", "image"}
DATA_SCRIPT_TYPES = {"application/ld+json"}


@dataclass
class _Page:
    lang: str | None = None
    h1_count: int = 0
    landmarks: set[str] = field(default_factory=set)
    label_targets: set[str] = field(default_factory=set)
    # (tag, id or None, labelled by itself or by a wrapping label)
    controls: list[tuple[str, str | None, bool]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = _Page()
        self._label_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        page = self.page
        if tag == "html":
            page.lang = attr.get("lang")
        elif tag == "h1":
            page.h1_count += 1
        elif tag == "img" and "alt" not in attr:
            page.problems.append(f"<img src={attr.get('src')!r}> has no alt attribute")
        elif tag == "label":
            self._label_depth += 1
            if attr.get("for"):
                page.label_targets.add(str(attr["for"]))
        elif tag in {"input", "select", "textarea"}:
            if tag == "input" and (attr.get("type") or "text") in _UNLABELLED_INPUT_TYPES:
                return
            named = bool(attr.get("aria-label") or attr.get("aria-labelledby"))
            page.controls.append((tag, attr.get("id"), named or self._label_depth > 0))
        elif tag == "script":
            if "src" not in attr and attr.get("type") not in DATA_SCRIPT_TYPES:
                page.problems.append("inline <script> without src")
        elif tag == "style":
            page.problems.append("inline <style> element")
        if tag in LANDMARKS:
            page.landmarks.add(tag)
        if "style" in attr:
            page.problems.append(f"style attribute on <{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._label_depth:
            self._label_depth -= 1


def page_problems(html: str) -> list[str]:
    """Everything on one rendered page that breaks the shop's accessibility and CSP rules."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    page = collector.page
    problems = list(page.problems)
    if not page.lang:
        problems.append("<html> has no lang")
    if page.h1_count != 1:
        problems.append(f"{page.h1_count} <h1> elements, expected exactly 1")
    problems.extend(
        f"no <{landmark}> landmark" for landmark in LANDMARKS if landmark not in page.landmarks
    )
    for tag, element_id, labelled in page.controls:
        if not labelled and (element_id is None or element_id not in page.label_targets):
            problems.append(f"<{tag} id={element_id!r}> has no label")
    return problems
