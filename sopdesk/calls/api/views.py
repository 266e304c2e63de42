"""Phone-call endpoints: parse, authorize, call an action or a query, shape."""

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from sopdesk.accounts.models import User
from sopdesk.calls import actions
from sopdesk.calls.api.schemas import AnswerKpiOut, AnswerKpiParams, CallIn, CallOut, NewTicketCallIn
from sopdesk.calls.models import PhoneCall
from sopdesk.calls.queries import answer_figures, calls_of, calls_visible_to
from sopdesk.core.api import check_query_parameters, error_responses, request_user
from sopdesk.core.errors import ActionError, PermissionRefused
from sopdesk.tickets.api.serializers import user_ref
from sopdesk.tickets.queries import get_ticket_for_user

tickets_router = Router(tags=["calls"])
router = Router(tags=["calls"])

ERRORS = error_responses(400, 401, 403, 404, 409, 422)


def call_out(call: PhoneCall) -> dict[str, Any]:
    return {
        "id": call.pk,
        "ticket": call.ticket.number,
        "agent": user_ref(call.agent),
        "caller_number": call.caller_number,
        "caller_name": call.caller_name,
        "direction": call.direction,
        "ring_at": call.ring_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "answer_seconds": call.answer_seconds,
        "duration_seconds": call.duration_seconds,
        "notes": call.notes,
        "outcome": call.outcome,
        "created_ticket": call.created_ticket,
        "created_at": call.created_at,
    }


def _details(payload: CallIn) -> actions.CallDetails:
    return actions.CallDetails(
        caller_number=payload.caller_number,
        caller_name=payload.caller_name,
        direction=payload.direction,
        ring_at=payload.ring_at,
        answered_at=payload.answered_at,
        ended_at=payload.ended_at,
        duration_seconds=payload.duration_seconds,
        notes=payload.notes,
        outcome=payload.outcome,
    )


def _check_staff(user: User) -> None:
    if user.is_requester:
        raise PermissionRefused(_("Only staff may read phone calls."))


@tickets_router.get("/{number}/calls", response={200: list[CallOut], **ERRORS})
def list_calls(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """List the calls logged on a ticket (staff who may see it)."""
    user = request_user(request)
    _check_staff(user)
    ticket = get_ticket_for_user(user, number)
    return [call_out(call) for call in calls_of(ticket)]


@tickets_router.post("/{number}/calls", response={201: CallOut, **ERRORS})
@transaction.atomic
def log_call(request: HttpRequest, number: str, payload: CallIn) -> Status[Any]:
    """Log a call about an existing ticket (staff who may change it)."""
    user = request_user(request)
    ticket = get_ticket_for_user(user, number)
    call = actions.log_call(ticket, actor=user, details=_details(payload), now=timezone.now())
    return Status(201, call_out(call))


@router.post("", response={201: CallOut, **ERRORS})
@transaction.atomic
def log_call_creating_ticket(request: HttpRequest, payload: NewTicketCallIn) -> Status[Any]:
    """Log a call that opens a new phone ticket; the requester is chosen or matched by the caller's number."""
    user = request_user(request)
    requester = None
    if payload.requester:
        actions.check_may_log_calls(user)
        requester = User.objects.filter(username=payload.requester, is_active=True).first()
        if requester is None:
            raise ActionError(_("No such requester."), field="requester")
    call = actions.log_call_creating_ticket(
        actor=user,
        details=_details(payload),
        title=payload.title,
        description=payload.description,
        requester=requester,
        now=timezone.now(),
    )
    return Status(201, call_out(call))


@router.get("/answer-kpi", response={200: AnswerKpiOut, **ERRORS})
def answer_kpi(request: HttpRequest, params: Query[AnswerKpiParams]) -> dict[str, Any]:
    """Inbound calls that rang in [since, until) on tickets the caller sees, and how many were answered in time."""
    check_query_parameters(request, AnswerKpiParams)
    user = request_user(request)
    _check_staff(user)

    figures = answer_figures(
        calls_visible_to(user), since=params.since, until=params.until, target=timedelta(seconds=params.target_seconds)
    )
    return {
        "rang_count": figures.rang_count,
        "answered_count": figures.answered_count,
        "answered_in_time_count": figures.answered_in_time_count,
        "target_seconds": figures.target_seconds,
        "rate": figures.rate,
    }
