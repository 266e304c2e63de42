"""Every change of the knowledge base: categories (configuration, audited), articles and their
lifecycle (draft → in review → published → outdated → archived), versions, feedback and ticket links.

The API, the admin and (later) the workspace call these and nothing else. Each article action
locks the article row, decides on it as it is now, writes a review entry for lifecycle steps and
announces the change after commit through `sopdesk.kb.hooks`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Organization, User
from sopdesk.audit.actions import field_values, record_config_change
from sopdesk.audit.choices import Operation
from sopdesk.core.errors import ActionError, NotFound, PermissionRefused, PreconditionFailed, TransitionRefused
from sopdesk.core.validation import ValidationFailed, validate_instance
from sopdesk.kb.choices import ArticleChange, ArticleStatus, ArticleType, ArticleVisibility, ReviewEntryKind
from sopdesk.kb.hooks import article_changed
from sopdesk.kb.models import (
    TAG_MAX_LENGTH,
    TAGS_MAX,
    TEXT_MAX_LENGTH,
    Article,
    ArticleAttachment,
    ArticleCategory,
    ArticleFeedback,
    ArticleTicketLink,
    ArticleVersion,
    ReviewEntry,
)
from sopdesk.lib.text import has_forbidden_characters, has_forbidden_name_characters
from sopdesk.tickets.attachments import check_upload
from sopdesk.tickets.choices import Status
from sopdesk.tickets.models import Ticket

# The fields an author writes; a publication freezes them (with the organisations) into a version.
CONTENT_FIELDS = (
    "title",
    "article_type",
    "category",
    "problem",
    "diagnosis",
    "solution",
    "notes",
    "applies_to",
    "visibility",
    "tags",
)
ARTICLE_FIELDS = (*CONTENT_FIELDS, "owner", "review_due_on")
NULLABLE_ARTICLE_FIELDS = frozenset({"category", "review_due_on"})
CATEGORY_FIELDS = ("code", "name", "parent", "is_active", "sort_order")
# Statuses in which the working copy may be edited; editing a published or outdated article
# starts a new draft (readers keep the live version until the next approval).
EDITABLE_STATUSES = frozenset({ArticleStatus.DRAFT, ArticleStatus.PUBLISHED, ArticleStatus.OUTDATED})


# --- permissions ----------------------------------------------------------------------------


def may_write_articles(user: User) -> bool:
    """Support staff who may change things write drafts, comment and link articles to tickets."""
    return user.is_active and user.is_agent_staff and not user.is_read_only


def may_approve_articles(user: User) -> bool:
    """Knowledge-base admins, administrators and superusers review, publish, withdraw and archive."""
    return user.is_active and (user.is_superuser or user.role in (Role.KB_ADMIN, Role.ADMIN))


def check_may_write_articles(actor: User) -> None:
    if not may_write_articles(actor):
        raise PermissionRefused(_("Only support staff may write knowledge-base articles."))


def check_may_approve_articles(actor: User | None) -> None:
    # None is a command run on the server.
    if actor is not None and not may_approve_articles(actor):
        raise PermissionRefused(_("Only knowledge-base admins may do this."))


# --- categories (configuration) -------------------------------------------------------------


def _check_category(category: ArticleCategory) -> None:
    validate_instance(category, fields=CATEGORY_FIELDS)
    errors: dict[str, list[str]] = {}
    if has_forbidden_name_characters(category.name):
        errors["name"] = [_("The name holds invisible or control characters.")]
    ancestor = category.parent
    seen: set[int] = set()
    while ancestor is not None:
        if ancestor.pk == category.pk or ancestor.pk in seen:
            errors["parent"] = [_("A category cannot be inside itself.")]
            break
        seen.add(ancestor.pk)
        ancestor = ancestor.parent
    if errors:
        raise ValidationFailed(errors)


def create_category(*, actor: User | None, values: Mapping[str, Any], now: datetime) -> ArticleCategory:
    """Add a knowledge-base category from `values` (CATEGORY_FIELDS; `parent` as a row or None)."""
    check_may_approve_articles(actor)
    _check_known(values, CATEGORY_FIELDS)
    category = ArticleCategory(**values)
    _check_category(category)
    with transaction.atomic():
        if ArticleCategory.objects.filter(code=category.code).exists():
            raise ValidationFailed({"code": [_("A category with this code exists.")]})
        category.save(force_insert=True)
        record_config_change(
            category,
            operation=Operation.CREATED,
            before={},
            after=field_values(category, CATEGORY_FIELDS),
            actor=actor,
            now=now,
        )
    return category


def update_category(
    category: ArticleCategory, *, actor: User | None, changes: Mapping[str, Any], now: datetime
) -> ArticleCategory:
    """Change fields of `category` (the code stays; deactivate instead of deleting)."""
    check_may_approve_articles(actor)
    _check_known(changes, CATEGORY_FIELDS)
    if "code" in changes:
        raise ValidationFailed({"code": [_("The code of a category cannot change.")]})
    with transaction.atomic():
        category = ArticleCategory.objects.select_for_update().get(pk=category.pk)
        before = field_values(category, CATEGORY_FIELDS)
        for name, value in changes.items():
            setattr(category, name, value)
        _check_category(category)
        category.save(update_fields=list(changes) or None)
        record_config_change(
            category,
            operation=Operation.CHANGED,
            before=before,
            after=field_values(category, CATEGORY_FIELDS),
            actor=actor,
            now=now,
        )
    return category


# --- articles -------------------------------------------------------------------------------


def _check_known(values: Mapping[str, Any], allowed: Sequence[str]) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValidationFailed({name: [_("Unknown field.")] for name in unknown})


def normalized_tags(tags: Sequence[str]) -> list[str]:
    """Return `tags` stripped, without empties or repeats (case-insensitive), in their first spelling."""
    seen: set[str] = set()
    result: list[str] = []
    for tag in tags:
        cleaned = " ".join(str(tag).split())
        if cleaned and cleaned.casefold() not in seen:
            seen.add(cleaned.casefold())
            result.append(cleaned)
    return result


def _check_article(article: Article, *, organizations: Sequence[Organization]) -> None:
    validate_instance(article, fields=[name for name in ARTICLE_FIELDS if name != "tags"])
    errors: dict[str, list[str]] = {}
    if not article.title.strip():
        errors["title"] = [_("This field is required.")]
    elif has_forbidden_name_characters(article.title):
        errors["title"] = [_("The title holds invisible or control characters.")]
    for name in ("problem", "diagnosis", "solution", "notes", "applies_to"):
        if has_forbidden_characters(getattr(article, name)):
            errors[name] = [_("The text holds control characters.")]
    tags = article.tags
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        errors["tags"] = [_("Give the tags as a list of texts.")]
    elif len(tags) > TAGS_MAX:
        errors["tags"] = [_("At most %(count)d tags.") % {"count": TAGS_MAX}]
    elif any(len(tag) > TAG_MAX_LENGTH or has_forbidden_name_characters(tag) for tag in tags):
        errors["tags"] = [
            _("A tag has at most %(length)d visible characters.") % {"length": TAG_MAX_LENGTH},
        ]
    if article.category_id is not None and not article.category.is_active:  # type: ignore[union-attr]
        errors["category"] = [_("This category is no longer in use.")]
    if article.visibility == ArticleVisibility.ORGANIZATIONS and not organizations:
        errors["organizations"] = [_("Name the organisations whose customers may read this article.")]
    if not article.owner.is_active or not article.owner.is_agent_staff:
        errors["owner"] = [_("The owner must be an active member of the support staff.")]
    if errors:
        raise ValidationFailed(errors)


@contextmanager
def _changing(article: Article) -> Iterator[Article]:
    """Open the action's transaction with `article` locked and reloaded."""
    with transaction.atomic():
        try:
            article.refresh_from_db(from_queryset=Article.objects.select_for_update(of=("self",)))
        except Article.DoesNotExist:
            raise NotFound(_("No such article.")) from None
        yield article


