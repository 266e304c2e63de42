"""Refusing control characters in untrusted text (pure logic)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sopdesk.lib.text import has_forbidden_characters


@pytest.mark.parametrize("value", ["NUL\x00byte", "bell\x07", "escape\x1b[31m", "del\x7f", "c1\x85control", "\x00"])
def test_nul_and_other_control_characters_are_forbidden(value: str) -> None:
    assert has_forbidden_characters(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain text",
        "lines\nand\r\nreturns\tand tabs",
        "<script>alert(1)</script>",
        "打印机无法打印",
        "emoji 🖨️ and zero-width\u200bjoiner",
        "'; DROP TABLE tickets; --",
    ],
)
def test_ordinary_text_markup_and_line_breaks_are_allowed(value: str) -> None:
    assert not has_forbidden_characters(value)


@given(st.text(alphabet=st.characters(blacklist_categories=["Cc"])))
def test_text_without_control_characters_is_always_allowed(value: str) -> None:
    assert not has_forbidden_characters(value)


@given(st.text(), st.characters(whitelist_categories=["Cc"], blacklist_characters="\n\r\t"), st.text())
def test_one_control_character_anywhere_is_enough_to_refuse(before: str, control: str, after: str) -> None:
    assert has_forbidden_characters(before + control + after)
