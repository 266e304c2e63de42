"""The ticket page's knowledge panel: loaded after the page, with "solved with" links and drafts from tickets.

Who may read the ticket and the article comes from `get_ticket_for_user` / `get_article_for_user`
(404, never 403); who may link or draft is `sopdesk.kb.actions`' business.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sopdesk.accounts.models import User
from sopdesk.core.errors import ActionError, NotFound
from sopdesk.kb import actions as kb
from sopdesk.kb.queries import get_article_for_user
from sopdesk.tickets.queries import get_ticket_for_user
from sopdesk.workspace.knowledge import article_page, panel_context
from sopdesk.workspace.views import staff_required


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _panel(request: HttpRequest, number: str, *, problem: str = "") -> HttpResponse:
    user = _user(request)
    ticket = get_ticket_for_user(user, number)
    context = {**panel_context(user, ticket), "problem": problem}
    return render(request, "workspace/_knowledge.html", context)


@require_GET
@staff_required
def ticket_knowledge(request: HttpRequest, number: str) -> HttpResponse:
    """The knowledge panel of ticket `number`, loaded after the page."""
    return _panel(request, number)


@require_POST
@staff_required
def ticket_article_link(request: HttpRequest, number: str, article_id: int, *, linked: bool) -> HttpResponse:
    """Link article `article_id` to the ticket as "solved with" (or remove the link); answer with the panel."""
    user = _user(request)
    ticket = get_ticket_for_user(user, number)
    try:
        article = get_article_for_user(user, article_id)
    except NotFound:
        raise Http404("No such article") from None
    problem = ""
    try:
        with transaction.atomic():
            if linked:
                kb.link_ticket(article, ticket=ticket, actor=user, now=timezone.now())
            else:
                kb.unlink_ticket(article, ticket=ticket, actor=user)
    except ActionError as error:
        problem = error.message
    if request.headers.get("HX-Request") == "true":
        # htmx swaps no 4xx answer, so a refusal comes as the panel with the reason in it.
        return _panel(request, number, problem=problem)
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, _("Linked as solved with this article.") if linked else _("Link removed."))
    return redirect("workspace:ticket", ticket.number)


@require_POST
@staff_required
def ticket_article_draft(request: HttpRequest, number: str) -> HttpResponse:
    """Seed a draft article from the ticket's closure summary, then open the draft in the editor."""
    user = _user(request)
    ticket = get_ticket_for_user(user, number)
    try:
        with transaction.atomic():
            article = kb.draft_from_ticket(ticket, actor=user, now=timezone.now())
    except ActionError as error:
        messages.error(request, error.message)
        return redirect("workspace:ticket", ticket.number)
    messages.success(request, _("Draft article created from this ticket; it stays internal until reviewed."))
    return redirect(article_page(article.pk))
