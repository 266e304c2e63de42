"""Collaboration pages of the workspace: each team's inbox, and the steps on one request.

Who may read an inbox and answer a request comes from `collaboration.queries` and
`collaboration.actions`; every step goes through the collaboration actions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from sopdesk.accounts.models import Team
from sopdesk.collaboration import actions as collaboration
from sopdesk.collaboration.choices import STEPS, CollaborationState, possible_steps
from sopdesk.collaboration.queries import get_request_for_user, inbox_for, inbox_teams, may_read_inbox
from sopdesk.core.errors import ActionError
from sopdesk.tickets.models import Ticket
from sopdesk.workspace import forms
from sopdesk.workspace.collaboration import keep_step_draft, pop_step_draft
from sopdesk.workspace.views import nav_context, staff_required

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

# step name → (action, the keyword its text goes to, the success message); when a step is possible and
# whether it needs its text is the lifecycle table's (collaboration.choices.STEPS), checked by the action.
STEP_ACTIONS: dict[str, tuple[Callable[..., Any], str, StrOrPromise]] = {
    "accept": (collaboration.accept_request, "note", gettext_lazy("Request accepted.")),
    "reject": (collaboration.reject_request, "reason", gettext_lazy("Request rejected.")),
    "progress": (collaboration.record_progress, "note", gettext_lazy("Progress recorded.")),
    "deliver": (collaboration.deliver, "note", gettext_lazy("Delivered; the asking team confirms or returns it.")),
    "confirm": (collaboration.confirm_delivery, "note", gettext_lazy("Delivery confirmed.")),
    "return": (collaboration.return_delivery, "reason", gettext_lazy("Delivery returned.")),
    "withdraw": (collaboration.withdraw_request, "reason", gettext_lazy("Request withdrawn.")),
}


@require_GET
@staff_required
def inbox_default(request: HttpRequest) -> HttpResponse:
    teams = inbox_teams(request.user)  # type: ignore[arg-type]
    if not teams:
        context = {**nav_context(request, active="collaboration"), "team": None, "teams": [], "rows": []}
        return render(request, "workspace/collaboration_inbox.html", context)
    return redirect("workspace:collaboration_inbox", code=teams[0].code)


@require_GET
@staff_required
def inbox(request: HttpRequest, code: str) -> HttpResponse:
    """One team's incoming requests with their acceptance clocks and the steps the viewer may take."""
    user, now = request.user, timezone.now()
    team = Team.objects.filter(code=code).first()
    if team is None or not may_read_inbox(user, team):  # type: ignore[arg-type]
        raise Http404("No such team")
    show_closed = request.GET.get("closed") == "1"
    rows = list(inbox_for(team, open_only=not show_closed)[:200])
    team_ids = collaboration.answering_team_ids(user)  # type: ignore[arg-type]
    visible = set(
        Ticket.objects.visible_to(user).filter(pk__in=[row.ticket_id for row in rows]).values_list("pk", flat=True)  # type: ignore[arg-type]
    )
    context = {
        **nav_context(request, active="collaboration"),
        "team": team,
        "teams": inbox_teams(user),  # type: ignore[arg-type]
        "show_closed": show_closed,
        "rows": [
            {
                "request": row,
                "overdue": row.is_acceptance_overdue(now=now),
                "may_answer": collaboration.may_answer(user, row, team_ids=team_ids),  # type: ignore[arg-type]
                "steps": possible_steps(row.state),
                "ticket_visible": row.ticket_id in visible,
            }
            for row in rows
        ],
        "states": CollaborationState,
        "step_rules": STEPS,
        "step_draft": pop_step_draft(request),
    }
    return render(request, "workspace/collaboration_inbox.html", context)


def _back(request: HttpRequest, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("workspace:collaboration_inbox_default")


@require_POST
@staff_required
def step(request: HttpRequest, request_id: int, step: str) -> HttpResponse:
    """Take one step on a request (accept, reject, progress, deliver, confirm, return, withdraw)."""
    if step not in STEP_ACTIONS:
        raise Http404("No such step")
    action, keyword, done = STEP_ACTIONS[step]
    user = request.user
    row = get_request_for_user(user, request_id)  # type: ignore[arg-type]
    form = forms.CollaborationStepForm(request.POST)
    back = _back(request, request.POST.get("next", ""))
    if not form.is_valid():
        keep_step_draft(request, row.pk, step, request.POST.get("text", "")[:20000])
        messages.error(request, " ".join(str(problem) for problems in form.errors.values() for problem in problems))
        return redirect(back)
    text = form.cleaned_data["text"]
    try:
        with transaction.atomic():
            action(row, actor=user, now=timezone.now(), **{keyword: text})
    except ActionError as error:
        keep_step_draft(request, row.pk, step, text)
        messages.error(request, error.message)
    else:
        messages.success(request, str(done))
    return redirect(back)
