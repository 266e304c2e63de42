"""Safe highlighted snippets: a window of the original text around the first match, escaped, words marked."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.utils.html import escape

from sopdesk.search.segment import QueryWord

SNIPPET_LENGTH = 160


def snippet(text: str, words: Sequence[QueryWord], *, length: int = SNIPPET_LENGTH) -> str:
    """Return up to `length` characters of `text` around the first matched word, HTML-escaped, matches in <mark>."""
    flat = " ".join(text.split())
    if not words:
        return escape(flat[:length])
    # The words and the stems they also match (`connect` of `connecting` marks `connect` in `connection`).
    texts = {w.text for w in words} | {w.stem for w in words if w.stem}
    pattern = re.compile("|".join(re.escape(text) for text in sorted(texts, key=lambda t: (-len(t), t))), re.IGNORECASE)
    first = pattern.search(flat)
    start = 0 if first is None else max(0, first.start() - length // 4)
    window = flat[start : start + length]
    parts: list[str] = ["…" if start > 0 else ""]
    position = 0
    for found in pattern.finditer(window):
        parts.append(escape(window[position : found.start()]))
        parts.append(f"<mark>{escape(found.group())}</mark>")
        position = found.end()
    parts.append(escape(window[position:]))
    if start + length < len(flat):
        parts.append("…")
    return "".join(parts)
