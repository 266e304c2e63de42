"""Every change of a collaboration request. Views, API, admin and jobs call these and nothing else.

Each action locks the ticket row first (the one lock order: ticket, then its requests), reloads
the request and decides on its current state. The asking side (staff who may change the ticket)
files, withdraws, confirms and returns; the receiving side (members of the receiving team, or
managers and admins) accepts, rejects, reports progress and delivers. The receiving team need not
see the ticket itself: the request carries what it needs, so its actions lock the ticket as the
system does, after their own permission check. Every step is an internal timeline entry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.db import transaction
from django.utils.translation import gettext as _

from sopdesk.accounts.models import Team, TeamMembership, User
from sopdesk.audit.actions import field_values, record_config_change
from sopdesk.audit.choices import Operation
from sopdesk.collaboration import events
from sopdesk.collaboration.calendars import acceptance_due
from sopdesk.collaboration.choices import STEPS, CollaborationEventKind, CollaborationState, WayOfWorking
from sopdesk.collaboration.models import SHORT_TEXT_MAX_LENGTH, CollaborationRequest, TeamCollaborationSettings
from sopdesk.collaboration.notifications import notify
from sopdesk.core.errors import ActionError, PermissionRefused, TransitionRefused
from sopdesk.core.validation import TextInputs
from sopdesk.sla.config import may_change_config
from sopdesk.sla.models import Calendar
from sopdesk.tickets.actions import changing_ticket, changing_ticket_as_system, ticket_touched
from sopdesk.tickets.choices import AWAITING_CONFIRMATION, Status
from sopdesk.tickets.models import TEXT_MAX_LENGTH, Ticket

# Work on these tickets is over or waits for the requester's confirmation: nobody is asked for help.
# The work on the ticket has ended (a fix proposed or confirmed): nobody else is asked for help.
_FINISHED_TICKET = AWAITING_CONFIRMATION | {Status.CLOSED}
S = CollaborationState


def _one_text(field: str, value: str, *, required: bool) -> str:
    texts = TextInputs()
    text = texts.take(field, value, required=required, max_length=TEXT_MAX_LENGTH)
    texts.check()
    return text


# --- who may do what (the UI asks these to offer only what will succeed) ------------------


def may_ask(actor: User, *, writable: bool) -> bool:
    """Return True when `actor`, who may (`writable`) or may not change the ticket, may ask other teams about it."""
    return writable and not actor.is_requester


def accepts_requests(ticket: Ticket) -> bool:
    """Return True when other teams may be asked for help on `ticket` (its work is not finished)."""
    return ticket.status not in _FINISHED_TICKET


def answering_team_ids(actor: User) -> frozenset[int] | None:
    """Return the teams `actor` answers requests for: None for every team (managers, admins)."""
    if not actor.is_active or actor.is_requester or actor.is_read_only:
        return frozenset()
    if actor.sees_all_tickets:
        return None
    return frozenset(TeamMembership.objects.filter(user=actor).values_list("team_id", flat=True))


def may_answer(
    actor: User, request: CollaborationRequest, *, team_ids: frozenset[int] | Literal["unknown"] | None = "unknown"
) -> bool:
    """Return True when `actor` may answer `request` for its receiving team (a member, a manager or an admin).

    `team_ids` is `answering_team_ids(actor)` when the caller has it (lists: one query for all rows).
    """
    scope = answering_team_ids(actor) if team_ids == "unknown" else team_ids
    return scope is None or request.to_team_id in scope


def _check_asker(actor: User) -> None:
    # The ticket's own writable check follows in changing_ticket: together they are `may_ask`.
    if not may_ask(actor, writable=True):
        raise PermissionRefused(_("Only staff may ask other teams for help."))


def _check_answerer(actor: User, request: CollaborationRequest) -> None:
    if not may_answer(actor, request):
        raise PermissionRefused(_("Only the receiving team may answer this request."))


def _reload(request: CollaborationRequest) -> None:
    request.refresh_from_db(from_queryset=CollaborationRequest.objects.select_for_update(of=("self",)))


def _expect(request: CollaborationRequest, step: str) -> None:
    if request.state not in STEPS[step].from_states:
        raise TransitionRefused(
            _("The request is “%(state)s”; this step is not possible now.")
            % {"state": CollaborationState(request.state).label},
            field="state",
        )


def _step(
    request: CollaborationRequest,
    kind: CollaborationEventKind,
    *,
    actor: User,
    now: datetime,
    fields: list[str],
    body: str = "",
) -> CollaborationRequest:
    """Save `fields` of the locked `request`, write its timeline entry, touch the ticket and notify."""
    request.updated_at = now
    request.save(update_fields=[*fields, "updated_at"])
    event = events.record(request, kind, actor=actor, now=now, body=body)
    ticket_touched(request.ticket, now=now)
    notify(event, request)
    return request


# --- the asking side ------------------------------------------------------------------------


def request_collaboration(
    ticket: Ticket,
    *,
    actor: User,
    to_team: Team,
    needed: str,
    deliverable: str,
    deadline_at: datetime,
    way_of_working: str,
    now: datetime,
) -> CollaborationRequest:
    """Ask `to_team` for help on `ticket`; the acceptance clock starts in that team's calendar."""
    _check_asker(actor)
    texts = TextInputs()
    needed = texts.take("needed", needed, required=True, max_length=TEXT_MAX_LENGTH)
    deliverable = texts.take("deliverable", deliverable, required=True, max_length=SHORT_TEXT_MAX_LENGTH, one_line=True)
    texts.check()
    if way_of_working not in WayOfWorking.values:
        raise ActionError(_("Unknown way of working."), field="way_of_working")
    if deadline_at <= now:
        raise ActionError(_("The deadline must be in the future."), field="deadline_at")
    if not to_team.is_active:
        raise ActionError(_("This team is no longer active."), field="to_team")
    with changing_ticket(ticket, actor=actor):
        if not accepts_requests(ticket):
            raise ActionError(_("Work on this ticket is finished; reopen it first."), field="to_team")
        if to_team.pk == ticket.team_id:
            raise ActionError(_("The ticket is with this team already."), field="to_team")
        if CollaborationRequest.objects.open().filter(ticket=ticket, to_team=to_team).exists():
            raise ActionError(_("This team has an open request on this ticket already."), field="to_team")
        request = CollaborationRequest(
            ticket=ticket,
            from_team_id=ticket.team_id,
            to_team=to_team,
            needed=needed,
            deliverable=deliverable,
            deadline_at=deadline_at,
            way_of_working=way_of_working,
            requested_by=actor,
            requested_at=now,
            accept_due_at=acceptance_due(to_team, requested_at=now),
            updated_at=now,
        )
        request.save(force_insert=True)
        event = events.record(request, CollaborationEventKind.REQUESTED, actor=actor, now=now, body=needed)
        ticket_touched(ticket, now=now)
        notify(event, request)
    return request


