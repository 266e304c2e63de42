"""Canned-response pages of the workspace: the list, the new and edit form, (de)activation, a live preview.

What a user may use comes from `casework.queries`, what they may change from
`casework.actions.canned_response_manager`, and every change goes through the canned-response
actions; these views only parse, ask and render.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sopdesk.accounts.models import Team, User
from sopdesk.casework import actions as casework
from sopdesk.casework import queries as casework_queries
from sopdesk.casework.canned import VARIABLES, substitute, template_errors
from sopdesk.casework.choices import Language
from sopdesk.casework.models import CANNED_BODY_MAX_LENGTH, CannedResponse
from sopdesk.core.errors import ActionError
from sopdesk.core.validation import ValidationFailed
from sopdesk.tickets.numbering import format_ticket_number
from sopdesk.tickets.querysets import team_ids_of
from sopdesk.workspace.forms import PERSONAL_SCOPE, CannedFilterForm, CannedResponseForm
from sopdesk.workspace.views import nav_context, staff_required

# More than this many responses in one list is a sign to search instead of scrolling.
LIST_LIMIT = 500
# Action error fields that the form calls differently.
FORM_FIELDS = {"team": "scope"}
# Values the preview fills in (the agent's own name is real).
SAMPLE_REQUESTER = gettext_lazy("Li Wei")
SAMPLE_TITLE = gettext_lazy("VPN drops every hour")
SAMPLE_TEAM = gettext_lazy("Service desk")
# What each variable stands for, shown beside the body (a variable without a line here is still listed).
VARIABLE_HELP = {
    "requester_name": gettext_lazy("the requester's name"),
    "ticket_number": gettext_lazy("the ticket's number"),
    "ticket_title": gettext_lazy("the ticket's title"),
    "agent_name": gettext_lazy("the name of the agent who inserts it"),
    "team_name": gettext_lazy("the ticket's team"),
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@dataclass
class Writable:
    """What `user` may write: personal responses at all, and for which teams."""

    is_allowed: bool
    teams: list[Team] = field(default_factory=list)

    def offered(self, code: str) -> Team | None:
        """The offered team with this code (None for "personal" or any other)."""
        return next((team for team in self.teams if team.code == code), None)


def _may_write(may_manage: Callable[[CannedResponse], bool], user: User) -> bool:
    """Return whether `user` may write canned responses at all, asked of the actions' manager test.

    A personal response of one's own is manageable exactly for the roles that may write canned
    responses, so the page offers "New" to those whom `create_canned_response` accepts.
    """
    return may_manage(CannedResponse(owner=user))


def _writable(user: User) -> Writable:
    """What the new form offers: the same manager test asked about an unsaved response of each active team.

    Team responses are managed by the team's leads and by administrators (the action refuses inactive teams).
    """
    may_manage = casework.canned_response_manager(user)
    if not _may_write(may_manage, user):
        return Writable(is_allowed=False)
    teams = [
        team for team in Team.objects.filter(is_active=True).order_by("name") if may_manage(CannedResponse(team=team))
    ]
    return Writable(is_allowed=True, teams=teams)


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    context = {**nav_context(request, active="canned"), "message": message}
    return render(request, "workspace/canned_refused.html", context, status=403)


# The list


@dataclass
class CannedRow:
    response: CannedResponse
    may_manage: bool


@dataclass
class CannedGroup:
    label: str
    rows: list[CannedRow]


def _grouped(found: list[CannedResponse], may_manage: Callable[[CannedResponse], bool]) -> list[CannedGroup]:
    """Personal responses first, then each team's by team name, each by title; inactive ones only for managers."""
    groups: dict[int | None, CannedGroup] = {}
    for row in sorted(found, key=lambda row: (row.team is not None, row.team.name if row.team else "", row.team_id)):
        manages = may_manage(row)
        if not (row.is_active or manages):
            continue
        if row.team_id not in groups:
            groups[row.team_id] = CannedGroup(row.team.name if row.team else _("Personal"), [])
        groups[row.team_id].rows.append(CannedRow(row, manages))
    return list(groups.values())


