"""A readable per-field diff between versions."""

from __future__ import annotations

import pytest

from sopdesk.accounts.models import User
from sopdesk.kb import actions
from sopdesk.kb.models import Article
from sopdesk.kb.tests.conftest import NOW, publish
from sopdesk.kb.versions import DiffLine, diff_contents, diff_lines

pytestmark = pytest.mark.django_db


def test_line_diff_keeps_unchanged_lines_and_shows_removed_before_added() -> None:
    assert diff_lines("a\nb\nc", "a\nB\nc\nd") == [
        DiffLine("equal", "a"),
        DiffLine("delete", "b"),
        DiffLine("insert", "B"),
        DiffLine("equal", "c"),
        DiffLine("insert", "d"),
    ]
    assert diff_lines("", "") == []


def test_versions_differ_field_by_field(draft: Article, agent: User, kb_admin: User) -> None:
    publish(draft, author=agent, approver=kb_admin)
    actions.update_article(
        draft,
        actor=agent,
        changes={"diagnosis": "Check the client log.\nTrace the route.", "article_type": "troubleshooting"},
        now=NOW,
    )
    publish(draft, author=agent, approver=kb_admin)
    first, second = draft.versions.order_by("number")

    diff = {field.field: field for field in diff_contents(first, second)}

    assert {name for name, field in diff.items() if field.changed} == {"diagnosis", "article_type"}
    assert diff["diagnosis"].lines == [
        DiffLine("equal", "Check the client log."),
        DiffLine("delete", "Ping the gateway."),
        DiffLine("insert", "Trace the route."),
    ]
    assert diff["article_type"].lines == [DiffLine("delete", "FAQ"), DiffLine("insert", "Troubleshooting")]
    assert diff["category"].lines == [DiffLine("equal", "网络 Network")]
    assert list(diff) == [
        "title", "article_type", "category", "visibility", "organizations", "tags",
        "problem", "diagnosis", "solution", "notes", "applies_to",
    ]  # fmt: skip
