"""The help centre: browse published articles by category, read one, rate it or suggest a correction.

Visitors read public articles, requesters what `Article.objects.visible_to` lets them; the views
only narrow that to the live versions (`portal.articles`) and write through the knowledge-base
actions (`record_article_view`, `give_feedback`) and the deflection record (`portal.deflection`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sopdesk.core.errors import NotFound
from sopdesk.core.validation import ValidationFailed
from sopdesk.kb.actions import give_feedback, record_article_view
from sopdesk.kb.choices import ArticleType
from sopdesk.kb.models import Article, ArticleVersion
from sopdesk.kb.rendering import render_article_text
from sopdesk.portal import articles
from sopdesk.portal.access import help_reader
from sopdesk.portal.deflection import record_deflection_visit
from sopdesk.portal.forms import ArticleFeedbackForm, HelpSearchForm
from sopdesk.search.service import SearchQueryError, search_articles

# The marker the request form's suggestions put on their links (a visit from there may be a deflection).
FROM_REQUEST_FORM = "request-form"
SEARCH_LIMIT = 20


def article_path(article: Article) -> str:
    """Return the help centre's path of `article`."""
    return reverse("portal:help_article", args=[article.pk])


def _article(request: HttpRequest, article_id: int) -> Article:
    try:
        return articles.get_readable_article(request.user, article_id)
    except NotFound:
        raise Http404("No such article") from None


@require_GET
@help_reader
def help_home(request: HttpRequest) -> HttpResponse:
    """The help centre's start: search box, categories with readable articles, the most read articles."""
    user = request.user
    context = {
        "form": HelpSearchForm(),
        "tree": articles.category_tree(user),
        "popular": articles.most_viewed(user),
        "active": "help",
    }
    return render(request, "portal/help_home.html", context)


@require_GET
@help_reader
def help_category(request: HttpRequest, code: str) -> HttpResponse:
    """One category: its readable articles (subcategories' included) and its subcategories."""
    user = request.user
    category = articles.active_category(code)
    found = articles.articles_in_category(user, category) if category is not None else []
    if category is None or not found:
        raise Http404("No such category")
    subtree = _find_node(articles.category_tree(user), category.pk)
    context = {
        "category": category,
        "trail": articles.breadcrumbs(category),
        "articles": found,
        "children": subtree.children if subtree is not None else [],
        "form": HelpSearchForm(initial={"category": category.code}),
        "active": "help",
    }
    return render(request, "portal/help_category.html", context)


def _find_node(nodes: list[articles.CategoryNode], pk: int) -> articles.CategoryNode | None:
    for node in nodes:
        if node.category.pk == pk:
            return node
        found = _find_node(node.children, pk)
        if found is not None:
            return found
    return None


def _sections(version: ArticleVersion) -> list[tuple[str, SafeString]]:
    """The live version's structure parts that have text, rendered by the one article renderer."""
    parts = [
        (_("Problem"), version.problem),
        (_("Diagnosis steps"), version.diagnosis),
        (_("Solution"), version.solution),
        (_("Notes"), version.notes),
        (_("Applies to"), version.applies_to),
    ]
    return [(heading, render_article_text(text)) for heading, text in parts if text.strip()]


@require_GET
@help_reader
def help_article(request: HttpRequest, article_id: int) -> HttpResponse:
    """An article's live version with its parts, "Was this helpful?", a correction form and related articles."""
    user = request.user
    article = _article(request, article_id)
    record_article_view(article)
    if request.GET.get("from") == FROM_REQUEST_FORM and user.is_authenticated:
        record_deflection_visit(article, user=user, now=timezone.now())  # type: ignore[arg-type]
    version = article.live_version
    assert version is not None  # noqa: S101 - get_readable_article returns published articles only
    context: dict[str, Any] = {
        "article": article,
        "version": version,
        "sections": _sections(version),
        # An inactive category has no page in the help centre: no trail leads to it.
        "trail": articles.breadcrumbs(version.category) if version.category and version.category.is_active else [],
        "related": articles.related_articles(user, article),
        "feedback": ArticleFeedbackForm(),
        "active": "help",
    }
    return render(request, "portal/help_article.html", context)


_VOTED = "help_centre_votes"  # the session's list of article ids an anonymous reader rated


@require_POST
@help_reader
def help_feedback(request: HttpRequest, article_id: int) -> HttpResponse:
    """Record "helpful: yes/no" and/or a suggested correction, then back to the article."""
    user = request.user
    article = _article(request, article_id)
    form = ArticleFeedbackForm(request.POST)
    target = f"{article_path(article)}#feedback"
    if not form.is_valid():
        messages.error(request, _("The feedback could not be saved: %(problems)s") % {"problems": _problems(form)})
        return HttpResponseRedirect(target)
    helpful = form.cleaned_data["helpful"]
    voted: list[int] = request.session.get(_VOTED, [])
    if helpful is not None and not user.is_authenticated and article.pk in voted:
        # Anonymous readers: one vote per article and browser session (signed-in ones: the action's rule).
        if not form.cleaned_data["suggestion"].strip():
            messages.error(request, _("You have already rated this article."))
            return HttpResponseRedirect(target)
        helpful = None
    try:
        give_feedback(
            article,
            user=user if user.is_authenticated else None,  # type: ignore[arg-type]
            helpful=helpful,
            suggestion=form.cleaned_data["suggestion"],
            now=timezone.now(),
        )
    except ValidationFailed as error:
        problems = " ".join(" ".join(messages_) for messages_ in error.errors.values())
        messages.error(request, _("The feedback could not be saved: %(problems)s") % {"problems": problems})
    except NotFound:
        raise Http404("No such article") from None
    else:
        if helpful is not None and not user.is_authenticated:
            request.session[_VOTED] = [*voted, article.pk][-200:]
        messages.success(request, _("Thank you for your feedback."))
    return HttpResponseRedirect(target)


def _problems(form: ArticleFeedbackForm | HelpSearchForm) -> str:
    return " ".join(str(problem) for problems in form.errors.values() for problem in problems)


@require_GET
@help_reader
def help_search(request: HttpRequest) -> HttpResponse:
    """Search the published articles the reader may read (every word must match), optionally in one category."""
    form = HelpSearchForm(request.GET)
    context: dict[str, Any] = {"form": form, "hits": [], "query": "", "category": None, "active": "help"}
    if not form.is_valid():
        context["error"] = _problems(form)
        return render(request, "portal/help_search.html", context, status=400)
    query, code, article_type = form.cleaned_data["q"], form.cleaned_data["category"], form.cleaned_data["type"]
    category = articles.active_category(code) if code else None
    context.update(query=query, category=category, article_type=article_type, types=ArticleType.choices)
    if query:
        try:
            context["hits"] = search_articles(
                request.user,
                query,
                limit=SEARCH_LIMIT,
                category=category.code if category is not None else None,
                article_type=article_type or None,
            )
        except SearchQueryError as error:
            context["error"] = str(error)
            return render(request, "portal/help_search.html", context, status=400)
    return render(request, "portal/help_search.html", context)
