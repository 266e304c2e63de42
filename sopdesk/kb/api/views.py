"""Knowledge-base endpoints: parse, authorize, call an action or a query, shape."""

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Path, Query, Router, Status
from ninja.files import UploadedFile

from sopdesk.accounts.models import Organization, User
from sopdesk.core.api import check_form_parts, check_query_parameters, error_responses, request_user
from sopdesk.core.errors import NotFound, PermissionRefused
from sopdesk.core.validation import ValidationFailed, check_no_nulls
from sopdesk.kb import actions
from sopdesk.kb.api import serializers
from sopdesk.kb.api.schemas import (
    ArticleAttachmentOut,
    ArticleCommentIn,
    ArticleDiffOut,
    ArticleDiffParams,
    ArticleFeedbackIn,
    ArticleFeedbackOut,
    ArticleIn,
    ArticleListParams,
    ArticleOut,
    ArticlePage,
    ArticlePath,
    ArticleReviewEntryOut,
    ArticleTicketLinkOut,
    ArticleTicketLinkPath,
    ArticleTransitionIn,
    ArticleUpdateIn,
    ArticleVersionOut,
    ArticleVersionPath,
    ArticleVersionSummaryOut,
    KbCategoryIn,
    KbCategoryOut,
    KbCategoryPath,
    KbCategoryUpdateIn,
)
from sopdesk.kb.models import Article, ArticleCategory, ArticleVersion
from sopdesk.kb.queries import category_codes_below, get_article_for_user, is_kb_staff
from sopdesk.kb.versions import diff_contents
from sopdesk.tickets.models import Ticket
from sopdesk.tickets.queries import get_ticket_for_user

router = Router(tags=["kb_articles"])
categories_router = Router(tags=["kb_categories"])
tickets_router = Router(tags=["kb_articles"])

ERRORS = error_responses(400, 401, 403, 404, 409, 422)


# --- categories -----------------------------------------------------------------------------


def _category(code: str) -> ArticleCategory:
    category: ArticleCategory | None = ArticleCategory.objects.select_related("parent").filter(code=code).first()
    if category is None:
        raise NotFound(_("No such category."))
    return category


def _parent(code: str | None) -> ArticleCategory | None:
    if code is None:
        return None
    parent: ArticleCategory | None = ArticleCategory.objects.filter(code=code).first()
    if parent is None:
        raise ValidationFailed({"parent": [_("Unknown code “%(code)s”.") % {"code": code}]})
    return parent


@categories_router.get("/categories", response={200: list[KbCategoryOut], **ERRORS})
def list_categories(request: HttpRequest) -> list[dict[str, Any]]:
    """The category tree as a flat list in display order (staff also see inactive categories)."""
    rows = ArticleCategory.objects.select_related("parent").order_by("sort_order", "code")
    if not is_kb_staff(request_user(request)):
        rows = rows.filter(is_active=True)
    return [serializers.category_out(row) for row in rows]


@categories_router.post("/categories", response={201: KbCategoryOut, **ERRORS})
@transaction.atomic
def create_category(request: HttpRequest, payload: KbCategoryIn) -> Status[Any]:
    """Add a category (knowledge-base admins; recorded in the configuration audit log)."""
    actor = request_user(request)
    actions.check_may_approve_articles(actor)
    values = payload.dict()
    values["parent"] = _parent(values["parent"])
    category = actions.create_category(actor=actor, values=values, now=timezone.now())
    return Status(201, serializers.category_out(_category(category.code)))


@categories_router.patch("/categories/{code}", response={200: KbCategoryOut, **ERRORS})
@transaction.atomic
def update_category(request: HttpRequest, path: Path[KbCategoryPath], payload: KbCategoryUpdateIn) -> dict[str, Any]:
    """Change a category; omitted fields stay, `parent: null` makes it a top category."""
    actor = request_user(request)
    actions.check_may_approve_articles(actor)
    category = _category(path.code)
    changes = payload.dict(exclude_unset=True)
    if "parent" in changes:
        changes["parent"] = _parent(changes["parent"])
    check_no_nulls(changes, nullable=("parent",))
    actions.update_category(category, actor=actor, changes=changes, now=timezone.now())
    return serializers.category_out(_category(path.code))


# --- articles -------------------------------------------------------------------------------


def _article_rows(user: User) -> QuerySet[Article]:
    return (
        Article.objects.visible_to(user)
        .select_related("category", "owner", "source_ticket", "live_version__category")
        .prefetch_related(
            Prefetch("organizations", queryset=Organization.objects.only("id", "name")),
            Prefetch("live_version__organizations", queryset=Organization.objects.only("id", "name")),
        )
    )