def _review(article: Article, *, kind: ReviewEntryKind, actor: User, body: str, now: datetime) -> ReviewEntry:
    if has_forbidden_characters(body) or len(body) > TEXT_MAX_LENGTH:
        raise ValidationFailed({"comment": [_("The comment holds control characters or is too long.")]})
    version = article.live_version.number if article.live_version_id is not None else None  # type: ignore[union-attr]
    entry = ReviewEntry(article=article, kind=kind, author=actor, body=body, version_number=version, created_at=now)
    entry.save(force_insert=True)
    return entry


def _save(article: Article, *, now: datetime, fields: Sequence[str]) -> None:
    article.updated_at = now
    article.save(update_fields=[*dict.fromkeys(fields), "updated_at"])


def create_article(
    *,
    actor: User,
    values: Mapping[str, Any],
    organizations: Sequence[Organization] = (),
    now: datetime,
    source_ticket: Ticket | None = None,
) -> Article:
    """Write a new draft owned by `actor` (or `values["owner"]`) from `values` (ARTICLE_FIELDS)."""
    check_may_write_articles(actor)
    _check_known(values, ARTICLE_FIELDS)
    fields = {"owner": actor, **values}
    fields["tags"] = normalized_tags(fields["tags"]) if isinstance(fields.get("tags"), list) else fields.get("tags", [])
    if fields["owner"] != actor:
        check_may_approve_articles(actor)
    article = Article(**fields, status=ArticleStatus.DRAFT, source_ticket=source_ticket, created_at=now, updated_at=now)
    _check_article(article, organizations=organizations)
    with transaction.atomic():
        article.save(force_insert=True)
        article.organizations.set(organizations)
        article_changed(article.pk, ArticleChange.SAVED)
    return article


