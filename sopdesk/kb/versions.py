"""A readable diff between two versions of an article (or a version and the working copy), field by field."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from django.utils.translation import gettext as _

from sopdesk.kb.choices import ArticleType, ArticleVisibility
from sopdesk.kb.models import Article, ArticleVersion

LineOp = Literal["equal", "delete", "insert"]


@dataclass(frozen=True)
class DiffLine:
    op: LineOp
    text: str


@dataclass(frozen=True)
class FieldDiff:
    field: str
    label: str
    changed: bool
    lines: list[DiffLine]


def _labels() -> dict[str, str]:
    return {
        "title": _("Title"),
        "article_type": _("Type"),
        "category": _("Category"),
        "visibility": _("Visibility"),
        "organizations": _("Organisations"),
        "tags": _("Tags"),
        "problem": _("Problem description"),
        "diagnosis": _("Diagnosis steps"),
        "solution": _("Solution"),
        "notes": _("Notes"),
        "applies_to": _("Applies to"),
    }


def readable_content(content: Article | ArticleVersion) -> dict[str, str]:
    """Return each field of `content` as the text a reader compares (labels for choices, names for references)."""
    category = content.category
    return {
        "title": content.title,
        "article_type": str(ArticleType(content.article_type).label),
        "category": category.name if category is not None else "",
        "visibility": str(ArticleVisibility(content.visibility).label),
        "organizations": "\n".join(sorted(org.name for org in content.organizations.all())),
        "tags": ", ".join(content.tags),
        "problem": content.problem,
        "diagnosis": content.diagnosis,
        "solution": content.solution,
        "notes": content.notes,
        "applies_to": content.applies_to,
    }


def diff_lines(old: str, new: str) -> list[DiffLine]:
    """Line diff of `old` → `new`: unchanged lines, removed lines, then added lines of each changed block."""
    before, after = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines.extend(DiffLine("equal", text) for text in before[i1:i2])
            continue
        lines.extend(DiffLine("delete", text) for text in before[i1:i2])
        lines.extend(DiffLine("insert", text) for text in after[j1:j2])
    return lines


def diff_contents(old: Article | ArticleVersion, new: Article | ArticleVersion) -> list[FieldDiff]:
    """Compare two article contents field by field, in reading order; unchanged fields are marked so."""
    before, after = readable_content(old), readable_content(new)
    labels = _labels()
    return [
        FieldDiff(
            field=name,
            label=labels[name],
            changed=before[name] != after[name],
            lines=diff_lines(before[name], after[name]),
        )
        for name in labels
    ]
