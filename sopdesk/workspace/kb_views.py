"""Knowledge-base pages of the workspace: the list and its queues, an article, the editor with a live
preview and image upload, lifecycle steps, versions with a diff and restore.

Who may see an article is `Article.objects.visible_to`, what may be done to it is
`kb.actions.offered_steps` and the actions themselves; these views only parse, ask and render.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sopdesk.accounts.models import User
from sopdesk.core.errors import ActionError, NotFound
from sopdesk.core.validation import ValidationFailed
from sopdesk.kb import actions
from sopdesk.kb.choices import ArticleStatus
from sopdesk.kb.files import attachment_url, is_image, markdown_line
from sopdesk.kb.models import TEXT_MAX_LENGTH, Article, ArticleVersion
from sopdesk.kb.queries import category_codes_below, get_article_for_user, review_due_articles
from sopdesk.kb.rendering import render_article_text
from sopdesk.kb.versions import diff_contents
from sopdesk.tickets.models import Ticket
from sopdesk.workspace.kb_forms import TEXT_FIELDS, ArticleFilterForm, ArticleForm, StepForm
from sopdesk.workspace.views import nav_context, staff_required

LIST_LIMIT = 200
ACTIVE = "kb"
SECTION_LABELS = {
    "problem": gettext_lazy("Problem description"),
    "diagnosis": gettext_lazy("Diagnosis steps"),
    "solution": gettext_lazy("Solution"),
    "notes": gettext_lazy("Notes"),
    "applies_to": gettext_lazy("Applies to"),
}
STEP_ACTIONS: dict[str, Callable[..., Any]] = {
    "submit": actions.submit_for_review,
    "comment": actions.comment_on_article,
    "request_changes": actions.request_changes,
    "approve": actions.approve_article,
    "mark_outdated": actions.mark_outdated,
    "archive": actions.archive_article,
}
STEP_DONE = {
    "submit": gettext_lazy("Submitted for review."),
    "comment": gettext_lazy("Comment added."),
    "request_changes": gettext_lazy("Sent back to the author."),
    "approve": gettext_lazy("Approved: readers see the new version now."),
    "mark_outdated": gettext_lazy("Marked outdated: readers no longer see it."),
    "archive": gettext_lazy("Archived."),
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _article(request: HttpRequest, article_id: int) -> Article:
    try:
        return get_article_for_user(_user(request), article_id)
    except NotFound:
        raise Http404("No such article") from None


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    context = {**nav_context(request, active=ACTIVE), "message": message}
    return render(request, "workspace/kb_refused.html", context, status=403)


def _problems(error: ActionError) -> list[str]:
    """The refusal in words, each field's problems prefixed with nothing but the text."""
    if isinstance(error, ValidationFailed):
        return [text for texts in error.errors.values() for text in texts]
    return [error.message]


# The list and its queues


@dataclass(frozen=True)
class Queue:
    slug: str
    label: Any
    rows: Callable[[Any], QuerySet[Article]]


def _all(today: Any) -> QuerySet[Article]:
    return Article.objects.order_by("-updated_at", "-pk")


def _in_review(today: Any) -> QuerySet[Article]:
    return Article.objects.filter(status=ArticleStatus.IN_REVIEW).order_by("updated_at", "pk")


QUEUES = {
    "all": Queue("all", gettext_lazy("All articles"), _all),
    "review": Queue("review", gettext_lazy("Waiting for review"), _in_review),
    "stale": Queue("stale", gettext_lazy("Review due"), lambda today: review_due_articles(today=today)),
}


def _filtered(rows: QuerySet[Article], filters: ArticleFilterForm, user: User, today: Any) -> QuerySet[Article]:
    data = filters.cleaned_data
    if data["status"]:
        rows = rows.filter(status=data["status"])
    if data["article_type"]:
        rows = rows.filter(article_type=data["article_type"])
    if data["category"] is not None:
        rows = rows.filter(category__code__in=category_codes_below(data["category"].code))
    if data["mine"]:
        rows = rows.filter(owner=user)
    if data["review_due"]:
        rows = rows.filter(review_due_on__lte=today)
    if data["q"].strip():
        rows = rows.filter(title__icontains=data["q"].strip())
    return rows


@require_GET
@staff_required
def kb_list(request: HttpRequest, queue: str = "all") -> HttpResponse:
    """Articles with filters and counts per status; `review` is oldest first, `stale` the review-due ones."""
    user = _user(request)
    chosen = QUEUES.get(queue)
    if chosen is None:
        raise Http404("No such queue")
    today = timezone.localdate()
    filters = ArticleFilterForm(request.GET)
    rows: list[Article] = []
    if filters.is_valid():
        found = _filtered(chosen.rows(today), filters, user, today).select_related("owner", "category", "live_version")
        rows = list(found[:LIST_LIMIT])
    counts = dict(Article.objects.values_list("status").annotate(count=Count("pk")).order_by())
    context = {
        **nav_context(request, active=ACTIVE),
        "queue": chosen,
        "queues": [(item, _queue_count(item, counts, today)) for item in QUEUES.values()],
        "status_counts": [(value, label, counts.get(value, 0)) for value, label in ArticleStatus.choices],
        "filters": filters,
        "rows": rows,
        "is_truncated": len(rows) == LIST_LIMIT,
        "today": today,
        "may_write": actions.may_write_articles(user),
        "is_filtered": any(request.GET.get(name) for name in filters.fields),
    }
    return render(request, "workspace/kb_list.html", context, status=200 if filters.is_valid() else 400)


