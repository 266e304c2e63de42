"""Shape casework records and canned responses for API output."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sopdesk.casework.actions import authorization_moves, plan_moves
from sopdesk.casework.models import (
    CannedResponse,
    DiagnosisStep,
    RemoteAssistanceAuthorization,
    SolutionPlan,
    VerificationResult,
)
from sopdesk.casework.scheduling import off_peak_hint
from sopdesk.lib.businesstime import BusinessCalendar
from sopdesk.tickets.api.serializers import attachment_out, user_ref


def diagnosis_step_out(step: DiagnosisStep) -> dict[str, Any]:
    return {
        "id": step.pk,
        "checked": step.checked,
        "command": step.command,
        "result": step.result,
        "is_public": step.is_public,
        # Prefetched with the uploaders by the caller; ordered here to spare a query per step.
        "attachments": [attachment_out(a) for a in sorted(step.attachments.all(), key=lambda a: a.pk)],
        "created_by": user_ref(step.created_by),
        "created_at": step.created_at,
    }


def authorization_out(authorization: RemoteAssistanceAuthorization, *, deciding: bool, now: datetime) -> dict[str, Any]:
    return {
        "id": authorization.pk,
        "scope": authorization.scope,
        "method": authorization.method,
        "ends_at": authorization.ends_at,
        "state": authorization.state_at(now),
        "requested_by": user_ref(authorization.requested_by),
        "requested_at": authorization.requested_at,
        "decided_by": user_ref(authorization.decided_by),
        "decided_at": authorization.decided_at,
        "refusal_reason": authorization.refusal_reason,
        "revoked_by": user_ref(authorization.revoked_by),
        "revoked_at": authorization.revoked_at,
        "allowed_actions": authorization_moves(authorization, deciding=deciding, now=now),
    }


def plan_out(plan: SolutionPlan, *, deciding: bool, calendar: BusinessCalendar | None) -> dict[str, Any]:
    off_peak = None
    if plan.scheduled_at is not None and calendar is not None:
        hint = off_peak_hint(calendar, plan.scheduled_at)
        off_peak = {"is_off_peak": hint.is_off_peak, "suggested_at": hint.suggested_at}
    return {
        "id": plan.pk,
        "version": plan.version,
        "steps": plan.steps,
        "resources": plan.resources,
        "risks": plan.risks,
        "rollback_plan": plan.rollback_plan,
        "scheduled_at": plan.scheduled_at,
        "off_peak": off_peak,
        "state": plan.state,
        "proposed_by": user_ref(plan.proposed_by),
        "proposed_at": plan.proposed_at,
        "decided_by": user_ref(plan.decided_by),
        "decided_at": plan.decided_at,
        "rejection_reason": plan.rejection_reason,
        "superseded_at": plan.superseded_at,
        "allowed_actions": plan_moves(plan, deciding=deciding),
    }


def verification_out(result: VerificationResult) -> dict[str, Any]:
    return {
        "id": result.pk,
        "verified": result.verified,
        "outcome": result.outcome,
        "notes": result.notes,
        "is_public": result.is_public,
        "created_by": user_ref(result.created_by),
        "created_at": result.created_at,
    }


def canned_response_out(response: CannedResponse, *, may_manage: bool, rendered: str | None) -> dict[str, Any]:
    return {
        "id": response.pk,
        "title": response.title,
        "body": response.body,
        "language": response.language,
        "team": {"code": response.team.code, "name": response.team.name} if response.team else None,
        "owner": user_ref(response.owner),
        "is_active": response.is_active,
        "may_manage": may_manage,
        "rendered": rendered,
        "created_at": response.created_at,
        "updated_at": response.updated_at,
    }
