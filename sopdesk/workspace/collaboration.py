"""The collaboration part of the workspace ticket page: what it shows and the "Ask another team" action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from sopdesk.accounts.models import Team, User
from sopdesk.collaboration import actions as collaboration
from sopdesk.collaboration.choices import STEPS, possible_steps
from sopdesk.collaboration.queries import requests_for_ticket
from sopdesk.core.errors import ActionError
from sopdesk.tickets.models import Ticket
from sopdesk.workspace import forms

_DRAFT = "collaboration_step_draft"


def keep_step_draft(request: HttpRequest, request_id: int, step: str, text: str) -> None:
    # A refused step goes back to the page it came from: the text typed there comes back with it.
    request.session[_DRAFT] = {"request": request_id, "step": step, "text": text}


def pop_step_draft(request: HttpRequest) -> dict[str, Any] | None:
    """The text of the step refused just before this page, once (for the form it was typed in)."""
    draft = request.session.pop(_DRAFT, None)
    return draft if isinstance(draft, dict) else None


def collaboration_context(
    ticket: Ticket, user: User, *, writable: bool, now: datetime, step_draft: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The ticket's requests, whether the viewer may follow them up or file a new one, and the empty form."""
    return {
        "collaboration_requests": [
            (item, item.is_acceptance_overdue(now=now), possible_steps(item.state))
            for item in requests_for_ticket(ticket.pk, user)
        ],
        "step_rules": STEPS,
        "may_ask_collaboration": collaboration.may_ask(user, writable=writable),
        "may_file_collaboration": collaboration.may_ask(user, writable=writable)
        and collaboration.accepts_requests(ticket),
        "collaboration_form": forms.CollaborationRequestForm(),
        "step_draft": step_draft,
    }


def ask_another_team(
    ticket: Ticket, form: forms.CollaborationRequestForm, *, user: User, now: Any, expected_version: int | None
) -> str:
    data = form.cleaned_data
    team = Team.objects.filter(code=data["to_team"], is_active=True).first()
    if team is None:
        raise ActionError(_("Unknown team."), field="to_team")
    collaboration.request_collaboration(
        ticket,
        actor=user,
        to_team=team,
        needed=data["needed"],
        deliverable=data["deliverable"],
        deadline_at=data["deadline_at"],
        way_of_working=data["way_of_working"],
        now=now,
    )
    return _("%(team)s was asked for help; they have until the acceptance time shown to accept.") % {"team": team.name}