def _queue_count(queue: Queue, counts: dict[str, int], today: Any) -> int:
    if queue.slug == "all":
        return sum(counts.values())
    if queue.slug == "review":
        return counts.get(ArticleStatus.IN_REVIEW, 0)
    return review_due_articles(today=today).count()


# One article


@dataclass(frozen=True)
class Section:
    field: str
    label: Any
    html: SafeString


def _sections(content: Article | ArticleVersion) -> list[Section]:
    """The article's text fields that hold something, rendered (the one renderer)."""
    return [
        Section(name, SECTION_LABELS[name], render_article_text(getattr(content, name)))
        for name in TEXT_FIELDS
        if getattr(content, name).strip()
    ]


@require_GET
@staff_required
def kb_article(request: HttpRequest, article_id: int) -> HttpResponse:
    """The working copy and (when it differs) the published version, review thread, counters, tickets, files."""
    user = _user(request)
    article = _article(request, article_id)
    live = article.live_version
    links = (
        article.ticket_links.filter(ticket__in=Ticket.objects.visible_to(user))
        .select_related("ticket", "linked_by")
        .order_by("-linked_at")[:50]
    )
    context = {
        **nav_context(request, active=ACTIVE),
        "article": article,
        "sections": _sections(article),
        "live": live if live is not None and article.status != ArticleStatus.PUBLISHED else None,
        "live_sections": _sections(live) if live is not None and article.status != ArticleStatus.PUBLISHED else [],
        "organizations": list(article.organizations.all()),
        "reviews": list(article.reviews.select_related("author")),
        "links": list(links),
        "attachments": [(row, attachment_url(row), is_image(row)) for row in article.attachments.all()],
        "steps": actions.offered_steps(article, actor=user),
        "has_versions": article.versions.exists(),
        "step_form": StepForm(),
    }
    return render(request, "workspace/kb_article.html", context)


@require_POST
@staff_required
def kb_step(request: HttpRequest, article_id: int, step: str) -> HttpResponse:
    """One lifecycle step (submit, comment, request changes, approve, mark outdated, archive) with a comment."""
    action = STEP_ACTIONS.get(step)
    if action is None:
        raise Http404("No such step")
    user = _user(request)
    article = _article(request, article_id)
    form = StepForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        with transaction.atomic():
            action(article, actor=user, comment=comment, now=timezone.now())
    except ActionError as error:
        if error.status_code == 403:
            return _refused(request, error.message)
        for text in _problems(error):
            messages.error(request, text)
    else:
        messages.success(request, str(STEP_DONE[step]))
    return redirect("workspace:kb_article", article.pk)


# The editor


