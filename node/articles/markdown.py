"""Markdown to safe HTML: markdown-it-py (CommonMark with tables, raw HTML off) renders
it, nh3 (the ammonia sanitizer) keeps only the tags, attributes and link schemes listed
here, so no script, event attribute or ``javascript:`` link survives either step."""

from __future__ import annotations

import html as entities
from typing import Final

import nh3
from markdown_it import MarkdownIt

_PARSER: Final = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(
    ["table", "strikethrough", "replacements", "smartquotes"]
)
_TAGS: Final = {
    "a", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "hr", "img", "li",
    "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES: Final = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}
_SCHEMES: Final = {"http", "https", "mailto"}


def sanitize(html: str, images: bool = True) -> str:
    """``html`` with only the allowed tags, attributes and link schemes (no images
    unless ``images``)."""
    return nh3.clean(
        html,
        tags=_TAGS if images else _TAGS - {"img"},
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def render(text: str, images: bool = True) -> str:
    """Markdown as sanitized HTML; a heading of level 1 becomes level 2 (the page's
    title is the one ``h1``). ``images`` False drops images (a circle's articles)."""
    html = _PARSER.render(text)
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return sanitize(html, images)


def plain(text: str, length: int = 200) -> str:
    """The first ``length`` characters of Markdown as plain text, for descriptions."""
    words = entities.unescape(nh3.clean(_PARSER.render(text), tags=set())).split()
    out = " ".join(words)
    return out if len(out) <= length else out[: length - 1].rsplit(" ", 1)[0] + "…"
