"""Sanitising untrusted upload file names (pure logic)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sopdesk.lib.filenames import MAX_NAME_LENGTH, extension_of, sanitize_filename


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("/absolute/path/to/log.txt", "log.txt"),
        ("C:\\Users\\alice\\screenshot.png", "screenshot.png"),
        ("a\u202egnp.exe", "agnp.exe"),  # right-to-left override hides the real extension
        ("evil\x00.png", "evil.png"),
        ("line\nbreak.txt", "linebreak.txt"),
        ('what?*<>|:".txt', "what_______.txt"),
        (".bashrc", "bashrc"),
        ("...", "attachment"),
        ("", "attachment"),
        ("   ", "attachment"),
        ("dir/", "attachment"),
        ("故障截图.png", "故障截图.png"),
        ("e\u0301te\u0301.txt", "été.txt"),  # decomposed accents are normalised to NFC
        ("trailing dot.", "trailing dot"),
    ],
)
def test_sanitize_filename_keeps_only_a_safe_last_component(raw: str, expected: str) -> None:
    assert sanitize_filename(raw) == expected


def test_sanitize_filename_uses_the_given_fallback_for_names_that_clean_to_nothing() -> None:
    assert sanitize_filename("../..", fallback="upload") == "upload"


def test_an_over_long_name_is_cut_but_keeps_its_extension() -> None:
    name = sanitize_filename("x" * 500 + ".pdf")
    assert len(name) == MAX_NAME_LENGTH
    assert name.endswith(".pdf")


def test_an_over_long_name_without_a_short_extension_is_cut_to_the_limit() -> None:
    name = sanitize_filename("y" * 500)
    assert name == "y" * MAX_NAME_LENGTH


@given(st.text(max_size=400))
def test_sanitize_filename_never_returns_separators_control_characters_or_nothing(raw: str) -> None:
    name = sanitize_filename(raw)
    assert name
    assert "/" not in name
    assert "\\" not in name
    assert not any(unicodedata.category(ch)[0] == "C" for ch in name)
    assert not name.startswith(".")
    assert name not in {".", ".."}
    assert name == name.strip()
    assert len(name) <= MAX_NAME_LENGTH


@given(st.text(max_size=400))
def test_sanitize_filename_is_idempotent(raw: str) -> None:
    once = sanitize_filename(raw)
    assert sanitize_filename(once) == once


@given(st.lists(st.sampled_from(["..", ".", "etc", "passwd", "a b", "x.png"]), min_size=1, max_size=8))
def test_path_traversal_sequences_never_survive(parts: list[str]) -> None:
    for separator in ("/", "\\"):
        name = sanitize_filename(separator.join(parts))
        assert ".." not in name.split("/")
        assert not name.startswith(".")


@pytest.mark.parametrize(
    ("name", "extension"),
    [("a.PNG", "png"), ("archive.tar.gz", "gz"), ("README", ""), ("a.", ""), ("x.Docx", "docx")],
)
def test_extension_of_returns_the_lower_case_last_extension(name: str, extension: str) -> None:
    assert extension_of(name) == extension