def update_article(
    article: Article,
    *,
    actor: User,
    changes: Mapping[str, Any],
    organizations: Sequence[Organization] | None = None,
    now: datetime,
    expected_updated_at: datetime | None = None,
) -> Article:
    """Change the working copy; a published or outdated article becomes a draft again.

    Readers keep the live version until the next approval. An article in review is refused
    (a reviewer requests changes first); an archived one too (restore a version instead).
    Giving the article to another owner is a knowledge-base admin's (or the owner's) decision.
    With `expected_updated_at` (when the editor read the article), a change saved by someone
    else since then is refused (412) instead of overwritten.
    """
    check_may_write_articles(actor)
    _check_known(changes, ARTICLE_FIELDS)
    nulls = sorted(name for name, value in changes.items() if value is None and name not in NULLABLE_ARTICLE_FIELDS)
    if nulls:
        raise ValidationFailed({name: [_("This field cannot be null.")] for name in nulls})
    with _changing(article):
        if expected_updated_at is not None and article.updated_at != expected_updated_at:
            raise PreconditionFailed(
                _("Someone changed this article since you opened it; copy your text, reload and edit again.")
            )
        if article.status not in EDITABLE_STATUSES:
            raise TransitionRefused(
                _("An article in review or archived cannot be edited; request changes or restore a version first.")
            )
        if "owner" in changes and changes["owner"] != article.owner and article.owner_id != actor.pk:
            check_may_approve_articles(actor)
        for name, value in changes.items():
            setattr(article, name, normalized_tags(value) if name == "tags" and isinstance(value, list) else value)
        current = list(organizations) if organizations is not None else list(article.organizations.all())
        _check_article(article, organizations=current)
        fields = list(changes)
        if article.status != ArticleStatus.DRAFT:
            article.status = ArticleStatus.DRAFT
            fields.append("status")
        _save(article, now=now, fields=fields)
        if organizations is not None:
            article.organizations.set(organizations)
        article_changed(article.pk, ArticleChange.SAVED)
    return article


