"""Article Markdown becomes clean HTML: hostile input never becomes markup or a remote load."""

from __future__ import annotations

import re

import pytest

from sopdesk.kb.rendering import render_article_text


def test_markdown_structure_is_rendered() -> None:
    html = render_article_text("# 步骤\n\n1. 打开 **设置**\n2. 选择 `网络`\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<h2>步骤</h2>" in html
    assert "<ol>" in html
    assert "<strong>设置</strong>" in html
    assert "<code>网络</code>" in html
    assert "<table>" in html
    assert "<td>1</td>" in html


def test_headings_move_down_one_level_each() -> None:
    html = render_article_text("# one\n\n## two\n\n###### six")
    assert "<h2>one</h2>" in html
    assert "<h3>two</h3>" in html
    assert "<h6>six</h6>" in html
    assert "<h1>" not in html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="https://x" onclick="alert(1)">x</a>',
        "<iframe src='https://evil'></iframe>",
    ],
)
def test_hostile_text_never_becomes_markup(hostile: str) -> None:
    html = render_article_text(hostile)
    assert not re.search(r"<(script|iframe|img)", html)
    assert not re.search(r"<[a-z][^>]*\son\w+=", html)  # no live event handler attribute
    assert 'href="javascript:' not in html


def test_links_get_safe_rel_and_remote_images_are_dropped() -> None:
    html = render_article_text(
        "[docs](https://example.com) ![remote](https://evil.example/p.png) ![ours](/kb/files/3/a.png)"
    )
    assert 'rel="noopener noreferrer nofollow"' in html
    assert "evil.example" not in html
    assert 'src="/kb/files/3/a.png"' in html


def test_protocol_relative_image_is_dropped() -> None:
    assert "evil" not in render_article_text("![x](//evil.example/p.png)")


def test_empty_text_is_empty() -> None:
    assert render_article_text("") == ""