def withdraw_request(request: CollaborationRequest, *, actor: User, reason: str, now: datetime) -> CollaborationRequest:
    """Withdraw an open request (the asking side): it is no longer needed."""
    _check_asker(actor)
    reason = _one_text("reason", reason, required=STEPS["withdraw"].needs_text)
    with changing_ticket(request.ticket, actor=actor):
        _reload(request)
        _expect(request, "withdraw")
        request.state, request.closed_by, request.closed_at = S.WITHDRAWN, actor, now
        return _step(
            request,
            CollaborationEventKind.WITHDRAWN,
            actor=actor,
            now=now,
            fields=["state", "closed_by", "closed_at"],
            body=reason,
        )


def confirm_delivery(request: CollaborationRequest, *, actor: User, note: str, now: datetime) -> CollaborationRequest:
    """Confirm what the receiving team delivered (the asking side): the request is done."""
    _check_asker(actor)
    note = _one_text("note", note, required=STEPS["confirm"].needs_text)
    with changing_ticket(request.ticket, actor=actor):
        _reload(request)
        _expect(request, "confirm")
        request.state, request.closed_by, request.closed_at = S.CONFIRMED, actor, now
        return _step(
            request,
            CollaborationEventKind.CONFIRMED,
            actor=actor,
            now=now,
            fields=["state", "closed_by", "closed_at"],
            body=note,
        )


def return_delivery(request: CollaborationRequest, *, actor: User, reason: str, now: datetime) -> CollaborationRequest:
    """Send a delivery back (the asking side) with what is missing; the receiving team works on it again."""
    _check_asker(actor)
    reason = _one_text("reason", reason, required=STEPS["return"].needs_text)
    with changing_ticket(request.ticket, actor=actor):
        _reload(request)
        _expect(request, "return")
        request.state, request.return_reason = S.RETURNED, reason
        return _step(
            request,
            CollaborationEventKind.RETURNED,
            actor=actor,
            now=now,
            fields=["state", "return_reason"],
            body=reason,
        )


