"""How a ticket's SLA clocks move: set targets, meet, pause, resume, and what is due when.

Functions here change a `TicketSla` in memory and read no tables; the callers (actions, scanner)
save it. The functions the scanner evaluates with (`pending_occurrences`, `skip_missed_updates` and
what they call) also take a `ClockRow`, the same columns as plain values. Business time comes from
the pure arithmetic in `sopdesk.lib.businesstime`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any, NamedTuple, TypeAlias

from sopdesk.lib import businesstime
from sopdesk.lib.businesstime import BusinessCalendar
from sopdesk.sla.choices import ClockState, Metric
from sopdesk.sla.models import SlaPolicy, TicketSla
from sopdesk.tickets.choices import Status

CLOCK_METRICS = (Metric.ASSIGNMENT, Metric.FIRST_RESPONSE, Metric.RESOLUTION)
# Waiting for the requester (an answer, or confirmation of a proposed fix) is not the desk's time.
PAUSING_STATUSES = frozenset({Status.PENDING_CUSTOMER, Status.PENDING_CONFIRMATION})
STOPPED_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED})

# Every column the clock functions may change (the scanner saves exactly these).
CLOCK_FIELDS = (
    "policy",
    "calendar",
    "assignment_target_minutes",
    "first_response_target_minutes",
    "resolution_target_minutes",
    "update_interval_minutes",
    "warning_percent",
    "targets_set_at",
    *(
        f"{metric.value}_{suffix}"
        for metric in CLOCK_METRICS
        for suffix in ("due_at", "met_at", "warned_at", "breached_at")
    ),
    "resolution_paused_at",
    "paused_seconds",
    "update_due_at",
    "update_breached_at",
    "update_breach_count",
    "escalations_fired",
    "next_check_at",
)


@dataclass(frozen=True)
class RuleSpec:
    """An escalation rule as the clock sees it."""

    rule_id: int
    metric: str
    offset_minutes: int


# Column names by metric and suffix: a sweep reads thousands of clocks, and building a Metric for
# every read showed in its profile. An unknown metric still fails as Metric(metric) does.
_COLUMN_NAMES = {
    (metric.value, suffix): f"{metric.value}_{suffix}"
    for metric in Metric
    for suffix in ("due_at", "met_at", "warned_at", "breached_at")
}


def _column(metric: str, suffix: str) -> str:
    name = _COLUMN_NAMES.get((metric, suffix))
    return name if name is not None else f"{Metric(metric).value}_{suffix}"


_TARGET_NAMES = {
    metric.value: "update_interval_minutes" if metric == Metric.UPDATE else f"{metric.value}_target_minutes"
    for metric in Metric
}


class ClockRow:
    """A ticket's clock row as plain values: what the SLA scanner reads and evaluates instead of a TicketSla.

    It holds the columns the scanner's clock functions read or change (FIELDS, in that order)
    under the model's attribute names; building it costs a tenth of a model instance.
    """

    FIELDS = (
        "ticket_id",
        "version",
        "policy_id",
        "calendar_id",
        "assignment_target_minutes",
        "first_response_target_minutes",
        "resolution_target_minutes",
        "update_interval_minutes",
        "warning_percent",
        "assignment_due_at",
        "assignment_met_at",
        "assignment_warned_at",
        "assignment_breached_at",
        "first_response_due_at",
        "first_response_met_at",
        "first_response_warned_at",
        "first_response_breached_at",
        "resolution_due_at",
        "resolution_met_at",
        "resolution_warned_at",
        "resolution_breached_at",
        "resolution_paused_at",
        "update_due_at",
        "update_breached_at",
        "update_breach_count",
        "escalations_fired",
        "next_check_at",
    )
    __slots__ = FIELDS

    ticket_id: int
    version: int
    policy_id: int | None
    calendar_id: int | None
    assignment_target_minutes: int | None
    first_response_target_minutes: int | None
    resolution_target_minutes: int | None
    update_interval_minutes: int | None
    warning_percent: int
    assignment_due_at: datetime | None
    assignment_met_at: datetime | None
    assignment_warned_at: datetime | None
    assignment_breached_at: datetime | None
    first_response_due_at: datetime | None
    first_response_met_at: datetime | None
    first_response_warned_at: datetime | None
    first_response_breached_at: datetime | None
    resolution_due_at: datetime | None
    resolution_met_at: datetime | None
    resolution_warned_at: datetime | None
    resolution_breached_at: datetime | None
    resolution_paused_at: datetime | None
    update_due_at: datetime | None
    update_breached_at: datetime | None
    update_breach_count: int
    escalations_fired: list[int]
    next_check_at: datetime | None

    def __init__(self, values: Sequence[Any]) -> None:
        """Take the values of FIELDS, in that order."""
        (
            self.ticket_id,
            self.version,
            self.policy_id,
            self.calendar_id,
            self.assignment_target_minutes,
            self.first_response_target_minutes,
            self.resolution_target_minutes,
            self.update_interval_minutes,
            self.warning_percent,
            self.assignment_due_at,
            self.assignment_met_at,
            self.assignment_warned_at,
            self.assignment_breached_at,
            self.first_response_due_at,
            self.first_response_met_at,
            self.first_response_warned_at,
            self.first_response_breached_at,
            self.resolution_due_at,
            self.resolution_met_at,
            self.resolution_warned_at,
            self.resolution_breached_at,
            self.resolution_paused_at,
            self.update_due_at,
            self.update_breached_at,
            self.update_breach_count,
            self.escalations_fired,
            self.next_check_at,
        ) = values

    @property
    def pk(self) -> int:
        return self.ticket_id

    def due_at(self, metric: str) -> datetime | None:
        return _get(self, metric, "due_at")

    def target(self, metric: str) -> int | None:
        value: int | None = getattr(self, _TARGET_NAMES.get(metric) or f"{Metric(metric).value}_target_minutes")
        return value

    def __repr__(self) -> str:
        return f"ClockRow({', '.join(f'{name}={getattr(self, name)!r}' for name in self.FIELDS)})"


# The clock functions the scanner evaluates with take either shape.
Clock: TypeAlias = TicketSla | ClockRow


def _get(sla: Clock, metric: str, suffix: str) -> datetime | None:
    value: datetime | None = getattr(sla, _column(metric, suffix))
    return value


def _set(sla: Clock, metric: str, suffix: str, value: datetime | None) -> None:
    setattr(sla, _column(metric, suffix), value)


def _minutes(value: int) -> timedelta:
    return timedelta(minutes=value)


def is_resolution_paused(sla: Clock) -> bool:
    return sla.resolution_paused_at is not None


def _resolution_due(sla: TicketSla, calendar: BusinessCalendar) -> datetime | None:
    target = sla.resolution_target_minutes
    if target is None:
        return None
    return businesstime.add(calendar, sla.started_at, _minutes(target) + timedelta(seconds=sla.paused_seconds))


def start(sla: TicketSla, *, policy: SlaPolicy | None, calendar: BusinessCalendar | None, now: datetime) -> None:
    """Start the clocks of a new ticket at `now` against `policy`."""
    sla.started_at = now
    set_targets(sla, policy=policy, calendar=calendar, now=now)


def set_targets(sla: TicketSla, *, policy: SlaPolicy | None, calendar: BusinessCalendar | None, now: datetime) -> None:
    """Measure the unmet clocks against `policy`, counted from the ticket's start (met ones keep their record)."""
    sla.policy = policy
    sla.calendar_id = policy.calendar_id if policy is not None else None
    sla.assignment_target_minutes = policy.assignment_minutes if policy else None
    sla.first_response_target_minutes = policy.first_response_minutes if policy else None
    sla.resolution_target_minutes = policy.resolution_minutes if policy else None
    sla.update_interval_minutes = policy.update_interval_minutes if policy else None
    sla.warning_percent = policy.warning_percent if policy else 75
    sla.targets_set_at = now
    for metric in (Metric.ASSIGNMENT, Metric.FIRST_RESPONSE):
        if _get(sla, metric, "met_at") is not None:
            continue
        target = sla.target(metric)
        due = (
            None if target is None or calendar is None else businesstime.add(calendar, sla.started_at, _minutes(target))
        )
        _set(sla, metric, "due_at", due)
    if sla.resolution_met_at is None:
        sla.resolution_due_at = None if calendar is None else _resolution_due(sla, calendar)
    sla.update_due_at = None
    if (
        calendar is not None
        and sla.update_interval_minutes
        and sla.first_response_met_at is not None
        and not is_resolution_paused(sla)
    ):
        sla.update_due_at = businesstime.add(calendar, now, _minutes(sla.update_interval_minutes))


