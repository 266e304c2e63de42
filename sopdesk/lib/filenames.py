"""Make untrusted upload file names safe to store and show. Pure logic."""

from __future__ import annotations

import unicodedata

MAX_NAME_LENGTH = 180
_FORBIDDEN = set('/\\:*?"<>|')


def sanitize_filename(raw: str, *, fallback: str = "attachment") -> str:
    """Return a file name without directories, control or reserved characters, and not hidden."""
    name = unicodedata.normalize("NFC", raw or "")
    # Keep only the last path component of either separator style.
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(
        "_" if ch in _FORBIDDEN else ch
        for ch in name
        if unicodedata.category(ch)[0] != "C"  # control, format (bidi overrides), unassigned
    )
    cleaned = cleaned.strip().strip(".").strip()
    if not cleaned:
        return fallback
    if len(cleaned) > MAX_NAME_LENGTH:
        stem, dot, ext = cleaned.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            cleaned = stem[: MAX_NAME_LENGTH - len(ext) - 1] + "." + ext
        else:
            cleaned = cleaned[:MAX_NAME_LENGTH]
    return cleaned


def extension_of(name: str) -> str:
    """Return the lower-case extension of `name` without the dot, or ''."""
    _, dot, ext = name.rpartition(".")
    return ext.lower() if dot else ""
