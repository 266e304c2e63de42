"""Casework endpoints under a ticket, and canned responses: parse, authorize, call an action or a query, shape."""

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Body, Path, Query, Router, Status

from sopdesk.accounts.models import Team
from sopdesk.casework import actions
from sopdesk.casework.api import serializers
from sopdesk.casework.api.schemas import (
    AuthorizationOut,
    CannedResponseIn,
    CannedResponseListParams,
    CannedResponseOut,
    CannedResponsePath,
    CannedResponseUpdateIn,
    DiagnosisStepIn,
    DiagnosisStepOut,
    GrantIn,
    OffPeakOut,
    OffPeakParams,
    RecordPath,
    RefuseIn,
    RejectIn,
    RemoteAssistanceIn,
    SolutionPlanIn,
    SolutionPlanOut,
    VerificationIn,
    VerificationOut,
)
from sopdesk.casework.canned import render
from sopdesk.casework.queries import (
    authorizations_for,
    canned_responses_for,
    diagnosis_steps_for,
    get_authorization_for_user,
    get_canned_response_for_user,
    get_plan_for_user,
    plans_for,
    verifications_for,
)
from sopdesk.casework.scheduling import calendar_for_plans, off_peak_hint
from sopdesk.core.api import check_query_parameters, error_responses, request_user
from sopdesk.core.errors import ActionError, PermissionRefused
from sopdesk.core.http import client_address
from sopdesk.tickets.actions import record_ticket_view
from sopdesk.tickets.choices import AccessChannel
from sopdesk.tickets.models import Ticket
from sopdesk.tickets.queries import get_ticket_for_user

tickets_router = Router(tags=["casework"])
canned_router = Router(tags=["canned_responses"])

ERRORS = error_responses(400, 401, 403, 404, 409, 422)


def _read(request: HttpRequest, number: str) -> Ticket:
    """Return the visible ticket `number`, recording a staff read in the access log."""
    user = request_user(request)
    ticket = get_ticket_for_user(user, number)
    record_ticket_view(ticket, user=user, via=AccessChannel.API, now=timezone.now(), ip_address=client_address(request))
    return ticket


# --- diagnosis steps ------------------------------------------------------------------------