def submit_for_review(article: Article, *, actor: User, comment: str = "", now: datetime) -> ReviewEntry:
    """Send a draft to the knowledge-base admins; it needs a title and a solution."""
    check_may_write_articles(actor)
    with _changing(article):
        if article.status != ArticleStatus.DRAFT:
            raise TransitionRefused(_("Only a draft can be submitted for review."))
        if not article.solution.strip():
            raise ValidationFailed({"solution": [_("An article needs a solution before review.")]})
        article.status = ArticleStatus.IN_REVIEW
        _save(article, now=now, fields=["status"])
        return _review(article, kind=ReviewEntryKind.SUBMITTED, actor=actor, body=comment, now=now)


def comment_on_article(article: Article, *, actor: User, comment: str, now: datetime) -> ReviewEntry:
    """Add a review comment (any status)."""
    check_may_write_articles(actor)
    if not comment.strip():
        raise ValidationFailed({"comment": [_("Write a comment.")]})
    with _changing(article):
        return _review(article, kind=ReviewEntryKind.COMMENT, actor=actor, body=comment, now=now)


def request_changes(article: Article, *, actor: User, comment: str, now: datetime) -> ReviewEntry:
    """Send an article in review back to draft with what to change (knowledge-base admins)."""
    check_may_approve_articles(actor)
    if not comment.strip():
        raise ValidationFailed({"comment": [_("Say what should change.")]})
    with _changing(article):
        if article.status != ArticleStatus.IN_REVIEW:
            raise TransitionRefused(_("Only an article in review can be sent back."))
        article.status = ArticleStatus.DRAFT
        _save(article, now=now, fields=["status"])
        return _review(article, kind=ReviewEntryKind.CHANGES_REQUESTED, actor=actor, body=comment, now=now)


def approve_article(article: Article, *, actor: User, comment: str = "", now: datetime) -> ArticleVersion:
    """Publish an article in review as its next version (knowledge-base admins); readers see it from now."""
    check_may_approve_articles(actor)
    with _changing(article):
        if article.status != ArticleStatus.IN_REVIEW:
            raise TransitionRefused(_("Only an article in review can be approved."))
        organizations = list(article.organizations.all())
        _check_article(article, organizations=organizations)
        last = article.versions.order_by("-number").values_list("number", flat=True).first() or 0
        version = ArticleVersion(
            article=article,
            number=last + 1,
            published_at=now,
            published_by=actor,
            **{name: getattr(article, name) for name in CONTENT_FIELDS},
        )
        version.save(force_insert=True)
        version.organizations.set(organizations)
        article.status = ArticleStatus.PUBLISHED
        article.live_version = version
        _save(article, now=now, fields=["status", "live_version"])
        _review(article, kind=ReviewEntryKind.APPROVED, actor=actor, body=comment, now=now)
        article_changed(article.pk, ArticleChange.PUBLISHED)
    return version


def mark_outdated(article: Article, *, actor: User, comment: str = "", now: datetime) -> ReviewEntry:
    """Withdraw a published article from readers as outdated (knowledge-base admins or its owner)."""
    check_may_write_articles(actor)
    with _changing(article):
        if article.owner_id != actor.pk:
            check_may_approve_articles(actor)
        if article.status != ArticleStatus.PUBLISHED:
            raise TransitionRefused(_("Only a published article can be marked outdated."))
        return _withdraw(article, status=ArticleStatus.OUTDATED, actor=actor, comment=comment, now=now)


def archive_article(article: Article, *, actor: User, comment: str = "", now: datetime) -> ReviewEntry:
    """Archive an article in any status (knowledge-base admins); readers no longer see it."""
    check_may_approve_articles(actor)
    with _changing(article):
        if article.status == ArticleStatus.ARCHIVED:
            raise TransitionRefused(_("The article is archived already."))
        return _withdraw(article, status=ArticleStatus.ARCHIVED, actor=actor, comment=comment, now=now)


def _withdraw(article: Article, *, status: ArticleStatus, actor: User, comment: str, now: datetime) -> ReviewEntry:
    kind = ReviewEntryKind.OUTDATED if status == ArticleStatus.OUTDATED else ReviewEntryKind.ARCHIVED
    entry = _review(article, kind=kind, actor=actor, body=comment, now=now)
    article.status = status
    article.live_version = None
    _save(article, now=now, fields=["status", "live_version"])
    article_changed(article.pk, ArticleChange.WITHDRAWN)
    return entry


