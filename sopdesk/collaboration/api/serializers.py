"""Shape collaboration requests and figures for the API (plain dicts; the schemas validate them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sopdesk.accounts.models import Team, User
from sopdesk.collaboration.actions import may_answer
from sopdesk.collaboration.models import CollaborationRequest
from sopdesk.collaboration.queries import TeamCollaborationStats
from sopdesk.tickets.api.serializers import user_ref


def team_ref(team: Team | None) -> dict[str, str] | None:
    return None if team is None else {"code": team.code, "name": team.name}


def request_out(
    request: CollaborationRequest, *, user: User, now: datetime, team_ids: frozenset[int] | None
) -> dict[str, Any]:
    """Shape `request`; `team_ids` is `answering_team_ids(user)`."""
    return {
        "id": request.pk,
        "ticket": {"number": request.ticket.number, "title": request.ticket.title},
        "from_team": team_ref(request.from_team),
        "to_team": team_ref(request.to_team),
        "needed": request.needed,
        "deliverable": request.deliverable,
        "deadline_at": request.deadline_at,
        "way_of_working": request.way_of_working,
        "state": request.state,
        "is_open": request.is_open,
        "requested_by": user_ref(request.requested_by),
        "requested_at": request.requested_at,
        "accept_due_at": request.accept_due_at,
        "is_acceptance_overdue": request.is_acceptance_overdue(now=now),
        "acceptance_late_at": request.acceptance_late_at,
        "responded_by": user_ref(request.responded_by),
        "responded_at": request.responded_at,
        "reject_reason": request.reject_reason,
        "started_at": request.started_at,
        "delivered_at": request.delivered_at,
        "delivery_note": request.delivery_note,
        "return_reason": request.return_reason,
        "closed_at": request.closed_at,
        "may_answer": may_answer(user, request, team_ids=team_ids),
    }


def stats_out(stats: TeamCollaborationStats, team: Team) -> dict[str, Any]:
    return {
        "team": team_ref(team),
        "received_count": stats.received_count,
        "confirmed_count": stats.confirmed_count,
        "rejected_count": stats.rejected_count,
        "withdrawn_count": stats.withdrawn_count,
        "answered_count": stats.answered_count,
        "answered_late_count": stats.answered_late_count,
        "completion_rate": stats.completion_rate,
        "on_time_acceptance_rate": stats.on_time_acceptance_rate,
        "average_acceptance_seconds": (
            stats.average_acceptance.total_seconds() if stats.average_acceptance is not None else None
        ),
    }
