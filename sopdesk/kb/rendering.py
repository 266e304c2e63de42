"""Article text to HTML: Markdown (CommonMark plus tables and strikethrough), then an allow-list clean.

Article fields are written by staff but read by everyone, and a draft may be seeded from a
requester's ticket, so the text is treated as hostile: raw HTML in the source is shown as text
(the parser's `html` option is off), and the produced HTML passes nh3 with a short allow-list.
Links get `rel="noopener noreferrer nofollow"`; images are kept only when their address is a
relative path on this site (an article's own attachments), so a reader's browser never loads a
remote image chosen by an author.
"""

from __future__ import annotations

from functools import cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "a", "img",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}


@cache
def _parser() -> MarkdownIt:
    # html=False: raw HTML in an article is text; linkify stays off (no extra dependency).
    return MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(["table", "strikethrough"])


def _local_images_only(element: str, attribute: str, value: str) -> str | None:
    if element == "img" and attribute == "src":
        return value if value.startswith("/") and not value.startswith("//") else None
    return value


def render_article_text(text: str) -> SafeString:
    """Return `text` (Markdown) as cleaned HTML, safe to put into a page unescaped."""
    if not text:
        return mark_safe("")
    html = _parser().render(text)
    # Headings start at h2: the page's title is the only h1.
    for level in (5, 4, 3, 2, 1):  # deepest first, so no heading moves twice
        html = html.replace(f"<h{level}>", f"<h{level + 1}>").replace(f"</h{level}>", f"</h{level + 1}>")
    cleaned = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_local_images_only,
    )
    return mark_safe(cleaned)  # noqa: S308 - nh3's allow-list output
