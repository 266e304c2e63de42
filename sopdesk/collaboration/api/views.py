"""Collaboration endpoints: parse, authorize, call an action or a query, shape."""

from datetime import datetime, time
from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from sopdesk.accounts.models import Team
from sopdesk.collaboration import actions
from sopdesk.collaboration.api import serializers
from sopdesk.collaboration.api.schemas import (
    CollaborationRequestIn,
    CollaborationRequestOut,
    CollaborationTeamPath,
    NoteIn,
    ReasonIn,
    RequestListParams,
    RequestPage,
    RequestPath,
    RequiredNoteIn,
    StatsParams,
    TeamSettingsIn,
    TeamSettingsOut,
    TeamStatsOut,
)
from sopdesk.collaboration.calendars import acceptance_rule
from sopdesk.collaboration.choices import OPEN_STATES
from sopdesk.collaboration.models import CollaborationRequest, TeamCollaborationSettings
from sopdesk.collaboration.queries import (
    get_request_for_user,
    inbox_for,
    may_read_inbox,
    requests_for_ticket,
    team_stats,
    visible_requests,
)
from sopdesk.core.api import check_query_parameters, error_responses, request_user
from sopdesk.core.errors import ActionError, NotFound, PermissionRefused
from sopdesk.core.http import client_address
from sopdesk.sla.config import check_may_read_config
from sopdesk.sla.models import Calendar
from sopdesk.tickets.actions import record_ticket_view
from sopdesk.tickets.choices import AccessChannel
from sopdesk.tickets.queries import get_ticket_for_user

tickets_router = Router(tags=["collaboration"])
router = Router(tags=["collaboration"])

ERRORS = error_responses(400, 401, 403, 404, 409, 422)


def _out(request: HttpRequest, rows: list[CollaborationRequest]) -> list[dict[str, Any]]:
    user, now = request_user(request), timezone.now()
    team_ids = actions.answering_team_ids(user)
    return [serializers.request_out(row, user=user, now=now, team_ids=team_ids) for row in rows]