def meet(sla: TicketSla, metric: str, *, now: datetime) -> bool:
    """Record `metric` as met at `now` (once); flag a breach when it came late. Return True if it changed."""
    if _get(sla, metric, "met_at") is not None:
        return False
    _set(sla, metric, "met_at", now)
    due = _get(sla, metric, "due_at")
    if due is not None and now > due and _get(sla, metric, "breached_at") is None:
        _set(sla, metric, "breached_at", due)
    return True


def record_public_reply(sla: TicketSla, *, calendar: BusinessCalendar | None, now: datetime) -> None:
    """A public reply by staff: the first response is met and the update interval starts over."""
    meet(sla, Metric.FIRST_RESPONSE, now=now)
    if calendar is not None and sla.update_interval_minutes and not is_resolution_paused(sla):
        sla.update_due_at = businesstime.add(calendar, now, _minutes(sla.update_interval_minutes))


def pause(sla: TicketSla, *, now: datetime) -> bool:
    """Stop the resolution clock (and the update interval) at `now`. Return True if it was running."""
    if is_resolution_paused(sla):
        return False
    sla.resolution_paused_at = now
    sla.update_due_at = None
    return True


def resume(sla: TicketSla, *, calendar: BusinessCalendar | None, now: datetime) -> bool:
    """Restart the resolution clock; the business time it stood still moves its due instant later."""
    if sla.resolution_paused_at is None:
        return False
    if calendar is not None:
        paused = businesstime.elapsed(calendar, sla.resolution_paused_at, now)
        sla.paused_seconds += max(0, int(paused.total_seconds()))
        if sla.resolution_met_at is None:
            sla.resolution_due_at = _resolution_due(sla, calendar)
        if sla.update_interval_minutes and sla.first_response_met_at is not None:
            sla.update_due_at = businesstime.add(calendar, now, _minutes(sla.update_interval_minutes))
    sla.resolution_paused_at = None
    return True


