"""The clock rules on in-memory rows: targets, meeting, pausing, what falls due and in which order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sopdesk.lib.businesstime import BusinessCalendar, WorkingInterval
from sopdesk.sla import clocks
from sopdesk.sla.choices import ClockState, Metric
from sopdesk.sla.clocks import OccurrenceKind, RuleSpec
from sopdesk.sla.models import SlaPolicy, TicketSla
from sopdesk.tickets.choices import Status

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALWAYS = BusinessCalendar(zone=SHANGHAI, always_open=True)
OFFICE = BusinessCalendar(
    zone=SHANGHAI,
    intervals=tuple(WorkingInterval(day, start, end) for day in range(5) for start, end in ((540, 720), (810, 1080))),
)
START = datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI)  # a Monday


def policy(**targets: int | None) -> SlaPolicy:
    values: dict[str, int | None] = {
        "assignment_minutes": 15,
        "first_response_minutes": 60,
        "resolution_minutes": 240,
        "update_interval_minutes": None,
    }
    values.update(targets)
    return SlaPolicy(pk=1, name="test", priority="P3", calendar_id=1, warning_percent=75, **values)  # type: ignore[misc]


def started(calendar: BusinessCalendar = ALWAYS, **targets: int | None) -> TicketSla:
    sla = TicketSla(ticket_id=1, started_at=START, targets_set_at=START)
    clocks.start(sla, policy=policy(**targets), calendar=calendar, now=START)
    return sla


def test_start_sets_each_due_instant_from_the_targets() -> None:
    sla = started()
    assert sla.assignment_due_at == START + timedelta(minutes=15)
    assert sla.first_response_due_at == START + timedelta(hours=1)
    assert sla.resolution_due_at == START + timedelta(hours=4)
    assert sla.update_due_at is None


def test_a_policy_without_a_target_leaves_that_clock_without_due_instant() -> None:
    sla = started(assignment_minutes=None)
    assert sla.assignment_due_at is None
    view = clocks.metric_view(sla, Metric.ASSIGNMENT, calendar=ALWAYS, now=START)
    assert view.state == ClockState.NONE


def test_no_policy_means_no_clocks() -> None:
    sla = TicketSla(ticket_id=1, started_at=START, targets_set_at=START)
    clocks.start(sla, policy=None, calendar=None, now=START)
    assert (sla.assignment_due_at, sla.first_response_due_at, sla.resolution_due_at) == (None, None, None)
    assert clocks.next_check_at(sla, status=Status.NEW, calendar=None, rules=[]) is None


def test_meeting_in_time_records_no_breach() -> None:
    sla = started()
    assert clocks.meet(sla, Metric.FIRST_RESPONSE, now=START + timedelta(minutes=59))
    assert sla.first_response_breached_at is None


def test_meeting_late_records_the_breach_at_the_due_instant() -> None:
    sla = started()
    clocks.meet(sla, Metric.FIRST_RESPONSE, now=START + timedelta(minutes=61))
    assert sla.first_response_breached_at == START + timedelta(hours=1)


def test_a_clock_is_met_only_once() -> None:
    sla = started()
    clocks.meet(sla, Metric.ASSIGNMENT, now=START + timedelta(minutes=1))
    assert not clocks.meet(sla, Metric.ASSIGNMENT, now=START + timedelta(minutes=5))
    assert sla.assignment_met_at == START + timedelta(minutes=1)


def test_warning_is_at_the_configured_share_of_the_target() -> None:
    sla = started()
    assert clocks.warning_at(sla, Metric.RESOLUTION, ALWAYS) == START + timedelta(hours=3)
    sla.warning_percent = 50
    assert clocks.warning_at(sla, Metric.RESOLUTION, ALWAYS) == START + timedelta(hours=2)


def test_warning_share_counts_business_time_back_from_the_due_instant() -> None:
    sla = started(OFFICE)
    # 4 h of office time from Monday 09:00: 09:00–12:00 and 13:30–14:30; 1 h before it is 13:30.
    assert sla.resolution_due_at == datetime(2026, 10, 12, 14, 30, tzinfo=SHANGHAI)
    assert clocks.warning_at(sla, Metric.RESOLUTION, OFFICE) == datetime(2026, 10, 12, 13, 30, tzinfo=SHANGHAI)


def test_pending_occurrences_come_in_threshold_order_with_warning_before_breach_before_rule() -> None:
    sla = started(first_response_minutes=60, resolution_minutes=60, assignment_minutes=None)
    rules = [RuleSpec(7, Metric.RESOLUTION, 0), RuleSpec(8, Metric.FIRST_RESPONSE, -15)]
    found = clocks.pending_occurrences(sla, status=Status.NEW, calendar=ALWAYS, rules=rules)
    assert [(o.kind, o.metric, o.at - START) for o in found] == [
        (OccurrenceKind.WARNING, Metric.FIRST_RESPONSE, timedelta(minutes=45)),
        (OccurrenceKind.WARNING, Metric.RESOLUTION, timedelta(minutes=45)),
        (OccurrenceKind.ESCALATION, Metric.FIRST_RESPONSE, timedelta(minutes=45)),
        (OccurrenceKind.BREACH, Metric.FIRST_RESPONSE, timedelta(minutes=60)),
        (OccurrenceKind.BREACH, Metric.RESOLUTION, timedelta(minutes=60)),
        (OccurrenceKind.ESCALATION, Metric.RESOLUTION, timedelta(minutes=60)),
    ]


def test_fired_rules_and_recorded_warnings_are_not_pending_again() -> None:
    sla = started(assignment_minutes=None, resolution_minutes=None)
    sla.first_response_warned_at = START
    sla.escalations_fired = [8]
    found = clocks.pending_occurrences(
        sla, status=Status.NEW, calendar=ALWAYS, rules=[RuleSpec(8, Metric.FIRST_RESPONSE, 0)]
    )
    assert [o.kind for o in found] == [OccurrenceKind.BREACH]


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED])
def test_stopped_tickets_have_nothing_pending(status: Status) -> None:
    sla = started()
    assert clocks.pending_occurrences(sla, status=status, calendar=ALWAYS, rules=[]) == []
    assert clocks.next_check_at(sla, status=status, calendar=ALWAYS, rules=[]) is None


def test_pause_stops_resolution_but_not_first_response() -> None:
    sla = started()
    clocks.status_changed(
        sla, calendar=ALWAYS, from_status=Status.IN_PROGRESS, to_status=Status.PENDING_CUSTOMER, now=START
    )
    kinds = {
        (o.kind, o.metric)
        for o in clocks.pending_occurrences(sla, status=Status.PENDING_CUSTOMER, calendar=ALWAYS, rules=[])
    }
    assert (OccurrenceKind.BREACH, Metric.FIRST_RESPONSE) in kinds
    assert all(metric != Metric.RESOLUTION for _, metric in kinds)


def test_resume_moves_the_resolution_due_instant_by_the_paused_business_time() -> None:
    sla = started()
    clocks.status_changed(
        sla,
        calendar=ALWAYS,
        from_status=Status.IN_PROGRESS,
        to_status=Status.PENDING_CUSTOMER,
        now=START + timedelta(hours=1),
    )
    clocks.status_changed(
        sla,
        calendar=ALWAYS,
        from_status=Status.PENDING_CUSTOMER,
        to_status=Status.IN_PROGRESS,
        now=START + timedelta(hours=3),
    )
    assert sla.paused_seconds == 2 * 3600
    assert sla.resolution_due_at == START + timedelta(hours=6)


def test_moving_between_two_waiting_statuses_keeps_one_pause() -> None:
    sla = started()
    clocks.status_changed(
        sla, calendar=ALWAYS, from_status=Status.IN_PROGRESS, to_status=Status.PENDING_CUSTOMER, now=START
    )
    clocks.status_changed(
        sla,
        calendar=ALWAYS,
        from_status=Status.PENDING_CUSTOMER,
        to_status=Status.PENDING_CONFIRMATION,
        now=START + timedelta(hours=1),
    )
    assert sla.resolution_paused_at == START


def test_resolving_meets_every_open_clock_and_reopening_resumes_resolution() -> None:
    sla = started()
    resolved_at = START + timedelta(hours=1)
    clocks.status_changed(
        sla, calendar=ALWAYS, from_status=Status.IN_PROGRESS, to_status=Status.RESOLVED, now=resolved_at
    )
    assert sla.assignment_met_at == sla.first_response_met_at == sla.resolution_met_at == resolved_at
    assert sla.assignment_breached_at == START + timedelta(minutes=15)  # nobody was ever assigned in time
    reopened_at = START + timedelta(hours=5)
    clocks.status_changed(
        sla, calendar=ALWAYS, from_status=Status.RESOLVED, to_status=Status.IN_PROGRESS, now=reopened_at
    )
    assert sla.resolution_met_at is None
    assert sla.resolution_due_at == reopened_at + timedelta(hours=3)


def test_resolving_late_while_paused_counts_only_running_time() -> None:
    sla = started(resolution_minutes=60)
    clocks.status_changed(
        sla,
        calendar=ALWAYS,
        from_status=Status.IN_PROGRESS,
        to_status=Status.PENDING_CONFIRMATION,
        now=START + timedelta(minutes=30),
    )
    # Confirmed two hours later: only 30 min ran, so the target was met.
    clocks.status_changed(
        sla,
        calendar=ALWAYS,
        from_status=Status.PENDING_CONFIRMATION,
        to_status=Status.RESOLVED,
        now=START + timedelta(hours=2, minutes=30),
    )
    assert sla.resolution_breached_at is None


def test_set_targets_keeps_met_clocks_and_measures_open_ones_from_the_start() -> None:
    sla = started()
    clocks.meet(sla, Metric.FIRST_RESPONSE, now=START + timedelta(minutes=30))
    clocks.set_targets(
        sla,
        policy=policy(first_response_minutes=10, resolution_minutes=60),
        calendar=ALWAYS,
        now=START + timedelta(hours=2),
    )
    assert sla.first_response_due_at == START + timedelta(hours=1)
    assert sla.first_response_breached_at is None
    assert sla.resolution_due_at == START + timedelta(hours=1)


def test_public_reply_restarts_the_update_interval() -> None:
    sla = started(update_interval_minutes=30)
    replied = START + timedelta(minutes=10)
    clocks.record_public_reply(sla, calendar=ALWAYS, now=replied)
    assert sla.first_response_met_at == replied
    assert sla.update_due_at == replied + timedelta(minutes=30)


def test_missed_updates_are_counted_together_after_downtime() -> None:
    sla = started(update_interval_minutes=30)
    clocks.record_public_reply(sla, calendar=ALWAYS, now=START)
    missed = clocks.skip_missed_updates(sla, calendar=ALWAYS, now=START + timedelta(hours=2, minutes=1))
    assert missed == 4
    assert sla.update_breach_count == 4
    assert sla.update_due_at == START + timedelta(hours=2, minutes=30)


def test_metric_view_states_follow_the_clock() -> None:
    sla = started()
    view = clocks.metric_view
    assert view(sla, Metric.RESOLUTION, calendar=ALWAYS, now=START).state == ClockState.OK
    assert view(sla, Metric.RESOLUTION, calendar=ALWAYS, now=START + timedelta(hours=3)).state == ClockState.WARNING
    late = view(sla, Metric.RESOLUTION, calendar=ALWAYS, now=START + timedelta(hours=5))
    assert late.state == ClockState.BREACHED
    assert late.remaining == -timedelta(hours=1)


def test_overall_state_is_the_most_urgent_running_clock() -> None:
    sla = started()
    now = START + timedelta(minutes=50)  # assignment breached, first response in warning
    views = [clocks.metric_view(sla, m, calendar=ALWAYS, now=now) for m in clocks.CLOCK_METRICS]
    assert clocks.overall_state(views, status=Status.NEW) == ClockState.BREACHED


def test_overall_state_of_a_finished_ticket_is_met_or_breached() -> None:
    sla = started()
    clocks.status_changed(
        sla, calendar=ALWAYS, from_status=Status.NEW, to_status=Status.RESOLVED, now=START + timedelta(minutes=5)
    )
    views = [clocks.metric_view(sla, m, calendar=ALWAYS, now=START + timedelta(days=1)) for m in clocks.CLOCK_METRICS]
    assert clocks.overall_state(views, status=Status.RESOLVED) == ClockState.MET
    sla.first_response_breached_at = START
    views = [clocks.metric_view(sla, m, calendar=ALWAYS, now=START) for m in clocks.CLOCK_METRICS]
    assert clocks.overall_state(views, status=Status.CLOSED) == ClockState.BREACHED


def test_rule_thresholds_before_and_after_use_business_time() -> None:
    due = datetime(2026, 10, 12, 14, 0, tzinfo=SHANGHAI)
    assert clocks.rule_threshold_at(due, -60, OFFICE) == datetime(2026, 10, 12, 11, 30, tzinfo=SHANGHAI)
    # Four hours after lands exactly on closing time, the earliest instant with 4 h of work done.
    assert clocks.rule_threshold_at(due, 240, OFFICE) == datetime(2026, 10, 12, 18, 0, tzinfo=SHANGHAI)
    assert clocks.rule_threshold_at(due, 241, OFFICE) == datetime(2026, 10, 13, 9, 1, tzinfo=SHANGHAI)
    assert clocks.rule_threshold_at(due, 0, OFFICE) == due
    assert clocks.rule_threshold_at(datetime(2026, 1, 1, tzinfo=UTC), 30, ALWAYS) == datetime(
        2026, 1, 1, 0, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("from_status", "to_status", "moves"),
    [
        ("new", "assigned", False),
        ("assigned", "new", False),
        ("assigned", "in_progress", False),
        ("in_progress", "pending_customer", True),
        ("pending_confirmation", "in_progress", True),
        ("in_progress", "resolved", True),
        ("closed", "in_progress", True),
    ],
)
def test_only_moves_into_or_out_of_waiting_and_finished_statuses_move_the_clocks(
    from_status: str, to_status: str, moves: bool
) -> None:
    assert clocks.status_change_moves_clocks(from_status, to_status) is moves
