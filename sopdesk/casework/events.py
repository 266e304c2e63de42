"""Typed constructors for the casework entries on a ticket's timeline.

Diagnosis steps and verification results are internal entries unless the record is public;
authorisations and plans are public, because the requester has to act on them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sopdesk.accounts.models import User
from sopdesk.casework.choices import CaseworkEventKind
from sopdesk.casework.models import DiagnosisStep, RemoteAssistanceAuthorization, SolutionPlan, VerificationResult
from sopdesk.tickets.events import new_event
from sopdesk.tickets.models import Ticket, TicketEvent


def _write(
    ticket: Ticket,
    kind: CaseworkEventKind,
    *,
    actor: User,
    now: datetime,
    data: dict[str, Any],
    body: str = "",
    is_internal: bool = False,
) -> TicketEvent:
    event = new_event(ticket, kind, actor=actor, now=now, body=body, is_internal=is_internal, data=data)
    event.save(force_insert=True)
    return event


def diagnosis_recorded(step: DiagnosisStep, *, attachment_ids: list[int]) -> TicketEvent:
    return _write(
        step.ticket,
        CaseworkEventKind.DIAGNOSIS_RECORDED,
        actor=step.created_by,
        now=step.created_at,
        body=step.checked,
        is_internal=not step.is_public,
        data={"diagnosis_step": step.pk, "attachments": attachment_ids},
    )


def _authorization_data(authorization: RemoteAssistanceAuthorization) -> dict[str, Any]:
    return {
        "authorization": authorization.pk,
        "method": authorization.method,
        "ends_at": authorization.ends_at.isoformat(),
    }


def remote_requested(authorization: RemoteAssistanceAuthorization) -> TicketEvent:
    return _write(
        authorization.ticket,
        CaseworkEventKind.REMOTE_REQUESTED,
        actor=authorization.requested_by,
        now=authorization.requested_at,
        body=authorization.scope,
        data=_authorization_data(authorization),
    )


def remote_decided(
    authorization: RemoteAssistanceAuthorization,
    kind: CaseworkEventKind,
    *,
    actor: User,
    now: datetime,
    reason: str = "",
) -> TicketEvent:
    """Record a grant, refusal or revocation of `authorization`."""
    return _write(
        authorization.ticket, kind, actor=actor, now=now, body=reason, data=_authorization_data(authorization)
    )


def _plan_data(plan: SolutionPlan) -> dict[str, Any]:
    return {
        "plan": plan.pk,
        "version": plan.version,
        "scheduled_at": plan.scheduled_at.isoformat() if plan.scheduled_at else None,
    }


def plan_proposed(plan: SolutionPlan, *, superseded: int | None) -> TicketEvent:
    return _write(
        plan.ticket,
        CaseworkEventKind.PLAN_PROPOSED,
        actor=plan.proposed_by,
        now=plan.proposed_at,
        data={**_plan_data(plan), "supersedes": superseded},
    )


def plan_decided(
    plan: SolutionPlan, kind: CaseworkEventKind, *, actor: User, now: datetime, reason: str = ""
) -> TicketEvent:
    """Record the requester's confirmation or rejection of `plan`."""
    return _write(plan.ticket, kind, actor=actor, now=now, body=reason, data=_plan_data(plan))


def verification_recorded(result: VerificationResult) -> TicketEvent:
    return _write(
        result.ticket,
        CaseworkEventKind.VERIFICATION_RECORDED,
        actor=result.created_by,
        now=result.created_at,
        body=result.verified,
        is_internal=not result.is_public,
        data={"verification": result.pk, "outcome": result.outcome},
    )