def status_change_moves_clocks(from_status: str, to_status: str) -> bool:
    """Return False for a move between two running statuses (new, assigned, in progress): nothing to do."""
    return bool({from_status, to_status} & (PAUSING_STATUSES | STOPPED_STATUSES))


def status_changed(
    sla: TicketSla, *, calendar: BusinessCalendar | None, from_status: str, to_status: str, now: datetime
) -> None:
    """Follow a status change: pause while waiting for the customer, stop when resolved, resume on reopen."""
    if to_status == Status.RESOLVED:
        resume(sla, calendar=calendar, now=now)
        for metric in CLOCK_METRICS:
            meet(sla, metric, now=now)
        pause(sla, now=now)
    elif to_status == Status.CLOSED:
        for metric in CLOCK_METRICS:
            meet(sla, metric, now=now)
        pause(sla, now=now)
    elif from_status in STOPPED_STATUSES:
        # A reopen: the resolution clock runs again from where it stopped.
        sla.resolution_met_at = None
        resume(sla, calendar=calendar, now=now)
        if to_status in PAUSING_STATUSES:
            pause(sla, now=now)
    elif to_status in PAUSING_STATUSES:
        pause(sla, now=now)
    elif from_status in PAUSING_STATUSES:
        resume(sla, calendar=calendar, now=now)