def restore_version(article: Article, *, number: int, actor: User, now: datetime) -> ReviewEntry:
    """Copy version `number` back into the working copy as a new draft (publishing it makes a new version).

    The versions themselves never change; readers keep the live version until the next approval.
    """
    check_may_write_articles(actor)
    with _changing(article):
        version = article.versions.filter(number=number).first()
        if version is None:
            raise NotFound(_("No such version."))
        if article.status == ArticleStatus.IN_REVIEW:
            raise TransitionRefused(_("An article in review cannot be changed; request changes first."))
        if article.status == ArticleStatus.ARCHIVED:
            check_may_approve_articles(actor)
        for name in CONTENT_FIELDS:
            setattr(article, name, getattr(version, name))
        organizations = list(version.organizations.all())
        if article.category_id is not None and not article.category.is_active:  # type: ignore[union-attr]
            article.category = None
        article.status = ArticleStatus.DRAFT
        _save(article, now=now, fields=[*CONTENT_FIELDS, "status"])
        article.organizations.set(organizations)
        entry = ReviewEntry(
            article=article,
            kind=ReviewEntryKind.RESTORED,
            author=actor,
            body="",
            version_number=version.number,
            created_at=now,
        )
        entry.save(force_insert=True)
        article_changed(article.pk, ArticleChange.SAVED)
    return entry


# --- what the workspace offers ----------------------------------------------------------------

# Lifecycle steps and other changes a page may offer, by name.
STEPS = ("edit", "submit", "comment", "request_changes", "approve", "mark_outdated", "archive", "restore", "attach")


def offered_steps(article: Article, *, actor: User) -> frozenset[str]:
    """The steps of STEPS that the actions above would accept from `actor` on `article` as it is now.

    Pages show a button only for these. Content checks (a solution before review, the
    organisations of a limited article) are still the action's; a refused step explains itself.
    """
    if not may_write_articles(actor):
        return frozenset()
    approver = may_approve_articles(actor)
    status = article.status
    steps = {"comment"}
    if status in EDITABLE_STATUSES:
        steps.add("edit")
    if status == ArticleStatus.DRAFT:
        steps.add("submit")
    if status == ArticleStatus.IN_REVIEW and approver:
        steps |= {"request_changes", "approve"}
    if status == ArticleStatus.PUBLISHED and (approver or article.owner_id == actor.pk):
        steps.add("mark_outdated")
    if status != ArticleStatus.ARCHIVED and approver:
        steps.add("archive")
    if status != ArticleStatus.IN_REVIEW and (status != ArticleStatus.ARCHIVED or approver):
        steps.add("restore")
    if status != ArticleStatus.ARCHIVED:
        steps.add("attach")
    return frozenset(steps)


# --- attachments ----------------------------------------------------------------------------


def add_article_attachment(article: Article, *, actor: User, upload: UploadedFile, now: datetime) -> ArticleAttachment:
    """Check and store a file or image for `article` under a generated name (writers; not on archived articles).

    The working copy refers to it by its address (`kb.files.attachment_url`); readers get it while
    they may read the article.
    """
    check_may_write_articles(actor)
    checked = check_upload(upload)
    with _changing(article):
        if article.status == ArticleStatus.ARCHIVED:
            raise TransitionRefused(_("An archived article takes no new files; restore a version first."))
        attachment = ArticleAttachment(
            article=article,
            uploaded_by=actor,
            original_name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            created_at=now,
        )
        attachment.file.save(checked.name, upload, save=False)
        attachment.save(force_insert=True)
    return attachment


# --- readers: views and feedback --------------------------------------------------------------


def record_article_view(article: Article) -> None:
    """Count one reading of `article` (the caller has checked that the reader may see it)."""
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


def _has_voted(article: Article, *, user: User, version: int | None) -> bool:
    votes = ArticleFeedback.objects.filter(article=article, user=user, version_number=version, helpful__isnull=False)
    return votes.exists()