@tickets_router.get("/{number}/diagnosis-steps", response={200: list[DiagnosisStepOut], **ERRORS})
def list_diagnosis_steps(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """List the diagnosis steps; requesters see only the public ones."""
    user = request_user(request)
    steps = diagnosis_steps_for(_read(request, number), user).prefetch_related("attachments__uploaded_by")
    return [serializers.diagnosis_step_out(step) for step in steps]


@tickets_router.post("/{number}/diagnosis-steps", response={201: DiagnosisStepOut, **ERRORS})
@transaction.atomic
def create_diagnosis_step(request: HttpRequest, number: str, payload: DiagnosisStepIn) -> Status[Any]:
    """Record a diagnosis step (staff); screenshots are attachments uploaded to the ticket first."""
    user = request_user(request)
    ticket = get_ticket_for_user(user, number)
    step = actions.record_diagnosis_step(
        ticket,
        actor=user,
        checked=payload.checked,
        command=payload.command,
        result=payload.result,
        is_public=payload.is_public,
        attachment_ids=payload.attachment_ids,
        now=timezone.now(),
    )
    return Status(201, serializers.diagnosis_step_out(step))


# --- remote-assistance authorisations -----------------------------------------------------------


@tickets_router.get("/{number}/remote-assistance", response={200: list[AuthorizationOut], **ERRORS})
def list_authorizations(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """List the remote-assistance authorisations with what the caller may do with each."""
    user = request_user(request)
    ticket = _read(request, number)
    deciding, now = actions.may_decide(user, ticket), timezone.now()
    return [serializers.authorization_out(a, deciding=deciding, now=now) for a in authorizations_for(ticket, user)]


@tickets_router.post("/{number}/remote-assistance", response={201: AuthorizationOut, **ERRORS})
@transaction.atomic
def request_authorization(request: HttpRequest, number: str, payload: RemoteAssistanceIn) -> Status[Any]:
    """Ask the requester to authorise remote assistance (staff)."""
    user = request_user(request)
    ticket = get_ticket_for_user(user, number)
    now = timezone.now()
    authorization = actions.request_remote_assistance(
        ticket, actor=user, scope=payload.scope, method=payload.method, ends_at=payload.ends_at, now=now
    )
    return Status(201, serializers.authorization_out(authorization, deciding=False, now=now))


def _decided_authorization(request: HttpRequest, path: RecordPath, decide: Any, **kwargs: Any) -> dict[str, Any]:
    user = request_user(request)
    ticket = get_ticket_for_user(user, path.number)
    authorization = get_authorization_for_user(user, ticket, path.record_id)
    now = timezone.now()
    decide(authorization, actor=user, now=now, **kwargs)
    return serializers.authorization_out(authorization, deciding=True, now=now)


@tickets_router.post("/{number}/remote-assistance/{record_id}/grant", response={200: AuthorizationOut, **ERRORS})
@transaction.atomic
def grant_authorization(
    request: HttpRequest, path: Path[RecordPath], payload: Body[GrantIn | None] = None
) -> dict[str, Any]:
    """Grant a requested authorisation (the requester only), for the period asked or a shorter one."""
    ends_at = payload.ends_at if payload is not None else None
    return _decided_authorization(request, path, actions.grant_remote_assistance, ends_at=ends_at)


@tickets_router.post("/{number}/remote-assistance/{record_id}/refuse", response={200: AuthorizationOut, **ERRORS})
@transaction.atomic
def refuse_authorization(request: HttpRequest, path: Path[RecordPath], payload: RefuseIn) -> dict[str, Any]:
    """Refuse a requested authorisation, optionally saying why (the requester only)."""
    return _decided_authorization(request, path, actions.refuse_remote_assistance, reason=payload.reason)


@tickets_router.post("/{number}/remote-assistance/{record_id}/revoke", response={200: AuthorizationOut, **ERRORS})
@transaction.atomic
def revoke_authorization(request: HttpRequest, path: Path[RecordPath]) -> dict[str, Any]:
    """Withdraw a granted authorisation before its end (the requester only)."""
    return _decided_authorization(request, path, actions.revoke_remote_assistance)


# --- solution plans ----------------------------------------------------------------------------


@tickets_router.get("/{number}/plans", response={200: list[SolutionPlanOut], **ERRORS})
def list_plans(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """List every version of the solution plan, with the off-peak hint for its scheduled time."""
    user = request_user(request)
    ticket = _read(request, number)
    deciding, calendar = actions.may_decide(user, ticket), calendar_for_plans(ticket)
    return [serializers.plan_out(plan, deciding=deciding, calendar=calendar) for plan in plans_for(ticket, user)]


@tickets_router.get("/{number}/plans/off-peak", response={200: OffPeakOut, **ERRORS})
def plan_off_peak_hint(request: HttpRequest, number: str, params: Query[OffPeakParams]) -> dict[str, Any]:
    """Say whether `at` is outside the ticket's business hours and, if not, suggest the next off-peak slot."""
    check_query_parameters(request, OffPeakParams)
    ticket = get_ticket_for_user(request_user(request), number)
    calendar = calendar_for_plans(ticket)
    if calendar is None:
        return {"is_off_peak": False, "suggested_at": None}
    hint = off_peak_hint(calendar, params.at)
    return {"is_off_peak": hint.is_off_peak, "suggested_at": hint.suggested_at}


@tickets_router.post("/{number}/plans", response={201: SolutionPlanOut, **ERRORS})
@transaction.atomic
def propose_plan(request: HttpRequest, number: str, payload: SolutionPlanIn) -> Status[Any]:
    """Propose a new version of the solution plan (staff); it supersedes the previous one."""
    user = request_user(request)
    ticket = get_ticket_for_user(user, number)
    plan = actions.propose_solution_plan(
        ticket,
        actor=user,
        steps=payload.steps,
        resources=payload.resources,
        risks=payload.risks,
        rollback_plan=payload.rollback_plan,
        scheduled_at=payload.scheduled_at,
        now=timezone.now(),
    )
    return Status(201, serializers.plan_out(plan, deciding=False, calendar=calendar_for_plans(ticket)))


def _decided_plan(request: HttpRequest, path: RecordPath, decide: Any, **kwargs: Any) -> dict[str, Any]:
    user = request_user(request)
    ticket = get_ticket_for_user(user, path.number)
    plan = get_plan_for_user(user, ticket, path.record_id)
    decide(plan, actor=user, now=timezone.now(), **kwargs)
    return serializers.plan_out(plan, deciding=True, calendar=calendar_for_plans(ticket))


@tickets_router.post("/{number}/plans/{record_id}/confirm", response={200: SolutionPlanOut, **ERRORS})
@transaction.atomic
def confirm_plan(request: HttpRequest, path: Path[RecordPath]) -> dict[str, Any]:
    """Confirm the proposed plan (the requester only)."""
    return _decided_plan(request, path, actions.confirm_solution_plan)


@tickets_router.post("/{number}/plans/{record_id}/reject", response={200: SolutionPlanOut, **ERRORS})
@transaction.atomic
def reject_plan(request: HttpRequest, path: Path[RecordPath], payload: RejectIn) -> dict[str, Any]:
    """Reject the proposed plan with a reason (the requester only)."""
    return _decided_plan(request, path, actions.reject_solution_plan, reason=payload.reason)


# --- verification results ------------------------------------------------------------------------


@tickets_router.get("/{number}/verifications", response={200: list[VerificationOut], **ERRORS})
def list_verifications(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """List the verification results; requesters see only the public ones."""
    user = request_user(request)
    return [serializers.verification_out(r) for r in verifications_for(_read(request, number), user)]


@tickets_router.post("/{number}/verifications", response={201: VerificationOut, **ERRORS})
@transaction.atomic
def create_verification(request: HttpRequest, number: str, payload: VerificationIn) -> Status[Any]:
    """Record a verification result (staff)."""
    user = request_user(request)
    ticket = get_ticket_for_user(user, number)
    result = actions.record_verification(
        ticket,
        actor=user,
        verified=payload.verified,
        outcome=payload.outcome,
        notes=payload.notes,
        is_public=payload.is_public,
        now=timezone.now(),
    )
    return Status(201, serializers.verification_out(result))


# --- canned responses ------------------------------------------------------------------------------


def _check_staff(request: HttpRequest) -> None:
    if request_user(request).is_requester:
        raise PermissionRefused(_("Canned responses are for staff."))


@canned_router.get("", response={200: list[CannedResponseOut], **ERRORS})
def list_canned_responses(request: HttpRequest, params: Query[CannedResponseListParams]) -> list[dict[str, Any]]:
    """List the caller's personal and team canned responses; with `ticket`, each filled in for that ticket."""
    check_query_parameters(request, CannedResponseListParams)
    _check_staff(request)
    user = request_user(request)
    ticket = get_ticket_for_user(user, params.ticket) if params.ticket else None
    rows = canned_responses_for(
        user, language=params.language, search=params.q, include_inactive=params.include_inactive
    )
    may_manage = actions.canned_response_manager(user)
    return [
        serializers.canned_response_out(
            row, may_manage=may_manage(row), rendered=render(row.body, ticket, user) if ticket else None
        )
        for row in rows
    ]


@canned_router.post("", response={201: CannedResponseOut, **ERRORS})
@transaction.atomic
def create_canned_response(request: HttpRequest, payload: CannedResponseIn) -> Status[Any]:
    """Create a personal canned response, or (a team's leads) one the team shares."""
    _check_staff(request)
    user = request_user(request)
    team = None
    if payload.team:
        team = Team.objects.filter(code=payload.team).first()
        if team is None:
            raise ActionError(_("Unknown team."), field="team")
    response = actions.create_canned_response(
        actor=user, title=payload.title, body=payload.body, language=payload.language, team=team, now=timezone.now()
    )
    return Status(201, serializers.canned_response_out(response, may_manage=True, rendered=None))


@canned_router.get("/{response_id}", response={200: CannedResponseOut, **ERRORS})
def get_canned_response(request: HttpRequest, path: Path[CannedResponsePath]) -> dict[str, Any]:
    """Return one canned response the caller may use."""
    _check_staff(request)
    user = request_user(request)
    response = get_canned_response_for_user(user, path.response_id)
    return serializers.canned_response_out(
        response, may_manage=actions.may_manage_canned_response(user, response), rendered=None
    )


@canned_router.patch("/{response_id}", response={200: CannedResponseOut, **ERRORS})
@transaction.atomic
def update_canned_response(
    request: HttpRequest, path: Path[CannedResponsePath], payload: CannedResponseUpdateIn
) -> dict[str, Any]:
    """Change the title, body or language (the owner; for a team's, its leads)."""
    _check_staff(request)
    user = request_user(request)
    response = get_canned_response_for_user(user, path.response_id)
    changes = payload.dict(exclude_unset=True)
    nulls = sorted(name for name, value in changes.items() if value is None)
    if nulls:
        raise ActionError(_("This field cannot be null."), field=nulls[0])
    actions.update_canned_response(response, actor=user, now=timezone.now(), **changes)
    return serializers.canned_response_out(response, may_manage=True, rendered=None)


def _set_active(request: HttpRequest, path: CannedResponsePath, *, is_active: bool) -> dict[str, Any]:
    _check_staff(request)
    user = request_user(request)
    response = get_canned_response_for_user(user, path.response_id)
    actions.set_canned_response_active(response, actor=user, is_active=is_active, now=timezone.now())
    return serializers.canned_response_out(response, may_manage=True, rendered=None)


@canned_router.post("/{response_id}/deactivate", response={200: CannedResponseOut, **ERRORS})
@transaction.atomic
def deactivate_canned_response(request: HttpRequest, path: Path[CannedResponsePath]) -> dict[str, Any]:
    """Hide a canned response from the lists; it is kept and can be activated again."""
    return _set_active(request, path, is_active=False)


@canned_router.post("/{response_id}/activate", response={200: CannedResponseOut, **ERRORS})
@transaction.atomic
def activate_canned_response(request: HttpRequest, path: Path[CannedResponsePath]) -> dict[str, Any]:
    """Bring a deactivated canned response back."""
    return _set_active(request, path, is_active=True)