def warning_at(sla: Clock, metric: str, calendar: BusinessCalendar) -> datetime | None:
    """Return when `metric` reaches the warning share of its target (measured back from the due instant)."""
    due, target = _get(sla, metric, "due_at"), sla.target(metric)
    if due is None or target is None:
        return None
    left = timedelta(seconds=target * 60 * (100 - sla.warning_percent) / 100)
    return businesstime.subtract(calendar, due, left)


def rule_threshold_at(due: datetime, offset_minutes: int, calendar: BusinessCalendar) -> datetime:
    """Return the instant `offset_minutes` of business time before (−) or after (+) `due`."""
    if offset_minutes >= 0:
        return businesstime.add(calendar, due, _minutes(offset_minutes))
    return businesstime.subtract(calendar, due, _minutes(-offset_minutes))


def is_running(sla: Clock, metric: str) -> bool:
    if _get(sla, metric, "met_at") is not None or _get(sla, metric, "due_at") is None:
        return False
    return not (metric == Metric.RESOLUTION and is_resolution_paused(sla))


class OccurrenceKind(IntEnum):
    """What the scanner does, in this order when several fall on the same instant."""

    WARNING = 1
    BREACH = 2
    ESCALATION = 3
    UPDATE_MISSED = 4


class Occurrence(NamedTuple):
    at: datetime
    kind: OccurrenceKind
    metric: str
    rule_id: int | None = None


# Per running clock metric: its value and its due, met, warned and breached columns (read per row in a sweep).
_CLOCK_COLUMNS = tuple(
    (metric.value, *(f"{metric.value}_{suffix}" for suffix in ("due_at", "met_at", "warned_at", "breached_at")))
    for metric in CLOCK_METRICS
)


def _in_order(occurrence: Occurrence) -> tuple[datetime, int, int]:
    return occurrence.at, occurrence.kind, occurrence.rule_id or 0


def pending_occurrences(
    sla: Clock, *, status: str, calendar: BusinessCalendar, rules: Sequence[RuleSpec]
) -> list[Occurrence]:
    """Return everything still to happen to this ticket's clocks, earliest first."""
    if status in STOPPED_STATUSES:
        return []
    found: list[Occurrence] = []
    fired = sla.escalations_fired
    paused = sla.resolution_paused_at is not None
    for metric, due_name, met_name, warned_name, breached_name in _CLOCK_COLUMNS:
        # Running: not met, a due instant, and (resolution) not paused; see is_running.
        due: datetime | None = getattr(sla, due_name)
        if due is None or getattr(sla, met_name) is not None or (paused and metric == Metric.RESOLUTION):
            continue
        if getattr(sla, warned_name) is None:
            warn = warning_at(sla, metric, calendar)
            if warn is not None:
                found.append(Occurrence(warn, OccurrenceKind.WARNING, metric))
        if getattr(sla, breached_name) is None:
            found.append(Occurrence(due, OccurrenceKind.BREACH, metric))
        for rule in rules:
            if rule.metric == metric and rule.rule_id not in fired:
                at = rule_threshold_at(due, rule.offset_minutes, calendar)
                found.append(Occurrence(at, OccurrenceKind.ESCALATION, metric, rule.rule_id))
    if sla.update_due_at is not None and not paused:
        found.append(Occurrence(sla.update_due_at, OccurrenceKind.UPDATE_MISSED, Metric.UPDATE))
    found.sort(key=_in_order)
    return found


