"""Shape tickets, events and attachments for API output, hiding what the caller may not see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from sopdesk.accounts.models import User
from sopdesk.sla.queries import SlaSnapshot, sla_snapshot
from sopdesk.tickets.actions import DETAIL_FIELDS, allowed_transitions
from sopdesk.tickets.models import Attachment, Ticket, TicketEvent


def user_ref(user: User | None) -> dict[str, str] | None:
    if user is None:
        return None
    return {"username": user.username, "display_name": str(user)}


def sla_out(snapshot: SlaSnapshot) -> dict[str, Any]:
    """Shape a ticket's clocks: overall state and, per metric, due instant and business time left."""
    return {
        "state": snapshot.state,
        "policy": snapshot.policy_name or None,
        "paused_seconds": snapshot.paused_seconds,
        "clocks": [
            {
                "metric": view.metric,
                "state": view.state,
                "target_minutes": view.target_minutes,
                "due_at": view.due_at,
                "met_at": view.met_at,
                "breached_at": view.breached_at,
                "remaining_seconds": int(view.remaining.total_seconds()) if view.remaining is not None else None,
            }
            for view in snapshot.metrics
        ],
    }


def ticket_summary(ticket: Ticket, sla: SlaSnapshot) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "title": ticket.title,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "category": {"code": ticket.category.code, "name": ticket.category.name} if ticket.category else None,
        "team": {"code": ticket.team.code, "name": ticket.team.name} if ticket.team else None,
        "assignee": user_ref(ticket.assignee),
        "requester": user_ref(ticket.requester),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "sla": sla_out(sla),
    }


def ticket_detail(
    ticket: Ticket,
    user: User,
    *,
    now: datetime | None = None,
    sla: SlaSnapshot | None = None,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """Shape one ticket; `sla` and `tags`, when the caller has them already, save their queries."""
    now = now or timezone.now()
    data = ticket_summary(ticket, sla if sla is not None else sla_snapshot(ticket, now=now))
    data.update(
        {
            field: getattr(ticket, field)
            for field in (
                *DETAIL_FIELDS,
                "requester_type",
                "priority_is_overridden",
                "first_responded_at",
                "resolved_at",
                "closed_at",
                "reopened_count",
            )
        }
    )
    data["organization"] = ticket.organization.name if ticket.organization else None
    data["priority_override_reason"] = None if user.is_requester else ticket.priority_override_reason
    data["tags"] = sorted(tag.name for tag in ticket.tags.all()) if tags is None else sorted(tags)
    data["closure"] = (
        {
            "problem": ticket.closure_problem,
            "diagnosis": ticket.closure_diagnosis,
            "solution": ticket.closure_solution,
            "effect": ticket.closure_effect,
            "recommendations": ticket.closure_recommendations,
        }
        if ticket.has_closure_summary
        else None
    )
    data["allowed_transitions"] = [str(t) for t in allowed_transitions(ticket, actor=user, now=now)]
    data["version"] = ticket.version
    return data


def etag(ticket: Ticket) -> str:
    """Return the HTTP entity tag of a ticket's current version (for `If-Match`)."""
    return f'"{ticket.number}.{ticket.version}"'


def event_out(event: TicketEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "kind": event.kind,
        "actor": user_ref(event.actor),
        "created_at": event.created_at,
        "is_internal": event.is_internal,
        "body": event.body,
        "data": event.data,
    }


def attachment_out(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "is_internal": attachment.is_internal,
        "uploaded_by": user_ref(attachment.uploaded_by),
        "created_at": attachment.created_at,
    }