@tickets_router.get("/{number}/collaboration-requests", response={200: list[CollaborationRequestOut], **ERRORS})
def list_ticket_requests(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """List the collaboration requests of a ticket (staff), newest first; staff reads are recorded."""
    user = request_user(request)
    ticket = get_ticket_for_user(user, number)
    record_ticket_view(ticket, user=user, via=AccessChannel.API, now=timezone.now(), ip_address=client_address(request))
    return _out(request, list(requests_for_ticket(ticket.pk, user)))


@tickets_router.post("/{number}/collaboration-requests", response={201: CollaborationRequestOut, **ERRORS})
@transaction.atomic
def create_request(request: HttpRequest, number: str, payload: CollaborationRequestIn) -> Status[Any]:
    """Ask another team for help on the ticket; its acceptance clock starts in that team's calendar."""
    user = request_user(request)
    ticket = get_ticket_for_user(user, number)
    team = Team.objects.filter(code=payload.to_team, is_active=True).first()
    if team is None:
        raise ActionError(_("Unknown team."), field="to_team")
    created = actions.request_collaboration(
        ticket,
        actor=user,
        to_team=team,
        needed=payload.needed,
        deliverable=payload.deliverable,
        deadline_at=payload.deadline_at,
        way_of_working=payload.way_of_working,
        now=timezone.now(),
    )
    return Status(201, _out(request, [created])[0])


@router.get("/requests", response={200: RequestPage, **ERRORS})
def list_requests(request: HttpRequest, params: Query[RequestListParams]) -> dict[str, Any]:
    """List the requests the caller may read, or one receiving team's inbox (`team`), acceptance due first."""
    check_query_parameters(request, RequestListParams)
    user = request_user(request)
    if params.team is not None:
        team = Team.objects.filter(code=params.team).first()
        if team is None or not may_read_inbox(user, team):
            raise NotFound(_("No such team."), field="team")
        rows = inbox_for(team, open_only=not params.include_closed)
    else:
        rows = visible_requests(user).select_related("ticket", "from_team", "to_team", "requested_by", "responded_by")
        if not params.include_closed:
            rows = rows.filter(state__in=[state.value for state in OPEN_STATES])
        rows = rows.order_by("accept_due_at", "id")
    page = list(rows[params.offset : params.offset + params.limit])
    return {"count": rows.count(), "items": _out(request, page)}


@router.get("/requests/{request_id}", response={200: CollaborationRequestOut, **ERRORS})
def get_request(request: HttpRequest, path: Path[RequestPath]) -> dict[str, Any]:
    """Return one request: the asking side who see its ticket, and the receiving team."""
    return _out(request, [get_request_for_user(request_user(request), path.request_id)])[0]


def _step(request: HttpRequest, request_id: int, step: Any, **kwargs: Any) -> dict[str, Any]:
    user = request_user(request)
    row = get_request_for_user(user, request_id)
    step(row, actor=user, now=timezone.now(), **kwargs)
    return _out(request, [row])[0]


@router.post("/requests/{request_id}/accept", response={200: CollaborationRequestOut, **ERRORS})
@transaction.atomic
def accept(request: HttpRequest, path: Path[RequestPath], payload: NoteIn) -> dict[str, Any]:
    """Accept a request (the receiving team)."""
    return _step(request, path.request_id, actions.accept_request, note=payload.note)


@router.post("/requests/{request_id}/reject", response={200: CollaborationRequestOut, **ERRORS})
@transaction.atomic
def reject(request: HttpRequest, path: Path[RequestPath], payload: ReasonIn) -> dict[str, Any]:
    """Reject a request with a reason (the receiving team)."""
    return _step(request, path.request_id, actions.reject_request, reason=payload.reason)


@router.post("/requests/{request_id}/progress", response={200: CollaborationRequestOut, **ERRORS})
@transaction.atomic
def progress(request: HttpRequest, path: Path[RequestPath], payload: RequiredNoteIn) -> dict[str, Any]:
    """Report progress (the receiving team); the first report starts the work."""
    return _step(request, path.request_id, actions.record_progress, note=payload.note)


@router.post("/requests/{request_id}/deliver", response={200: CollaborationRequestOut, **ERRORS})
@transaction.atomic
def deliver(request: HttpRequest, path: Path[RequestPath], payload: RequiredNoteIn) -> dict[str, Any]:
    """Hand over the deliverable (the receiving team)."""
    return _step(request, path.request_id, actions.deliver, note=payload.note)


@router.post("/requests/{request_id}/confirm", response={200: CollaborationRequestOut, **ERRORS})
@transaction.atomic
def confirm(request: HttpRequest, path: Path[RequestPath], payload: NoteIn) -> dict[str, Any]:
    """Confirm the delivery (the asking side): the request is done."""
    return _step(request, path.request_id, actions.confirm_delivery, note=payload.note)


@router.post("/requests/{request_id}/return", response={200: CollaborationRequestOut, **ERRORS})
@transaction.atomic
def return_delivery(request: HttpRequest, path: Path[RequestPath], payload: ReasonIn) -> dict[str, Any]:
    """Send the delivery back with what is missing (the asking side)."""
    return _step(request, path.request_id, actions.return_delivery, reason=payload.reason)


@router.post("/requests/{request_id}/withdraw", response={200: CollaborationRequestOut, **ERRORS})
@transaction.atomic
def withdraw(request: HttpRequest, path: Path[RequestPath], payload: ReasonIn) -> dict[str, Any]:
    """Withdraw an open request that is no longer needed (the asking side)."""
    return _step(request, path.request_id, actions.withdraw_request, reason=payload.reason)


@router.get("/stats", response={200: list[TeamStatsOut], **ERRORS})
def stats(request: HttpRequest, params: Query[StatsParams]) -> list[dict[str, Any]]:
    """Completion rate and acceptance time per receiving team (managers and admins: all; others: their teams)."""
    check_query_parameters(request, StatsParams)
    user = request_user(request)
    if user.is_requester:
        raise PermissionRefused(_("Only staff may read collaboration figures."))
    zone = timezone.get_current_timezone()
    since = datetime.combine(params.since, time(), tzinfo=zone)
    until = datetime.combine(params.until, time(), tzinfo=zone)
    if until <= since:
        raise ActionError(_("`until` must be after `since`."), field="until")
    team_ids = None if user.sees_all_tickets else list(user.memberships.values_list("team_id", flat=True))
    rows = team_stats(since=since, until=until, team_ids=team_ids)
    teams = Team.objects.in_bulk([row.team_id for row in rows])
    return [serializers.stats_out(row, teams[row.team_id]) for row in rows]


def _team(code: str) -> Team:
    team: Team | None = Team.objects.filter(code=code).first()
    if team is None:
        raise Http404("No such team")
    return team


def _settings_out(team: Team) -> dict[str, Any]:
    own = TeamCollaborationSettings.objects.filter(team=team).select_related("calendar").first()
    return {
        "team": serializers.team_ref(team),
        "calendar": own.calendar.code if own is not None and own.calendar is not None else None,
        "acceptance_working_days": own.acceptance_working_days if own is not None else None,
        "effective_acceptance_working_days": acceptance_rule(team)[1],
    }


@router.get("/teams/{code}/settings", response={200: TeamSettingsOut, **ERRORS})
def get_team_settings(request: HttpRequest, path: Path[CollaborationTeamPath]) -> dict[str, Any]:
    """Return a team's acceptance calendar and working days (administrators and managers)."""
    check_may_read_config(request_user(request))
    return _settings_out(_team(path.code))


@router.put("/teams/{code}/settings", response={200: TeamSettingsOut, **ERRORS})
@transaction.atomic
def set_team_settings(
    request: HttpRequest, path: Path[CollaborationTeamPath], payload: TeamSettingsIn
) -> dict[str, Any]:
    """Set a team's acceptance calendar and working days (administrators); recorded in the audit log."""
    user = request_user(request)
    team = _team(path.code)
    calendar = None
    if payload.calendar is not None:
        calendar = Calendar.objects.filter(code=payload.calendar).first()
        if calendar is None:
            raise ActionError(_("Unknown calendar."), field="calendar")
    actions.set_team_settings(
        team,
        actor=user,
        calendar=calendar,
        acceptance_working_days=payload.acceptance_working_days,
        now=timezone.now(),
    )
    return _settings_out(team)
