"""Checks for untrusted text. Pure logic."""

from __future__ import annotations

import unicodedata

_ALLOWED_CONTROLS = {"\n", "\r", "\t"}
# Control (Cc, tabs and line breaks included), format (Cf: bidirectional overrides and isolates,
# zero-width spaces and joiners, soft hyphen, BOM), surrogate (Cs) and line/paragraph separators.
_NOT_IN_NAMES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def has_forbidden_characters(value: str) -> bool:
    """Return True when `value` holds NUL or other control characters besides newline and tab.

    PostgreSQL cannot store NUL in text, so such input is refused up front instead of failing late.
    """
    return any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS for ch in value)


def has_forbidden_name_characters(value: str) -> bool:
    """Return True when a single-line name (title, tag, code) holds anything but visible text and spaces.

    Bidirectional overrides and zero-width characters make a name look like another (a title
    reading "invoice.pdf" that is stored as "fdp.eciovni"); file names lose them the same way.
    """
    return any(unicodedata.category(ch) in _NOT_IN_NAMES for ch in value)