def next_check_at(
    sla: Clock, *, status: str, calendar: BusinessCalendar | None, rules: Sequence[RuleSpec]
) -> datetime | None:
    """Return when the scanner must look at this ticket next (None: nothing left to watch)."""
    if calendar is None:
        return None
    occurrences = pending_occurrences(sla, status=status, calendar=calendar, rules=rules)
    return occurrences[0].at if occurrences else None


def skip_missed_updates(sla: Clock, *, calendar: BusinessCalendar, now: datetime) -> int:
    """Count the update intervals missed up to `now`, move the next update due past `now`; return the count."""
    interval = sla.update_interval_minutes
    due = sla.update_due_at
    if due is None or not interval or due > now:
        return 0
    missed = 0
    # Catching up after downtime: one notice for all the intervals missed, not one per interval.
    late = businesstime.elapsed(calendar, due, now)
    missed = 1 + int(late / _minutes(interval))
    sla.update_breached_at = due
    sla.update_breach_count += missed
    sla.update_due_at = businesstime.add(calendar, due, _minutes(interval * missed))
    return missed


@dataclass(frozen=True)
class MetricView:
    """One clock as a reader sees it at `now`."""

    metric: str
    state: ClockState
    target_minutes: int | None
    due_at: datetime | None
    met_at: datetime | None
    breached_at: datetime | None
    remaining: timedelta | None  # business time left (negative when overdue); None when met or no target


def ran_over(view: MetricView) -> bool:
    """Return True when the clock ran over its target (breached now, or met only after its due instant)."""
    return view.breached_at is not None or view.state == ClockState.BREACHED


def metric_view(sla: TicketSla, metric: str, *, calendar: BusinessCalendar | None, now: datetime) -> MetricView:
    """Describe `metric` of `sla` at `now` (state, due instant, business time left)."""
    target, due = sla.target(metric), _get(sla, metric, "due_at")
    met = _get(sla, metric, "met_at") if metric != Metric.UPDATE else None
    breached = _get(sla, metric, "breached_at")
    remaining: timedelta | None = None
    if target is None or (due is None and metric != Metric.RESOLUTION and met is None):
        state = ClockState.NONE
    elif met is not None:
        state = ClockState.MET
    elif metric == Metric.RESOLUTION and is_resolution_paused(sla):
        state = ClockState.PAUSED
        if calendar is not None and sla.resolution_paused_at is not None:
            used = businesstime.elapsed(calendar, sla.started_at, sla.resolution_paused_at)
            remaining = _minutes(target) + timedelta(seconds=sla.paused_seconds) - used
    elif due is None:
        state = ClockState.NONE
    else:
        if calendar is not None:
            remaining = businesstime.elapsed(calendar, now, due)
        warn = warning_at(sla, metric, calendar) if calendar is not None else None
        # A missed update is history once the next interval runs; the other clocks stay breached.
        if (breached is not None and metric != Metric.UPDATE) or now >= due:
            state = ClockState.BREACHED
        elif warn is not None and now >= warn:
            state = ClockState.WARNING
        else:
            state = ClockState.OK
    return MetricView(
        metric=metric,
        state=state,
        target_minutes=target,
        due_at=due,
        met_at=met,
        breached_at=breached,
        remaining=remaining,
    )


# The overall state of a ticket is its most urgent running clock.
_SEVERITY = [ClockState.BREACHED, ClockState.WARNING, ClockState.OK, ClockState.PAUSED, ClockState.MET, ClockState.NONE]


def overall_state(views: Sequence[MetricView], *, status: str) -> ClockState:
    """Return the ticket's SLA state: breached, warning, ok, paused, met or none."""
    states = {view.state for view in views}
    if status in STOPPED_STATUSES:
        # A finished ticket reads "met" unless one of its clocks ran out.
        if any(view.breached_at is not None for view in views if view.metric != Metric.UPDATE):
            return ClockState.BREACHED
        return ClockState.MET if states - {ClockState.NONE} else ClockState.NONE
    return next(state for state in _SEVERITY if state in states or state == ClockState.NONE)