def give_feedback(
    article: Article, *, user: User | None, helpful: bool | None, suggestion: str, now: datetime
) -> ArticleFeedback:
    """Record a reader's vote and/or suggested correction on the version they read.

    A signed-in reader votes once per version: a second vote is refused (or, with a suggestion,
    only the suggestion is kept). Anonymous readers are held to one vote per session by the page.
    """
    suggestion = suggestion.strip()
    if helpful is None and not suggestion:
        raise ValidationFailed({"helpful": [_("Rate the article or suggest a correction.")]})
    if has_forbidden_characters(suggestion):
        raise ValidationFailed({"suggestion": [_("The text holds control characters.")]})
    if len(suggestion) > TEXT_MAX_LENGTH:
        raise ValidationFailed({"suggestion": [_("The text is too long.")]})
    with _changing(article):
        version = article.live_version.number if article.live_version_id is not None else None  # type: ignore[union-attr]
        if helpful is not None and user is not None and _has_voted(article, user=user, version=version):
            # One vote per reader and version, so the counters say how many readers it helped.
            if not suggestion:
                raise ValidationFailed({"helpful": [_("You have already rated this version of the article.")]})
            helpful = None
        feedback = ArticleFeedback(
            article=article, user=user, helpful=helpful, suggestion=suggestion, version_number=version, created_at=now
        )
        feedback.save(force_insert=True)
        if helpful is not None:
            counter = "helpful_count" if helpful else "not_helpful_count"
            Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    return feedback


# --- tickets --------------------------------------------------------------------------------


def _recount_solved(article: Article) -> None:
    Article.objects.filter(pk=article.pk).update(solved_count=article.ticket_links.count())


def _check_sees_ticket(actor: User, ticket: Ticket) -> None:
    if not Ticket.objects.visible_to(actor, by_key=True).filter(pk=ticket.pk).exists():
        raise NotFound(_("No such ticket."))


def link_ticket(article: Article, *, ticket: Ticket, actor: User, now: datetime) -> ArticleTicketLink:
    """Record that `ticket` (one `actor` may see) was solved with `article`."""
    check_may_write_articles(actor)
    _check_sees_ticket(actor, ticket)
    with _changing(article):
        existing = article.ticket_links.filter(ticket=ticket).first()
        if existing is not None:
            return existing
        link = ArticleTicketLink(article=article, ticket=ticket, linked_by=actor, linked_at=now)
        try:
            with transaction.atomic():
                link.save(force_insert=True)
        except IntegrityError:  # pragma: no cover - the article row lock serialises links
            raise ActionError(_("The ticket is linked already.")) from None
        _recount_solved(article)
    return link


def unlink_ticket(article: Article, *, ticket: Ticket, actor: User) -> None:
    """Remove the link between `article` and `ticket` (a no-op when there is none)."""
    check_may_write_articles(actor)
    with _changing(article):
        article.ticket_links.filter(ticket=ticket).delete()
        _recount_solved(article)


def may_seed_article(ticket: Ticket) -> bool:
    """Whether `ticket` can seed a draft article: resolved or closed, with a closure summary."""
    return ticket.status in (Status.RESOLVED, Status.CLOSED) and ticket.has_closure_summary


def draft_from_ticket(ticket: Ticket, *, actor: User, now: datetime) -> Article:
    """Seed a draft troubleshooting article from a resolved ticket's closure summary (internal until reviewed)."""
    check_may_write_articles(actor)
    _check_sees_ticket(actor, ticket)
    if not may_seed_article(ticket):
        raise TransitionRefused(_("Only a resolved ticket with a closure summary can seed an article."))
    values = {
        "title": ticket.title[:200],
        "article_type": ArticleType.TROUBLESHOOTING,
        "problem": ticket.closure_problem,
        "diagnosis": ticket.closure_diagnosis,
        "solution": ticket.closure_solution,
        "notes": ticket.closure_recommendations,
        "visibility": ArticleVisibility.INTERNAL,
    }
    return create_article(actor=actor, values=values, now=now, source_ticket=ticket)