@require_GET
@staff_required
def canned_list(request: HttpRequest) -> HttpResponse:
    """The responses the user may use, grouped personal first, then by team; inactive ones only for their managers."""
    user = _user(request)
    filters = CannedFilterForm(request.GET)
    may_manage = casework.canned_response_manager(user)
    groups: list[CannedGroup] = []
    is_truncated = False
    if filters.is_valid():
        data = filters.cleaned_data
        rows = casework_queries.canned_responses_for(
            user, language=data["language"] or None, search=data["q"].strip() or None, include_inactive=True
        )
        if data["scope"] == PERSONAL_SCOPE:
            rows = rows.filter(owner__isnull=False)
        elif data["scope"]:
            rows = rows.filter(team__isnull=False)
        found = list(rows[: LIST_LIMIT + 1])
        is_truncated = len(found) > LIST_LIMIT
        groups = _grouped(found[:LIST_LIMIT], may_manage)
    context = {
        **nav_context(request, active="canned"),
        "filters": filters,
        "groups": groups,
        "is_truncated": is_truncated,
        "list_limit": LIST_LIMIT,
        "may_write": _may_write(may_manage, user),
        "is_filtered": any(request.GET.get(name) for name in filters.fields),
    }
    return render(request, "workspace/canned_list.html", context, status=200 if filters.is_valid() else 400)


# New and edit


def _form_context(request: HttpRequest, form: CannedResponseForm, **extra: Any) -> dict[str, Any]:
    return {
        **nav_context(request, active="canned"),
        "form": form,
        "variables": [(f"{{{name}}}", VARIABLE_HELP.get(name, "")) for name in VARIABLES],
        **extra,
    }


def _apply_error(form: CannedResponseForm, error: ActionError) -> None:
    """Put the action's refusal next to the field it names (all of them for several), else above the form."""
    problems = error.errors if isinstance(error, ValidationFailed) else {error.field or "": [error.message]}
    for name, texts in problems.items():
        target = FORM_FIELDS.get(name, name)
        for text in texts:
            form.add_error(target if target in form.fields else None, text)


@require_http_methods(["GET", "POST"])
@staff_required
def canned_new(request: HttpRequest) -> HttpResponse:
    """Write a personal response or, for a team's leads and administrators, one the team shares."""
    user = _user(request)
    writable = _writable(user)
    if not writable.is_allowed:
        return _refused(request, _("Your role may not write canned responses."))
    status = 200
    if request.method == "POST":
        form = CannedResponseForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                response = _create(form, user=user)
            except ActionError as error:
                _apply_error(form, error)
                status = error.status_code
            else:
                messages.success(request, _("Canned response “%(title)s” saved.") % {"title": response.title})
                return redirect("workspace:canned_list")
    else:
        form = CannedResponseForm(initial={"language": _ui_language(), "scope": PERSONAL_SCOPE})
    context = _form_context(
        request,
        form,
        scopes=[(PERSONAL_SCOPE, _("Personal (only me)")), *((team.code, team.name) for team in writable.teams)],
        preview=_preview(form.data.get("body", ""), user=user, team=writable.offered(form.data.get("scope", ""))),
    )
    return render(request, "workspace/canned_form.html", context, status=status)


@transaction.atomic
def _create(form: CannedResponseForm, *, user: User) -> CannedResponse:
    data = form.cleaned_data
    team = None
    if data["scope"] != PERSONAL_SCOPE:
        team = Team.objects.filter(code=data["scope"]).first()
        if team is None:
            raise ActionError(_("Unknown team."), field="team")
    return casework.create_canned_response(
        actor=user, title=data["title"], body=data["body"], language=data["language"], team=team, now=timezone.now()
    )