def _article(user: User, article_id: int) -> Article:
    article: Article | None = _article_rows(user).filter(pk=article_id).first()
    if article is None:
        raise NotFound(_("No such article."))
    return article


def _staff_article(user: User, article_id: int) -> Article:
    """An article for a staff-only sub-resource: unseen is 404, seen by a reader is 403."""
    article = get_article_for_user(user, article_id)
    if not is_kb_staff(user):
        raise PermissionRefused(_("Only support staff may do this."))
    return article


def _references(values: dict[str, Any]) -> tuple[dict[str, Any], list[Organization] | None]:
    """Replace category and owner codes by rows; return the organisations named (None: not given)."""
    errors: dict[str, list[str]] = {}
    if values.get("category") is not None:
        category = ArticleCategory.objects.filter(code=values["category"]).first()
        if category is None:
            errors["category"] = [_("Unknown code “%(code)s”.") % {"code": values["category"]}]
        values["category"] = category
    if values.get("owner") is not None:
        owner = User.objects.filter(username=values["owner"]).first()
        if owner is None:
            errors["owner"] = [_("No such user.")]
        values["owner"] = owner
    organizations: list[Organization] | None = None
    if "organizations" in values:
        names = values.pop("organizations")
        if names is not None:
            organizations = list(Organization.objects.filter(name__in=names))
            unknown = sorted(set(names) - {org.name for org in organizations})
            if unknown:
                errors["organizations"] = [_("Unknown organisation “%(name)s”.") % {"name": name} for name in unknown]
    if errors:
        raise ValidationFailed(errors)
    return values, organizations


@router.get("/articles", response={200: ArticlePage, **ERRORS})
def list_articles(request: HttpRequest, params: Query[ArticleListParams]) -> dict[str, Any]:
    """List the articles the caller may read, most recently changed first (readers: published ones only)."""
    check_query_parameters(request, ArticleListParams)
    user = request_user(request)
    rows = _article_rows(user)
    staff = is_kb_staff(user)
    if params.status is not None:
        # Readers see published versions only: every article they may read is "published" to them.
        rows = (
            rows.filter(status=params.status)
            if staff
            else rows.filter(pk__in=[])
            if params.status != "published"
            else rows
        )
    if params.review_due_by is not None and not staff:
        raise PermissionRefused(_("Only support staff may do this."))
    if params.article_type is not None:
        field = "article_type" if staff else "live_version__article_type"
        rows = rows.filter(**{field: params.article_type})
    if params.category is not None:
        codes = category_codes_below(params.category)
        field = "category__code__in" if staff else "live_version__category__code__in"
        rows = rows.filter(**{field: codes})
    if params.review_due_by is not None:
        rows = rows.filter(review_due_on__lte=params.review_due_by)
    rows = rows.order_by("-updated_at", "-pk")
    page = list(rows[params.offset : params.offset + params.limit])
    return {"count": rows.count(), "items": [serializers.article_out(row, user=user) for row in page]}


@router.post("/articles", response={201: ArticleOut, **ERRORS})
@transaction.atomic
def create_article(request: HttpRequest, payload: ArticleIn) -> Status[Any]:
    """Write a new draft (support staff)."""
    actor = request_user(request)
    actions.check_may_write_articles(actor)
    values, organizations = _references(payload.dict())
    if values.get("owner") is None:
        values.pop("owner", None)
    article = actions.create_article(actor=actor, values=values, organizations=organizations or [], now=timezone.now())
    return Status(201, serializers.article_out(_article(actor, article.pk), user=actor))


@router.get("/articles/{article_id}", response={200: ArticleOut, **ERRORS})
def get_article(request: HttpRequest, path: Path[ArticlePath]) -> dict[str, Any]:
    """Return one article and count the reading (readers get the published version)."""
    user = request_user(request)
    article = _article(user, path.article_id)
    actions.record_article_view(article)
    return serializers.article_out(article, user=user)


@router.patch("/articles/{article_id}", response={200: ArticleOut, **ERRORS})
@transaction.atomic
def update_article(request: HttpRequest, path: Path[ArticlePath], payload: ArticleUpdateIn) -> dict[str, Any]:
    """Change the working copy; omitted fields stay. A published article becomes a draft again while
    readers keep the published version until the next approval."""
    actor = request_user(request)
    article = _staff_article(actor, path.article_id)
    changes, organizations = _references(payload.dict(exclude_unset=True))
    actions.update_article(article, actor=actor, changes=changes, organizations=organizations, now=timezone.now())
    return serializers.article_out(_article(actor, article.pk), user=actor)


