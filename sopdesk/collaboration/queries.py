"""Read helpers for collaboration requests, with the visibility rule built in, and the per-team KPIs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.http import Http404

from sopdesk.accounts.models import Team, User
from sopdesk.collaboration.choices import CollaborationState
from sopdesk.collaboration.models import CollaborationRequest
from sopdesk.tickets.querysets import team_ids_of, ticket_visibility_q


def visible_requests(user: User) -> QuerySet[CollaborationRequest]:
    """Return the requests `user` may read: staff who see the ticket, and members of the receiving team."""
    rows = CollaborationRequest.objects.all()
    if not user.is_authenticated or not user.is_active or user.is_requester:
        return rows.none()
    condition = ticket_visibility_q(user, prefix="ticket__")
    if condition is None:
        return rows
    return rows.filter(condition | Q(to_team_id__in=team_ids_of(user)))


def _with_related(rows: QuerySet[CollaborationRequest]) -> QuerySet[CollaborationRequest]:
    return rows.select_related("ticket", "from_team", "to_team", "requested_by", "responded_by")


def requests_for_ticket(ticket_id: int, user: User) -> QuerySet[CollaborationRequest]:
    """Return the requests of one ticket `user` may read, newest first."""
    return _with_related(visible_requests(user).filter(ticket_id=ticket_id)).order_by("-requested_at", "-id")


def may_read_inbox(user: User, team: Team) -> bool:
    """Return True when `user` may read `team`'s collaboration inbox (members, managers, admins, auditors)."""
    if not user.is_active or user.is_requester:
        return False
    return user.sees_all_tickets or team.pk in team_ids_of(user)


def inbox_for(team: Team, *, open_only: bool = True) -> QuerySet[CollaborationRequest]:
    """Return the requests `team` received (the open ones by default), the earliest acceptance due first."""
    rows = CollaborationRequest.objects.filter(to_team=team)
    if open_only:
        rows = rows.open()
    return _with_related(rows).order_by("accept_due_at", "id")


def inbox_teams(user: User) -> list[Team]:
    """Return the teams whose inbox `user` may open: their own, or every active team for managers and admins."""
    if not user.is_active or user.is_requester:
        return []
    teams = Team.objects.filter(is_active=True)
    if not user.sees_all_tickets:
        teams = teams.filter(pk__in=team_ids_of(user))
    return list(teams.order_by("name"))


def get_request_for_user(user: User, request_id: int) -> CollaborationRequest:
    """Return one request `user` may read, or raise Http404 (no existence oracle)."""
    request = _with_related(visible_requests(user)).filter(pk=request_id).first()
    if request is None:
        raise Http404("No such collaboration request")
    return request


@dataclass(frozen=True)
class TeamCollaborationStats:
    """What one receiving team did with the requests it got in a period."""

    team_id: int
    received_count: int
    confirmed_count: int
    rejected_count: int
    withdrawn_count: int
    answered_count: int  # accepted or rejected
    answered_late_count: int
    average_acceptance: timedelta | None  # from request to answer, wall-clock

    @property
    def completion_rate(self) -> float | None:
        """Confirmed deliveries out of the requests not withdrawn; None when there were none."""
        relevant = self.received_count - self.withdrawn_count
        return self.confirmed_count / relevant if relevant else None

    @property
    def on_time_acceptance_rate(self) -> float | None:
        return (self.answered_count - self.answered_late_count) / self.answered_count if self.answered_count else None


def team_stats(*, since: datetime, until: datetime, team_ids: list[int] | None = None) -> list[TeamCollaborationStats]:
    """Return completion and acceptance figures per receiving team for requests made in [since, until) (one query)."""
    rows = CollaborationRequest.objects.filter(requested_at__gte=since, requested_at__lt=until)
    if team_ids is not None:
        rows = rows.filter(to_team_id__in=team_ids)
    answered = Q(responded_at__isnull=False)
    waited = ExpressionWrapper(F("responded_at") - F("requested_at"), output_field=DurationField())
    result = (
        rows.values("to_team_id")
        .annotate(
            received_count=Count("id"),
            confirmed_count=Count("id", filter=Q(state=CollaborationState.CONFIRMED)),
            rejected_count=Count("id", filter=Q(state=CollaborationState.REJECTED)),
            withdrawn_count=Count("id", filter=Q(state=CollaborationState.WITHDRAWN)),
            answered_count=Count("id", filter=answered),
            answered_late_count=Count("id", filter=answered & Q(responded_at__gt=F("accept_due_at"))),
            average_acceptance=Avg(waited, filter=answered),
        )
        .order_by("to_team_id")
    )
    return [
        TeamCollaborationStats(
            team_id=row["to_team_id"],
            received_count=row["received_count"],
            confirmed_count=row["confirmed_count"],
            rejected_count=row["rejected_count"],
            withdrawn_count=row["withdrawn_count"],
            answered_count=row["answered_count"],
            answered_late_count=row["answered_late_count"],
            average_acceptance=row["average_acceptance"],
        )
        for row in result
    ]