def _editor(request: HttpRequest, form: ArticleForm, *, article: Article | None, status: int = 200) -> HttpResponse:
    form.mark_invalid()
    texts = {name: form[name].value() or "" for name in TEXT_FIELDS}
    context = {
        **nav_context(request, active=ACTIVE),
        "form": form,
        "article": article,
        "text_fields": [form[name] for name in TEXT_FIELDS],
        "preview": [
            Section(name, SECTION_LABELS[name], render_article_text(str(text)))
            for name, text in texts.items()
            if str(text).strip()
        ],
        "attachments": [(row, markdown_line(row)) for row in article.attachments.all()] if article else [],
    }
    return render(request, "workspace/kb_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def kb_new(request: HttpRequest) -> HttpResponse:
    """Write a new draft; it belongs to the author unless a knowledge-base admin names another owner."""
    user = _user(request)
    if not actions.may_write_articles(user):
        return _refused(request, _("Your role may not write knowledge-base articles."))
    may_reassign = actions.may_approve_articles(user)
    if request.method != "POST":
        form = ArticleForm(initial={"owner": user.pk}, may_reassign=may_reassign)
        return _editor(request, form, article=None)
    form = ArticleForm(request.POST, may_reassign=may_reassign)
    if form.is_valid():
        try:
            with transaction.atomic():
                article = actions.create_article(
                    actor=user,
                    values=form.values(),
                    organizations=list(form.cleaned_data["organizations"]),
                    now=timezone.now(),
                )
        except ActionError as error:
            _apply(form, error)
            return _editor(request, form, article=None, status=error.status_code)
        messages.success(request, _("Draft “%(title)s” saved.") % {"title": article.title})
        return redirect("workspace:kb_article", article.pk)
    return _editor(request, form, article=None, status=400)


@require_http_methods(["GET", "POST"])
@staff_required
def kb_edit(request: HttpRequest, article_id: int) -> HttpResponse:
    """Change the working copy; a published article becomes a draft while readers keep the published version."""
    user = _user(request)
    article = _article(request, article_id)
    if "edit" not in actions.offered_steps(article, actor=user):
        return _refused(request, _("This article cannot be edited now: %(status)s.") % {"status": _status(article)})
    may_reassign = actions.may_approve_articles(user)
    if request.method != "POST":
        form = ArticleForm(initial=ArticleForm.initial_for(article), article=article, may_reassign=may_reassign)
        return _editor(request, form, article=article)
    form = ArticleForm(request.POST, article=article, may_reassign=may_reassign)
    if form.is_valid():
        try:
            with transaction.atomic():
                actions.update_article(
                    article,
                    actor=user,
                    changes=form.values(),
                    organizations=list(form.cleaned_data["organizations"]),
                    now=timezone.now(),
                    expected_updated_at=form.cleaned_data["loaded_at"],
                )
        except ActionError as error:
            _apply(form, error)
            return _editor(request, form, article=article, status=error.status_code)
        messages.success(request, _("Draft “%(title)s” saved.") % {"title": article.title})
        return redirect("workspace:kb_article", article.pk)
    return _editor(request, form, article=article, status=400)


def _status(article: Article) -> str:
    return str(ArticleStatus(article.status).label)


def _apply(form: ArticleForm, error: ActionError) -> None:
    if isinstance(error, ValidationFailed):
        form.add_action_errors(error.errors)
    else:
        form.add_action_errors({error.field or "__all__": [error.message]})


@require_POST
@staff_required
def kb_preview(request: HttpRequest) -> HttpResponse:
    """The preview fragment of the text fields being typed (HTMX), through the one article renderer."""
    if not actions.may_write_articles(_user(request)):
        return HttpResponse(
            _("Your role may not write knowledge-base articles."), status=403, content_type="text/plain"
        )
    texts = {name: request.POST.get(name, "")[:TEXT_MAX_LENGTH] for name in TEXT_FIELDS}
    sections = [
        Section(name, SECTION_LABELS[name], render_article_text(text)) for name, text in texts.items() if text.strip()
    ]
    return render(request, "workspace/_kb_preview.html", {"preview": sections})


@require_POST
@staff_required
def kb_upload(request: HttpRequest, article_id: int) -> JsonResponse:
    """Store one pasted, dropped or chosen file for the article; answer the Markdown line to insert."""
    user = _user(request)
    article = _article(request, article_id)
    upload = request.FILES.get("file")
    if upload is None or len(request.FILES.getlist("file")) != 1:
        return JsonResponse({"error": _("Send one file.")}, status=400)
    try:
        with transaction.atomic():
            attachment = actions.add_article_attachment(article, actor=user, upload=upload, now=timezone.now())
    except ActionError as error:
        return JsonResponse({"error": " ".join(_problems(error))}, status=error.status_code)
    return JsonResponse(
        {"name": attachment.original_name, "url": attachment_url(attachment), "markdown": markdown_line(attachment)},
        status=201,
    )


# Versions


def _version_number(value: str | None, numbers: list[int]) -> int | None:
    """A version number from the query that exists, else None (the working copy)."""
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number in numbers else None


@require_GET
@staff_required
def kb_versions(request: HttpRequest, article_id: int) -> HttpResponse:
    """Every published version, and a field-by-field diff between two of them (or one and the working copy)."""
    user = _user(request)
    article = _article(request, article_id)
    versions = list(article.versions.select_related("published_by", "category").prefetch_related("organizations"))
    numbers = [version.number for version in versions]
    by_number = {version.number: version for version in versions}
    diff = []
    old_number = new_number = None
    if versions:
        old_number = _version_number(request.GET.get("from"), numbers) or numbers[-1]
        new_number = _version_number(request.GET.get("to"), numbers)
        new: Article | ArticleVersion = by_number[new_number] if new_number is not None else article
        diff = diff_contents(by_number[old_number], new)
    context = {
        **nav_context(request, active=ACTIVE),
        "article": article,
        "versions": list(reversed(versions)),
        "old_number": old_number,
        "new_number": new_number,
        "diff": diff,
        "has_changes": any(field.changed for field in diff),
        "unchanged": [field.label for field in diff if not field.changed],
        "steps": actions.offered_steps(article, actor=user),
    }
    return render(request, "workspace/kb_versions.html", context)


@require_POST
@staff_required
def kb_restore(request: HttpRequest, article_id: int, number: int) -> HttpResponse:
    """Copy a version back into the working copy as a new draft."""
    user = _user(request)
    article = _article(request, article_id)
    try:
        with transaction.atomic():
            actions.restore_version(article, number=number, actor=user, now=timezone.now())
    except NotFound:
        raise Http404("No such version") from None
    except ActionError as error:
        if error.status_code == 403:
            return _refused(request, error.message)
        messages.error(request, error.message)
        return redirect("workspace:kb_versions", article.pk)
    messages.success(
        request, _("Version %(number)d restored as a draft; submit it to publish it again.") % {"number": number}
    )
    return redirect("workspace:kb_article", article.pk)