TRANSITIONS: dict[str, Callable[..., Any]] = {
    "submit": actions.submit_for_review,
    "request_changes": actions.request_changes,
    "approve": actions.approve_article,
    "mark_outdated": actions.mark_outdated,
    "archive": actions.archive_article,
}


@router.post("/articles/{article_id}/transitions", response={200: ArticleOut, **ERRORS})
@transaction.atomic
def transition(request: HttpRequest, path: Path[ArticlePath], payload: ArticleTransitionIn) -> dict[str, Any]:
    """Move an article through its lifecycle: `submit` (authors), `request_changes` (with a comment),
    `approve` (publishes the next version), `mark_outdated`, `archive` (knowledge-base admins)."""
    actor = request_user(request)
    article = _staff_article(actor, path.article_id)
    TRANSITIONS[payload.action](article, actor=actor, comment=payload.comment, now=timezone.now())
    return serializers.article_out(_article(actor, article.pk), user=actor)


@router.get("/articles/{article_id}/reviews", response={200: list[ArticleReviewEntryOut], **ERRORS})
def list_reviews(request: HttpRequest, path: Path[ArticlePath]) -> list[dict[str, Any]]:
    """The article's review history, oldest first (staff)."""
    article = _staff_article(request_user(request), path.article_id)
    return [serializers.review_out(entry) for entry in article.reviews.select_related("author")]


@router.post("/articles/{article_id}/comments", response={201: ArticleReviewEntryOut, **ERRORS})
@transaction.atomic
def comment(request: HttpRequest, path: Path[ArticlePath], payload: ArticleCommentIn) -> Status[Any]:
    """Add a review comment (staff)."""
    actor = request_user(request)
    article = _staff_article(actor, path.article_id)
    entry = actions.comment_on_article(article, actor=actor, comment=payload.comment, now=timezone.now())
    return Status(201, serializers.review_out(entry))


# --- versions -------------------------------------------------------------------------------


def _versions(article: Article) -> QuerySet[ArticleVersion]:
    return article.versions.select_related("category", "published_by").prefetch_related(
        Prefetch("organizations", queryset=Organization.objects.only("id", "name"))
    )


def _version(article: Article, number: int) -> ArticleVersion:
    version = _versions(article).filter(number=number).first()
    if version is None:
        raise NotFound(_("No such version."))
    return version


@router.get("/articles/{article_id}/versions", response={200: list[ArticleVersionSummaryOut], **ERRORS})
def list_versions(request: HttpRequest, path: Path[ArticlePath]) -> list[dict[str, Any]]:
    """Every published version, oldest first (staff)."""
    article = _staff_article(request_user(request), path.article_id)
    return [serializers.version_summary_out(version) for version in _versions(article).order_by("number")]


@router.get("/articles/{article_id}/versions/{number}", response={200: ArticleVersionOut, **ERRORS})
def get_version(request: HttpRequest, path: Path[ArticleVersionPath]) -> dict[str, Any]:
    """One published version as it was approved (staff)."""
    article = _staff_article(request_user(request), path.article_id)
    return serializers.version_out(_version(article, path.number))


@router.get("/articles/{article_id}/diff", response={200: ArticleDiffOut, **ERRORS})
def diff(request: HttpRequest, path: Path[ArticlePath], params: Query[ArticleDiffParams]) -> dict[str, Any]:
    """Field-by-field line diff from one version to another (`to_version` omitted: the working copy) (staff)."""
    check_query_parameters(request, ArticleDiffParams)
    user = request_user(request)
    article = _staff_article(user, path.article_id)
    old = _version(article, params.from_version)
    new: Article | ArticleVersion = (
        _article(user, article.pk) if params.to_version is None else _version(article, params.to_version)
    )
    return {
        "from_version": params.from_version,
        "to_version": params.to_version,
        "fields": serializers.diff_out(diff_contents(old, new)),
    }


@router.post("/articles/{article_id}/versions/{number}/restore", response={200: ArticleOut, **ERRORS})
@transaction.atomic
def restore(request: HttpRequest, path: Path[ArticleVersionPath]) -> dict[str, Any]:
    """Copy an older version into the working copy as a new draft; publishing it makes a new version."""
    actor = request_user(request)
    article = _staff_article(actor, path.article_id)
    actions.restore_version(article, number=path.number, actor=actor, now=timezone.now())
    return serializers.article_out(_article(actor, article.pk), user=actor)