# --- the receiving side ---------------------------------------------------------------------


def accept_request(request: CollaborationRequest, *, actor: User, note: str, now: datetime) -> CollaborationRequest:
    """Accept a request for the receiving team (late acceptance stays visible: `was_accepted_late`)."""
    _check_answerer(actor, request)
    note = _one_text("note", note, required=STEPS["accept"].needs_text)
    with changing_ticket_as_system(request.ticket):
        _reload(request)
        _expect(request, "accept")
        request.state, request.responded_by, request.responded_at = S.ACCEPTED, actor, now
        return _step(
            request,
            CollaborationEventKind.ACCEPTED,
            actor=actor,
            now=now,
            fields=["state", "responded_by", "responded_at"],
            body=note,
        )


def reject_request(request: CollaborationRequest, *, actor: User, reason: str, now: datetime) -> CollaborationRequest:
    """Reject a request for the receiving team, saying why."""
    _check_answerer(actor, request)
    reason = _one_text("reason", reason, required=STEPS["reject"].needs_text)
    with changing_ticket_as_system(request.ticket):
        _reload(request)
        _expect(request, "reject")
        request.state, request.responded_by, request.responded_at = S.REJECTED, actor, now
        request.reject_reason, request.closed_at = reason, now
        return _step(
            request,
            CollaborationEventKind.REJECTED,
            actor=actor,
            now=now,
            fields=["state", "responded_by", "responded_at", "reject_reason", "closed_at"],
            body=reason,
        )


def record_progress(request: CollaborationRequest, *, actor: User, note: str, now: datetime) -> CollaborationRequest:
    """Report progress on an accepted request (the receiving team); the first report starts the work."""
    _check_answerer(actor, request)
    note = _one_text("note", note, required=STEPS["progress"].needs_text)
    with changing_ticket_as_system(request.ticket):
        _reload(request)
        _expect(request, "progress")
        fields = ["state"]
        request.state = S.IN_PROGRESS
        if request.started_at is None:
            request.started_at = now
            fields.append("started_at")
        return _step(request, CollaborationEventKind.PROGRESS, actor=actor, now=now, fields=fields, body=note)


def deliver(request: CollaborationRequest, *, actor: User, note: str, now: datetime) -> CollaborationRequest:
    """Hand over the deliverable (the receiving team); the asking side confirms or returns it."""
    _check_answerer(actor, request)
    note = _one_text("note", note, required=STEPS["deliver"].needs_text)
    with changing_ticket_as_system(request.ticket):
        _reload(request)
        _expect(request, "deliver")
        request.state, request.delivered_at, request.delivery_note = S.DELIVERED, now, note
        fields = ["state", "delivered_at", "delivery_note"]
        if request.started_at is None:
            request.started_at = now
            fields.append("started_at")
        return _step(request, CollaborationEventKind.DELIVERED, actor=actor, now=now, fields=fields, body=note)


# --- configuration --------------------------------------------------------------------------

_SETTINGS_FIELDS = ("calendar", "acceptance_working_days")


def set_team_settings(
    team: Team,
    *,
    actor: User | None,
    calendar: Calendar | None,
    acceptance_working_days: int | None,
    now: datetime,
) -> TeamCollaborationSettings:
    """Set the calendar and working days `team`'s acceptance clock counts in (admins); audited.

    Requests already filed keep their due time; the new rule applies to the next ones.
    """
    if actor is not None and not may_change_config(actor):
        raise PermissionRefused(_("Only administrators may change collaboration settings."))
    if calendar is not None and not calendar.is_active:
        raise ActionError(_("This calendar is no longer in use."), field="calendar")
    if acceptance_working_days is not None and not 1 <= acceptance_working_days <= 30:
        raise ActionError(_("Between 1 and 30 working days."), field="acceptance_working_days")
    with transaction.atomic():
        settings_row, created = TeamCollaborationSettings.objects.select_for_update().get_or_create(team=team)
        before = {} if created else field_values(settings_row, _SETTINGS_FIELDS)
        settings_row.calendar = calendar
        settings_row.acceptance_working_days = acceptance_working_days
        settings_row.save()
        record_config_change(
            settings_row,
            operation=Operation.CREATED if created else Operation.CHANGED,
            before=before,
            after=field_values(settings_row, _SETTINGS_FIELDS),
            actor=actor,
            now=now,
        )
    return settings_row