@require_http_methods(["GET", "POST"])
@staff_required
def canned_edit(request: HttpRequest, response_id: int) -> HttpResponse:
    """Change the title, language or body of a response the user manages (someone else's personal one is 404)."""
    user = _user(request)
    response = casework_queries.get_canned_response_for_user(user, response_id)
    if not casework.may_manage_canned_response(user, response):
        return _refused(request, _("You may use this canned response but not change it."))
    status = 200
    if request.method == "POST":
        form = CannedResponseForm(request.POST, with_scope=False)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    casework.update_canned_response(
                        response,
                        actor=user,
                        title=data["title"],
                        body=data["body"],
                        language=data["language"],
                        now=timezone.now(),
                    )
            except ActionError as error:
                _apply_error(form, error)
                status = error.status_code
            else:
                messages.success(request, _("Canned response “%(title)s” saved.") % {"title": response.title})
                return redirect("workspace:canned_list")
        body = form.data.get("body", "")
    else:
        form = CannedResponseForm(
            initial={"title": response.title, "language": response.language, "body": response.body}, with_scope=False
        )
        body = response.body
    context = _form_context(request, form, response=response, preview=_preview(body, user=user, team=response.team))
    return render(request, "workspace/canned_form.html", context, status=status)


def _ui_language() -> str:
    language = (get_language() or "").lower()
    return language if language in Language.values else Language.EN


# Deactivate and reactivate


@require_POST
@staff_required
def canned_set_active(request: HttpRequest, response_id: int, *, is_active: bool) -> HttpResponse:
    """Deactivate (hidden from the composer, kept) or reactivate a response the user manages."""
    user = _user(request)
    response = casework_queries.get_canned_response_for_user(user, response_id)
    try:
        with transaction.atomic():
            casework.set_canned_response_active(response, actor=user, is_active=is_active, now=timezone.now())
    except ActionError as error:
        if error.status_code == 403:
            return _refused(request, error.message)
        messages.error(request, error.message)
    else:
        done = _("“%(title)s” is active again.") if is_active else _("“%(title)s” is deactivated.")
        messages.success(request, done % {"title": response.title})
    return redirect(_back_to_list(request))


def _back_to_list(request: HttpRequest) -> str:
    """The list page the button was on (with its filters), never another page or site."""
    list_url = reverse("workspace:canned_list")
    target = request.POST.get("next", "")
    if target.startswith(list_url) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=False
    ):
        return target
    return list_url


# Live preview


@dataclass
class Preview:
    text: str
    problems: list[str]


def _preview(body: str, *, user: User, team: Team | None) -> Preview:
    """The body filled in with sample values (the user's own name as the agent), and what is wrong with it."""
    now = timezone.localtime()
    values = {
        "requester_name": str(SAMPLE_REQUESTER),
        "ticket_number": format_ticket_number(settings.SOPDESK_TICKET_PREFIX, now.year, 42),
        "ticket_title": str(SAMPLE_TITLE),
        "agent_name": str(user),
        "team_name": team.name if team is not None else str(SAMPLE_TEAM),
    }
    return Preview(text=substitute(body, values), problems=template_errors(body))


@require_POST
@staff_required
def canned_preview(request: HttpRequest) -> HttpResponse:
    """The preview fragment for the body being typed (HTMX); the team's name for a team scope."""
    user = _user(request)
    writable = _writable(user)
    if not writable.is_allowed:
        return HttpResponse(_("Your role may not write canned responses."), status=403, content_type="text/plain")
    body = request.POST.get("body", "")[:CANNED_BODY_MAX_LENGTH]
    scope = request.POST.get("scope", "")
    # The teams offered on the form, or (editing) one of the user's own teams.
    team = writable.offered(scope)
    if team is None and scope and scope != PERSONAL_SCOPE:
        team = Team.objects.filter(code=scope, pk__in=team_ids_of(user)).first()
    return render(request, "workspace/_canned_preview.html", {"preview": _preview(body, user=user, team=team)})
