"""Checks for untrusted text. Pure logic."""

from __future__ import annotations

import unicodedata

_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def has_forbidden_characters(value: str) -> bool:
    """Return True when `value` holds NUL or other control characters besides newline and tab.

    PostgreSQL cannot store NUL in text, so such input is refused up front instead of failing late.
    """
    return any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS for ch in value)