# --- attachments ----------------------------------------------------------------------------


@router.get("/articles/{article_id}/attachments", response={200: list[ArticleAttachmentOut], **ERRORS})
def list_attachments(request: HttpRequest, path: Path[ArticlePath]) -> list[dict[str, Any]]:
    """The article's files and images, oldest first (staff); each with its address and Markdown line."""
    article = _staff_article(request_user(request), path.article_id)
    return [serializers.attachment_out(row) for row in article.attachments.select_related("uploaded_by")]


@router.post("/articles/{article_id}/attachments", response={201: ArticleAttachmentOut, **ERRORS})
@transaction.atomic
def upload_attachment(request: HttpRequest, path: Path[ArticlePath], file: File[UploadedFile]) -> Status[Any]:
    """Upload one file or image (multipart field `file`; type, size and content are checked) for the article.

    Put the answer's `markdown` into a text field to show it; readers get it while they may read the article.
    """
    check_form_parts(request, frozenset({"file"}))
    actor = request_user(request)
    article = _staff_article(actor, path.article_id)
    attachment = actions.add_article_attachment(article, actor=actor, upload=file, now=timezone.now())
    return Status(201, serializers.attachment_out(attachment))


# --- feedback and tickets -------------------------------------------------------------------


@router.post("/articles/{article_id}/feedback", response={201: ArticleFeedbackOut, **ERRORS})
@transaction.atomic
def give_feedback(request: HttpRequest, path: Path[ArticlePath], payload: ArticleFeedbackIn) -> Status[Any]:
    """Rate an article you may read as helpful or not, and/or suggest a correction."""
    user = request_user(request)
    article = get_article_for_user(user, path.article_id)
    feedback = actions.give_feedback(
        article, user=user, helpful=payload.helpful, suggestion=payload.suggestion, now=timezone.now()
    )
    return Status(201, serializers.feedback_out(feedback))


@router.get("/articles/{article_id}/feedback", response={200: list[ArticleFeedbackOut], **ERRORS})
def list_feedback(request: HttpRequest, path: Path[ArticlePath]) -> list[dict[str, Any]]:
    """Readers' votes and suggestions, newest first (staff; the latest 200)."""
    article = _staff_article(request_user(request), path.article_id)
    return [serializers.feedback_out(row) for row in article.feedback.select_related("user")[:200]]


@router.get("/articles/{article_id}/tickets", response={200: list[ArticleTicketLinkOut], **ERRORS})
def list_ticket_links(request: HttpRequest, path: Path[ArticlePath]) -> list[dict[str, Any]]:
    """Tickets solved with the article that the caller may see, newest link first (staff; the latest 200)."""
    user = request_user(request)
    article = _staff_article(user, path.article_id)
    links = article.ticket_links.filter(ticket__in=Ticket.objects.visible_to(user)).select_related(
        "ticket", "linked_by"
    )
    return [serializers.link_out(link) for link in links[:200]]


@router.put("/articles/{article_id}/tickets/{number}", response={200: ArticleTicketLinkOut, **ERRORS})
@transaction.atomic
def link_ticket(request: HttpRequest, path: Path[ArticleTicketLinkPath]) -> dict[str, Any]:
    """Record that the ticket was solved with the article (staff who see both)."""
    actor = request_user(request)
    article = _staff_article(actor, path.article_id)
    ticket = get_ticket_for_user(actor, path.number)
    link = actions.link_ticket(article, ticket=ticket, actor=actor, now=timezone.now())
    link.ticket = ticket
    return serializers.link_out(link)


@router.delete("/articles/{article_id}/tickets/{number}", response={204: None, **ERRORS})
@transaction.atomic
def unlink_ticket(request: HttpRequest, path: Path[ArticleTicketLinkPath]) -> Status[None]:
    """Remove the link between the article and the ticket."""
    actor = request_user(request)
    article = _staff_article(actor, path.article_id)
    ticket = get_ticket_for_user(actor, path.number)
    actions.unlink_ticket(article, ticket=ticket, actor=actor)
    return Status(204, None)


@tickets_router.post("/{number}/kb-article", response={201: ArticleOut, **ERRORS})
@transaction.atomic
def draft_from_ticket(request: HttpRequest, number: str) -> Status[Any]:
    """Seed an internal draft troubleshooting article from the resolved ticket's closure summary."""
    actor = request_user(request)
    ticket = get_ticket_for_user(actor, number)
    article = actions.draft_from_ticket(ticket, actor=actor, now=timezone.now())
    return Status(201, serializers.article_out(_article(actor, article.pk), user=actor))
