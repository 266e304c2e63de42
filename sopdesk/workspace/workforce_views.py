"""Workforce pages of the workspace: the presence switch in the header and the team board for leads.

The presence comes from `workforce.actions.set_presence`, the board from `workforce.queries.team_board`;
these views only parse, ask and render.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from sopdesk.accounts.models import Team, User
from sopdesk.core.errors import ActionError
from sopdesk.workforce import actions as workforce
from sopdesk.workforce import queries as workforce_queries
from sopdesk.workforce.choices import Presence
from sopdesk.workspace.views import nav_context, staff_required


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@require_http_methods(["GET", "POST"])
@staff_required
def presence(request: HttpRequest) -> HttpResponse:
    """The header's presence switch: GET renders it (loaded after the page), POST switches it."""
    user = _user(request)
    if request.method == "POST":
        try:
            workforce.set_presence(actor=user, presence=request.POST.get("presence", ""), now=timezone.now())
        except ActionError as error:
            messages.error(request, error.message)
        # The header's htmx request swaps the switch in place; a plain form post goes back to the page.
        if request.headers.get("HX-Request") != "true":
            target = request.POST.get("next", "")
            safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False)
            return redirect(target if safe else "workspace:queue_default")
    profile = workforce.profile_for(user)
    context = {
        "presence": Presence(profile.presence),
        "choices": list(Presence),
        "has_boards": bool(workforce_queries.boards_for(user)),
        "next": request.GET.get("next", ""),
    }
    return render(request, "workspace/_presence.html", context)


@require_GET
@staff_required
def team_board(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """A lead's view of a team: who is available, open tickets against capacity, absences today."""
    user = _user(request)
    teams = workforce_queries.boards_for(user)
    team: Team | None
    if code is None:
        team = teams[0] if teams else None
    else:
        team = next((candidate for candidate in teams if candidate.code == code), None)
        if team is None:
            raise Http404("No board for this team")
    board = workforce_queries.team_board(team, now=timezone.now()) if team is not None else None
    backup = Team.objects.filter(pk=board.backup_team_id).first() if board and board.backup_team_id else None
    context = {
        **nav_context(request, active="team_board"),
        "teams": teams,
        "board": board,
        "backup": backup,
    }
    return render(request, "workspace/team_board.html", context)
