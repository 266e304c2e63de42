"""Read helpers: a ticket's SLA clocks as readers see them, and the breach lists of a team."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from sopdesk.accounts.models import User
from sopdesk.lib.businesstime import BusinessCalendar
from sopdesk.sla import clocks
from sopdesk.sla.calendars import business_calendar, business_calendars
from sopdesk.sla.choices import ClockState, Metric
from sopdesk.sla.clocks import MetricView
from sopdesk.sla.models import OverdueReason, TicketSla
from sopdesk.sla.policies import policy_for
from sopdesk.tickets.choices import OPEN_STATUSES
from sopdesk.tickets.models import Ticket

SHOWN_METRICS = (Metric.ASSIGNMENT, Metric.FIRST_RESPONSE, Metric.RESOLUTION, Metric.UPDATE)


@dataclass(frozen=True)
class SlaSnapshot:
    """All clocks of one ticket at one instant."""

    state: ClockState
    metrics: tuple[MetricView, ...]
    policy_id: int | None
    policy_name: str
    calendar_id: int | None
    paused_seconds: int

    def metric(self, metric: str) -> MetricView:
        return next(view for view in self.metrics if view.metric == metric)


NO_CLOCKS = SlaSnapshot(
    state=ClockState.NONE, metrics=(), policy_id=None, policy_name="", calendar_id=None, paused_seconds=0
)


def snapshot_of(
    sla: TicketSla | None, *, status: str, calendar: BusinessCalendar | None, policy_name: str, now: datetime
) -> SlaSnapshot:
    """Describe `sla` at `now` with `calendar` already loaded."""
    if sla is None:
        return NO_CLOCKS
    views = tuple(clocks.metric_view(sla, metric, calendar=calendar, now=now) for metric in SHOWN_METRICS)
    return SlaSnapshot(
        state=clocks.overall_state(views, status=status),
        metrics=views,
        policy_id=sla.policy_id,
        policy_name=policy_name,
        calendar_id=sla.calendar_id,
        paused_seconds=sla.paused_seconds,
    )


def sla_snapshots(tickets: Sequence[Ticket], *, now: datetime) -> dict[int, SlaSnapshot]:
    """Return the snapshot of each ticket; a constant number of queries for any number of tickets."""
    rows = {sla.pk: sla for sla in TicketSla.objects.filter(pk__in=[t.pk for t in tickets]).select_related("policy")}
    calendars = business_calendars({row.calendar_id for row in rows.values() if row.calendar_id is not None})
    result: dict[int, SlaSnapshot] = {}
    for ticket in tickets:
        row = rows.get(ticket.pk)
        calendar = calendars.get(row.calendar_id) if row is not None and row.calendar_id is not None else None
        name = row.policy.name if row is not None and row.policy is not None else ""
        result[ticket.pk] = snapshot_of(row, status=ticket.status, calendar=calendar, policy_name=name, now=now)
    return result


def sla_snapshot(ticket: Ticket, *, now: datetime) -> SlaSnapshot:
    return sla_snapshots([ticket], now=now)[ticket.pk]


def new_ticket_sla_snapshot(ticket: Ticket, *, now: datetime) -> SlaSnapshot:
    """Return the snapshot of a ticket created in this request, from the clocks its creation attached.

    The clocks were started in the creating transaction (`start_clocks` attaches them to the ticket
    object, with their policy and its calendar), so nothing is read again; without them, as `sla_snapshot`.
    """
    descriptor: Any = Ticket.sla  # type: ignore[attr-defined]
    if not descriptor.is_cached(ticket):
        return sla_snapshot(ticket, now=now)
    row: TicketSla | None = descriptor.related.get_cached_value(ticket)
    if row is None or row.policy is None or row.calendar_id != row.policy.calendar_id:
        return sla_snapshot(ticket, now=now)
    calendar = business_calendar(row.policy.calendar)
    return snapshot_of(row, status=ticket.status, calendar=calendar, policy_name=row.policy.name, now=now)


def expected_clocks(ticket: Ticket, *, now: datetime) -> SlaSnapshot:
    """Return the clocks an unsaved `ticket` would start at `now`: the policy and targets its creation would use."""
    policy = policy_for(ticket)
    calendar = business_calendar(policy.calendar) if policy is not None else None
    sla = TicketSla()
    clocks.start(sla, policy=policy, calendar=calendar, now=now)
    name = policy.name if policy is not None else ""
    return snapshot_of(sla, status=ticket.status, calendar=calendar, policy_name=name, now=now)


def running_clock(metric: Metric) -> Q:
    """Tickets whose `metric` clock runs: it has a due instant, is not met and (resolution) not paused.

    The same reading as `clocks.is_running`, as a query: the breach lists use it.
    """
    name = metric.value
    running = Q(**{f"sla__{name}_met_at__isnull": True, f"sla__{name}_due_at__isnull": False})
    if metric == Metric.RESOLUTION:
        running &= Q(sla__resolution_paused_at__isnull=True)
    return running


def breaching_tickets(tickets: QuerySet[Ticket], *, now: datetime) -> QuerySet[Ticket]:
    """Narrow `tickets` to open ones with a running clock that is breached or in warning."""
    late = Q()
    for metric in clocks.CLOCK_METRICS:
        name = metric.value
        late |= running_clock(metric) & (
            Q(**{f"sla__{name}_breached_at__isnull": False})
            | Q(**{f"sla__{name}_warned_at__isnull": False})
            | Q(**{f"sla__{name}_due_at__lte": now})
        )
    return tickets.filter(status__in=OPEN_STATUSES).filter(late)


def overdue_reasons_for(ticket: Ticket, user: User) -> dict[str, OverdueReason]:
    """The newest overdue reason per clock of `ticket`, for staff (requesters are not shown them)."""
    if user.is_requester:
        return {}
    newest: dict[str, OverdueReason] = {}
    rows = OverdueReason.objects.filter(ticket=ticket).select_related("recorded_by").order_by("recorded_at", "pk")
    for row in rows:
        newest[row.metric] = row
    return newest
