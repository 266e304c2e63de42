"""Shape knowledge-base rows as API answers (plain dicts)."""

from __future__ import annotations

from typing import Any

from sopdesk.accounts.models import User
from sopdesk.kb.choices import ArticleStatus
from sopdesk.kb.files import attachment_url, is_image, markdown_line
from sopdesk.kb.models import (
    Article,
    ArticleAttachment,
    ArticleCategory,
    ArticleFeedback,
    ArticleTicketLink,
    ArticleVersion,
    ReviewEntry,
)
from sopdesk.kb.queries import is_kb_staff
from sopdesk.kb.versions import FieldDiff
from sopdesk.tickets.api.serializers import user_ref


def category_out(category: ArticleCategory) -> dict[str, Any]:
    return {
        "code": category.code,
        "name": category.name,
        "parent": category.parent.code if category.parent is not None else None,
        "is_active": category.is_active,
        "sort_order": category.sort_order,
    }


def _content(content: Article | ArticleVersion) -> dict[str, Any]:
    return {
        "title": content.title,
        "article_type": content.article_type,
        "category": content.category.code if content.category is not None else None,
        "problem": content.problem,
        "diagnosis": content.diagnosis,
        "solution": content.solution,
        "notes": content.notes,
        "applies_to": content.applies_to,
        "visibility": content.visibility,
        # Prefetched by the callers: sorted here, not in the query.
        "organizations": sorted(org.name for org in content.organizations.all()),
        "tags": list(content.tags),
    }


def article_out(article: Article, *, user: User | Any) -> dict[str, Any]:
    """Staff see the working copy and its owner; other readers see the live version's content only."""
    staff = is_kb_staff(user)
    live = article.live_version
    content = article if staff or live is None else live
    return {
        "id": article.pk,
        # Readers only ever get published content, whatever the working copy is doing.
        "status": article.status if staff else ArticleStatus.PUBLISHED,
        "version": live.number if live is not None else None,
        **_content(content),
        "owner": user_ref(article.owner) if staff else None,
        "review_due_on": article.review_due_on if staff else None,
        "source_ticket": article.source_ticket.number if staff and article.source_ticket is not None else None,
        "views": article.view_count,
        "helpful_votes": article.helpful_count,
        "not_helpful_votes": article.not_helpful_count,
        "tickets_solved": article.solved_count,
        "created_at": article.created_at,
        "updated_at": article.updated_at if staff or live is None else live.published_at,
    }


def version_out(version: ArticleVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "published_at": version.published_at,
        "published_by": user_ref(version.published_by),
        **_content(version),
    }


def version_summary_out(version: ArticleVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "title": version.title,
        "published_at": version.published_at,
        "published_by": user_ref(version.published_by),
    }


def diff_out(fields: list[FieldDiff]) -> list[dict[str, Any]]:
    return [
        {
            "field": field.field,
            "label": field.label,
            "changed": field.changed,
            "lines": [{"op": line.op, "text": line.text} for line in field.lines],
        }
        for field in fields
    ]


def review_out(entry: ReviewEntry) -> dict[str, Any]:
    return {
        "kind": entry.kind,
        "author": user_ref(entry.author),
        "comment": entry.body,
        "version": entry.version_number,
        "created_at": entry.created_at,
    }


def feedback_out(feedback: ArticleFeedback) -> dict[str, Any]:
    return {
        "helpful": feedback.helpful,
        "suggestion": feedback.suggestion,
        "user": user_ref(feedback.user),
        "version": feedback.version_number,
        "created_at": feedback.created_at,
    }


def link_out(link: ArticleTicketLink) -> dict[str, Any]:
    return {
        "number": link.ticket.number,
        "title": link.ticket.title,
        "linked_by": user_ref(link.linked_by),
        "linked_at": link.linked_at,
    }


def attachment_out(attachment: ArticleAttachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "is_image": is_image(attachment),
        "url": attachment_url(attachment),
        "markdown": markdown_line(attachment),
        "uploaded_by": user_ref(attachment.uploaded_by),
        "created_at": attachment.created_at,
    }
