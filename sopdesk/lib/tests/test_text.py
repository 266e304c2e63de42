"""Refusing control characters in untrusted text (pure logic)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sopdesk.lib.text import has_forbidden_characters, has_forbidden_name_characters


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


# --- single-line names ----------------------------------------------------------------------

INVISIBLE = [
    "\u202e",  # right-to-left override
    "\u202d",  # left-to-right override
    "\u202a",  # left-to-right embedding
    "\u2066",  # left-to-right isolate
    "\u2069",  # pop directional isolate
    "\u200f",  # right-to-left mark
    "\u061c",  # Arabic letter mark
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\u2060",  # word joiner
    "\ufeff",  # zero-width no-break space (BOM)
    "\u00ad",  # soft hyphen
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
    "\ud800",  # a lone surrogate (cannot be stored as UTF-8)
    "\n",
    "\r",
    "\t",
    "\x00",
]


@pytest.mark.parametrize("character", INVISIBLE)
def test_names_refuse_direction_changing_invisible_and_line_breaking_characters(character: str) -> None:
    assert has_forbidden_name_characters(f"invoice{character}fdp.exe")


@pytest.mark.parametrize(
    "value", ["", "Printer on floor 3", "打印机无法打印（三楼）", "VPN – 连接失败", "Ünïcödé ok", "a b"]
)
def test_ordinary_names_in_any_script_are_allowed(value: str) -> None:
    assert not has_forbidden_name_characters(value)


@given(st.text(alphabet=st.characters(blacklist_categories=["Cc", "Cf", "Cs", "Zl", "Zp"])))
def test_names_of_visible_characters_and_spaces_are_always_allowed(value: str) -> None:
    assert not has_forbidden_name_characters(value)
