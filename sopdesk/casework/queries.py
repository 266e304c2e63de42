"""Read helpers for casework records and canned responses, with the visibility rule built in."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from sopdesk.accounts.models import User
from sopdesk.casework.models import (
    CannedResponse,
    DiagnosisStep,
    RemoteAssistanceAuthorization,
    SolutionPlan,
    VerificationResult,
)
from sopdesk.tickets.models import Ticket
from sopdesk.tickets.querysets import team_ids_of


def diagnosis_steps_for(ticket: Ticket, user: User) -> QuerySet[DiagnosisStep]:
    """Return the diagnosis steps of `ticket` `user` may see (requesters: public ones), oldest first."""
    return (
        DiagnosisStep.objects.visible_to(user, by_key=True)
        .filter(ticket=ticket)
        .select_related("created_by")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def authorizations_for(ticket: Ticket, user: User) -> QuerySet[RemoteAssistanceAuthorization]:
    """Return the remote-assistance authorisations of `ticket` (the requester sees them all), oldest first."""
    return (
        RemoteAssistanceAuthorization.objects.visible_to(user, by_key=True)
        .filter(ticket=ticket)
        .select_related("requested_by", "decided_by", "revoked_by")
        .order_by("requested_at", "id")
    )


def plans_for(ticket: Ticket, user: User) -> QuerySet[SolutionPlan]:
    """Return every version of `ticket`'s solution plan, oldest first."""
    return (
        SolutionPlan.objects.visible_to(user, by_key=True)
        .filter(ticket=ticket)
        .select_related("proposed_by", "decided_by")
        .order_by("version")
    )


def verifications_for(ticket: Ticket, user: User) -> QuerySet[VerificationResult]:
    """Return the verification results of `ticket` `user` may see (requesters: public ones), oldest first."""
    return (
        VerificationResult.objects.visible_to(user, by_key=True)
        .filter(ticket=ticket)
        .select_related("created_by")
        .order_by("created_at", "id")
    )


def get_authorization_for_user(user: User, ticket: Ticket, authorization_id: int) -> RemoteAssistanceAuthorization:
    """Return one authorisation of a visible ticket, or raise Http404."""
    authorization = authorizations_for(ticket, user).filter(pk=authorization_id).first()
    if authorization is None:
        raise Http404("No such authorisation")
    authorization.ticket = ticket
    return authorization


def get_plan_for_user(user: User, ticket: Ticket, plan_id: int) -> SolutionPlan:
    """Return one solution plan of a visible ticket, or raise Http404."""
    plan = plans_for(ticket, user).filter(pk=plan_id).first()
    if plan is None:
        raise Http404("No such plan")
    plan.ticket = ticket
    return plan


def canned_responses_for(
    user: User, *, language: str | None = None, search: str | None = None, include_inactive: bool = False
) -> QuerySet[CannedResponse]:
    """Return `user`'s personal canned responses and their teams', by title; filtered by language and a search term.

    Inactive ones only with `include_inactive` (for managing them). Requesters have none.
    """
    if not user.is_authenticated or not user.is_active or user.is_requester:
        return CannedResponse.objects.none()
    rows = CannedResponse.objects.filter(Q(owner=user) | Q(team_id__in=team_ids_of(user)))
    if not include_inactive:
        rows = rows.filter(is_active=True)
    if language:
        rows = rows.filter(language=language)
    if search:
        rows = rows.filter(Q(title__icontains=search) | Q(body__icontains=search))
    return rows.select_related("team", "owner").order_by("title", "id")


def get_canned_response_for_user(user: User, response_id: int) -> CannedResponse:
    """Return one canned response `user` may use (active or not), or raise Http404."""
    response = canned_responses_for(user, include_inactive=True).filter(pk=response_id).first()
    if response is None:
        raise Http404("No such canned response")
    return response
