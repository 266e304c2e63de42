"""Fill a freshly migrated sopdesk database with open tickets and their SLA clocks, a share of them due.

    python bench/sla_fill.py --tickets N [--due-share 0.01] [--sweep-at ISO] [--analyze]

Run by sla_bench.py in a child process whose environment selects the database (SOPDESK_DATA_DIR /
DATABASE_URL); progress goes to stderr, one JSON line describing what was written to stdout.

Every ticket is open (new, assigned, assigned and answered, or in progress) and has the one
`TicketSla` row that `start_clocks()`, the clock changes of its assignment and first public reply,
and a scanner that never missed a minute would have left behind, measured against the seeded
policy of its priority (P1 24×7, P2–P4 office hours in Asia/Shanghai, escalation rules on P1/P2):

- most rows were looked at by the scanner up to the sweep instant and have their next check in
  the future (the ticket is young enough that its resolution clock still runs, or, for answered
  P1 tickets, the update interval keeps coming round);
- `--due-share` of them had their last look just before one of their thresholds, which fell due
  in the ten minutes before the sweep instant: a warning, a breach, an escalation rule (P1/P2)
  or a missed update (P1). Several may fall due together (a P1 first-response breach and its +0
  rule, for example).

Paused tickets (waiting for the customer) have no next check and are left out: every ticket is in
the scanner's partial index, the hardest case for it.

Computing a million rows with the clock functions themselves (`clocks.start`, `next_check_at`)
takes about 0.3 ms of CPU each, several minutes. The rows are therefore computed by a fast
equivalent: exact business-time arithmetic over a table of each calendar's working minutes around
the sweep instant (working intervals start and end on whole minutes), and the clock rules for
tickets that are never paused. Both are checked before anything is written: the arithmetic
against `sopdesk.lib.businesstime`, and a sample of whole rows against a replay with the real
clock functions (`clocks.start`, `meet`, `record_public_reply`, `pending_occurrences`,
`skip_missed_updates`, `next_check_at`); a single difference fails the fill. sla_bench.py also
uses the model to predict what the sweep must write.

Tickets and clock rows are written in batches (executemany; COPY on PostgreSQL) by a second thread,
the ticket rows first in the same transaction; users and teams come from bench/fill.py.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import sys
import threading
import time
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from fill import (
    CHANNEL_WEIGHTS,
    DIFFICULTIES,
    IMPACT_WEIGHTS,
    TICKET_TYPES,
    TOPIC_WEIGHTS,
    TOPICS,
    URGENCY_WEIGHTS,
    _create_accounts,
)

if TYPE_CHECKING:
    from django.db.models import Model

    from sopdesk.lib.businesstime import BusinessCalendar
    from sopdesk.sla.clocks import RuleSpec
    from sopdesk.sla.models import SlaPolicy, TicketSla

# Instants are integer microseconds since the Unix epoch (UTC) throughout.
SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NAIVE_EPOCH = EPOCH.replace(tzinfo=None)
# A Wednesday in office hours (Asia/Shanghai), no holiday near: every calendar is open.
DEFAULT_SWEEP_AT = "2026-11-18T10:30:00+08:00"
# Due thresholds fell due this long before the sweep at most (a scanner late by a few minutes).
DUE_WINDOW = 10 * MINUTE
# Answered P1 tickets keep an update interval running; they are at most this old.
RUNNING_UPDATES_MAX_AGE = 2 * DAY
# The working-minute tables cover this much around the sweep instant.
WINDOW_BEFORE = 12 * DAY
WINDOW_AFTER = 20 * DAY

METRICS = ("assignment", "first_response", "resolution")
ASSIGNMENT, FIRST_RESPONSE, RESOLUTION = range(3)
# What has happened to an open ticket: (status, assigned, answered publicly).
SCENARIOS = (("new", False, False), ("assigned", True, False), ("assigned", True, True), ("in_progress", True, True))
NEW, ASSIGNED, ANSWERED, IN_PROGRESS = range(4)
SCENARIO_NAMES = ("new", "assigned", "assigned and answered", "in progress")
FUTURE_SCENARIO_WEIGHTS = (20, 12, 13, 55)
# Due rows: what falls due, and which tickets it can fall due on.
DUE_KIND_WEIGHTS = {"warning": 45, "breach": 30, "escalation": 15, "update": 10}
DUE_METRIC_WEIGHTS = (30, 35, 35)
DUE_SCENARIO_WEIGHTS = {
    ASSIGNMENT: (100, 0, 0, 0),
    FIRST_RESPONSE: (40, 60, 0, 0),
    RESOLUTION: (15, 15, 15, 55),
    "update": (0, 0, 20, 80),
}

# The TicketSla columns the model computes, compared with the real clock functions and the database.
DATETIME_COLUMNS = (
    "started_at",
    "targets_set_at",
    *(f"{metric}_{suffix}" for metric in METRICS for suffix in ("due_at", "met_at", "warned_at", "breached_at")),
    "resolution_paused_at",
    "update_due_at",
    "update_breached_at",
    "next_check_at",
)
COMPARED_COLUMNS = (
    "policy_id",
    "calendar_id",
    "assignment_target_minutes",
    "first_response_target_minutes",
    "resolution_target_minutes",
    "update_interval_minutes",
    "warning_percent",
    *DATETIME_COLUMNS,
    "paused_seconds",
    "update_breach_count",
    "escalations_fired",
    "version",
)


def to_us(value: datetime) -> int:
    """Return aware `value` as microseconds since the epoch."""
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * SECOND + delta.microseconds


def to_datetime(instant: int) -> datetime:
    return EPOCH + timedelta(microseconds=instant)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- business time --------------------------------------------------------------------------


class WorkingMinutes:
    """Exact business-time `add` and `subtract` for one calendar inside a window, in microseconds.

    Working intervals start and end on whole local minutes and zone offsets are whole minutes, so
    every UTC minute is all working time or none: business time is a prefix sum over minutes. The
    table is built with `businesstime.is_working_instant` and checked against `add`/`subtract`.
    """

    def __init__(self, calendar: BusinessCalendar, first: int, last: int) -> None:
        from sopdesk.lib import businesstime

        self.always_open = calendar.always_open
        self.first = first // MINUTE * MINUTE
        count = 0 if self.always_open else -(-(last - self.first) // MINUTE)
        self.working = bytearray(
            businesstime.is_working_instant(calendar, to_datetime(self.first + index * MINUTE))
            for index in range(count)
        )
        prefix = array("q", [0])
        total = 0
        for is_working in self.working:
            total += MINUTE if is_working else 0
            prefix.append(total)
        self.prefix = prefix

    def _worked(self, instant: int) -> int:
        """Return the business time from the start of the table to `instant`."""
        offset = instant - self.first
        index = offset // MINUTE
        if not 0 <= index < len(self.working):
            raise ValueError(f"{to_datetime(instant)} is outside the bench's working-minute table")
        return self.prefix[index] + (offset - index * MINUTE if self.working[index] else 0)

    def add(self, start: int, amount: int) -> int:
        """Return the earliest instant at or after `start` that is `amount` of business time later."""
        if amount == 0 or self.always_open:
            return start + amount
        target = self._worked(start) + amount
        index = bisect_left(self.prefix, target)
        if index >= len(self.prefix):
            raise ValueError(f"{to_datetime(start)} + {amount / MINUTE} min is outside the working-minute table")
        return self.first + (index - 1) * MINUTE + (target - self.prefix[index - 1])

    def subtract(self, end: int, amount: int) -> int:
        """Return the latest instant at or before `end` that is `amount` of business time earlier."""
        if amount == 0 or self.always_open:
            return end - amount
        target = self._worked(end) - amount
        if target < 0:
            raise ValueError(f"{to_datetime(end)} - {amount / MINUTE} min is outside the working-minute table")
        index = bisect_right(self.prefix, target)
        return self.first + (index - 1) * MINUTE + (target - self.prefix[index - 1])

    def check(self, calendar: BusinessCalendar, rng: random.Random, *, center: int, samples: int) -> None:
        """Compare with sopdesk.lib.businesstime at random instants and durations; raise on a difference."""
        from sopdesk.lib import businesstime

        for _ in range(samples):
            instant = center + rng.randrange(-5 * DAY, 5 * DAY)
            if rng.random() < 0.2:  # exactly on a minute, where interval boundaries lie
                instant = instant // MINUTE * MINUTE
            amount = rng.choice([0, rng.randrange(1, DAY), rng.randrange(1, 60) * MINUTE])
            duration = timedelta(microseconds=amount)
            expected = to_us(businesstime.add(calendar, to_datetime(instant), duration))
            if self.add(instant, amount) != expected:
                raise AssertionError(f"add({to_datetime(instant)}, {duration}) differs from businesstime.add")
            expected = to_us(businesstime.subtract(calendar, to_datetime(instant), duration))
            if self.subtract(instant, amount) != expected:
                raise AssertionError(f"subtract({to_datetime(instant)}, {duration}) differs from businesstime")


# --- the clocks of a ticket that is never paused ----------------------------------------------


@dataclass(frozen=True)
class PolicyClock:
    """A seeded SLA policy as its clock rows copy it, with its escalation rules and calendar."""

    policy_id: int
    priority: str
    calendar_id: int
    targets: tuple[int, int, int]  # minutes: assignment, first response, resolution
    update_interval: int | None  # minutes
    warning_percent: int
    rules: tuple[tuple[int, int, int], ...]  # (rule id, metric index, offset minutes)
    time: WorkingMinutes

    def due_at(self, created: int, metric: int) -> int:
        return self.time.add(created, self.targets[metric] * MINUTE)

    def warning_at(self, metric: int, due: int) -> int:
        # The same expression as clocks.warning_at, so that rounding to the microsecond agrees.
        left = timedelta(seconds=self.targets[metric] * 60 * (100 - self.warning_percent) / 100)
        return self.time.subtract(due, left // timedelta(microseconds=1))

    def threshold_at(self, due: int, offset_minutes: int) -> int:
        if offset_minutes >= 0:
            return self.time.add(due, offset_minutes * MINUTE)
        return self.time.subtract(due, -offset_minutes * MINUTE)


def load_policy_clocks(*, center: int, rng: random.Random) -> dict[str, PolicyClock]:
    """Return the clock view of the policy each priority gets, with checked working-minute tables."""
    from sopdesk.sla.calendars import business_calendar
    from sopdesk.sla.models import EscalationRule, SlaPolicy

    result: dict[str, PolicyClock] = {}
    tables: dict[int, WorkingMinutes] = {}
    for policy in SlaPolicy.objects.filter(is_active=True).select_related("calendar").order_by("order", "pk"):
        if policy.priority in result:
            continue
        if policy.customer_level_id or policy.category_id or policy.channel or policy.backup_team_id:
            raise SystemExit(f"policy {policy} has conditions or a backup team; the bench expects the seeded policies")
        targets = (policy.assignment_minutes, policy.first_response_minutes, policy.resolution_minutes)
        if None in targets:
            raise SystemExit(f"policy {policy} lacks a target; the bench expects the seeded policies")
        if policy.calendar_id not in tables:
            calendar = business_calendar(policy.calendar)
            table = WorkingMinutes(calendar, center - WINDOW_BEFORE, center + WINDOW_AFTER)
            table.check(calendar, rng, center=center, samples=400)
            tables[policy.calendar_id] = table
        rules = []
        for rule in EscalationRule.objects.filter(policy=policy, is_active=True).order_by("pk"):
            if rule.reassign_to_team_id is not None or rule.raise_priority:
                raise SystemExit(f"rule {rule} changes the ticket; the bench expects the seeded rules")
            rules.append((rule.pk, METRICS.index(rule.metric), rule.offset_minutes))
        result[policy.priority] = PolicyClock(
            policy_id=policy.pk,
            priority=policy.priority,
            calendar_id=policy.calendar_id,
            targets=(targets[0] or 0, targets[1] or 0, targets[2] or 0),
            update_interval=policy.update_interval_minutes,
            warning_percent=policy.warning_percent,
            rules=tuple(rules),
            time=tables[policy.calendar_id],
        )
    return result


def clock_columns(
    policy: PolicyClock, *, created: int, assigned: int | None, responded: int | None, scanned: int
) -> dict[str, Any]:
    """Return the TicketSla columns (instants in microseconds) of a ticket that was never paused.

    The ticket was created at `created` (the clocks started), assigned at `assigned`, answered
    publicly at `responded` (both before `scanned`, or None), and the scanner has fired everything
    that fell due up to and including `scanned` while its metric was still running.
    """
    met = (assigned, responded, None)
    columns: dict[str, Any] = {
        "policy_id": policy.policy_id,
        "calendar_id": policy.calendar_id,
        "assignment_target_minutes": policy.targets[ASSIGNMENT],
        "first_response_target_minutes": policy.targets[FIRST_RESPONSE],
        "resolution_target_minutes": policy.targets[RESOLUTION],
        "update_interval_minutes": policy.update_interval,
        "warning_percent": policy.warning_percent,
        "started_at": created,
        "targets_set_at": created,
        "resolution_paused_at": None,
        "paused_seconds": 0,
    }
    pending: list[int] = []
    fired_rules: list[tuple[int, int]] = []
    fired_instants: set[int] = set()  # one scanner claim per instant at which something fired
    for metric, name in enumerate(METRICS):
        due = policy.due_at(created, metric)
        met_at = met[metric]
        # An occurrence fires while the metric runs: strictly before it was met, and by `scanned`.
        limit = scanned if met_at is None else min(scanned, met_at - 1)
        warning = policy.warning_at(metric, due)
        warned = breached = None
        if warning <= limit:
            warned = warning
            fired_instants.add(warning)
        elif met_at is None:
            pending.append(warning)
        if due <= limit:
            breached = due
            fired_instants.add(due)
        elif met_at is None:
            pending.append(due)
        elif met_at > due:  # met late: clocks.meet records the breach
            breached = due
        for rule_id, rule_metric, offset in policy.rules:
            if rule_metric != metric:
                continue
            threshold = policy.threshold_at(due, offset)
            if threshold <= limit:
                fired_rules.append((threshold, rule_id))
                fired_instants.add(threshold)
            elif met_at is None:
                pending.append(threshold)
        columns |= {
            f"{name}_due_at": due,
            f"{name}_met_at": met_at,
            f"{name}_warned_at": warned,
            f"{name}_breached_at": breached,
        }
    update_due = update_breached = None
    update_breach_count = 0
    if policy.update_interval and responded is not None:
        interval = policy.update_interval * MINUTE
        update_due = policy.time.add(responded, interval)
        if policy.time.always_open and update_due <= scanned:
            missed = (scanned - update_due) // interval + 1
            fired_instants.update(range(update_due, update_due + missed * interval, interval))
            update_breach_count = missed
            update_breached = update_due + (missed - 1) * interval
            update_due += missed * interval
        while update_due <= scanned:  # a scanner that looks every minute misses one interval at a time
            fired_instants.add(update_due)
            update_breach_count += 1
            update_breached = update_due
            update_due = policy.time.add(update_due, interval)
        pending.append(update_due)
    fired_rules.sort()
    columns |= {
        "update_due_at": update_due,
        "update_breached_at": update_breached,
        "update_breach_count": update_breach_count,
        "escalations_fired": [rule_id for _, rule_id in fired_rules],
        "next_check_at": min(pending) if pending else None,
        "version": (assigned is not None) + (responded is not None) + len(fired_instants),
    }
    return columns


def sweep_outcome(before: Mapping[str, Any], after: Mapping[str, Any]) -> Counter[str]:
    """Return the events a sweep writes to take a clock row from `before` to `after`."""
    outcome: Counter[str] = Counter()
    for name in METRICS:
        outcome["warnings"] += before[f"{name}_warned_at"] is None and after[f"{name}_warned_at"] is not None
        outcome["breaches"] += before[f"{name}_breached_at"] is None and after[f"{name}_breached_at"] is not None
    # One event for all the update intervals missed since the last look.
    outcome["breaches"] += after["update_breach_count"] > before["update_breach_count"]
    outcome["escalations"] += len(after["escalations_fired"]) - len(before["escalations_fired"])
    return outcome


# --- the same with the real clock functions (the check) ---------------------------------------


class Reference:
    """Replay a ticket's clocks with the real clock functions, for comparison with `clock_columns`."""

    def __init__(self) -> None:
        from sopdesk.sla.calendars import business_calendar
        from sopdesk.sla.models import SlaPolicy
        from sopdesk.sla.policies import rule_specs

        self.policies: dict[int, SlaPolicy] = SlaPolicy.objects.select_related("calendar").in_bulk()
        self.calendars = {pk: business_calendar(policy.calendar) for pk, policy in self.policies.items()}
        self.specs = {pk: rule_specs(pk) for pk in self.policies}

    def columns(
        self, policy_id: int, *, created: int, assigned: int | None, responded: int | None, scanned: int
    ) -> dict[str, Any]:
        from sopdesk.sla import clocks
        from sopdesk.sla.choices import Metric
        from sopdesk.sla.models import TicketSla

        policy, calendar, specs = self.policies[policy_id], self.calendars[policy_id], self.specs[policy_id]
        start = to_datetime(created)
        sla = TicketSla(ticket_id=1, started_at=start, targets_set_at=start)
        clocks.start(sla, policy=policy, calendar=calendar, now=start)
        sla.next_check_at = clocks.next_check_at(sla, status="new", calendar=calendar, rules=specs)
        version = 0
        milestones = sorted((at, kind) for at, kind in ((assigned, "assign"), (responded, "reply")) if at is not None)
        for at, kind in milestones:
            version += self._scan(sla, until=at - 1, calendar=calendar, specs=specs)
            if kind == "assign":
                clocks.meet(sla, Metric.ASSIGNMENT, now=to_datetime(at))
            else:
                clocks.record_public_reply(sla, calendar=calendar, now=to_datetime(at))
            sla.next_check_at = clocks.next_check_at(sla, status="in_progress", calendar=calendar, rules=specs)
            version += 1  # actions._save bumps the version
        version += self._scan(sla, until=scanned, calendar=calendar, specs=specs)
        sla.version = version
        return row_columns(sla)

    @staticmethod
    def _scan(sla: TicketSla, *, until: int, calendar: BusinessCalendar, specs: Sequence[RuleSpec]) -> int:
        """Sweep at every instant something falls due up to `until`; return how many sweeps claimed the row."""
        from sopdesk.sla import clocks
        from sopdesk.sla.clocks import OccurrenceKind

        claims = 0
        while sla.next_check_at is not None and to_us(sla.next_check_at) <= until:
            now = sla.next_check_at
            # The changes scanner._apply makes to the clock row, occurrence by occurrence.
            for occurrence in clocks.pending_occurrences(sla, status="in_progress", calendar=calendar, rules=specs):
                if occurrence.at > now:
                    break
                if occurrence.kind == OccurrenceKind.WARNING:
                    setattr(sla, f"{occurrence.metric}_warned_at", occurrence.at)
                elif occurrence.kind == OccurrenceKind.BREACH:
                    setattr(sla, f"{occurrence.metric}_breached_at", occurrence.at)
                elif occurrence.kind == OccurrenceKind.ESCALATION:
                    sla.escalations_fired = [*sla.escalations_fired, occurrence.rule_id]
                else:
                    clocks.skip_missed_updates(sla, calendar=calendar, now=now)
            sla.next_check_at = clocks.next_check_at(sla, status="in_progress", calendar=calendar, rules=specs)
            claims += 1
            if claims > 100_000:
                raise AssertionError("the replay does not end")
        return claims


def row_columns(sla: TicketSla) -> dict[str, Any]:
    """Return the compared columns of a TicketSla instance, instants in microseconds."""
    columns = {name: getattr(sla, name) for name in COMPARED_COLUMNS}
    for name in DATETIME_COLUMNS:
        if columns[name] is not None:
            columns[name] = to_us(columns[name])
    columns["escalations_fired"] = list(columns["escalations_fired"])
    return columns


def differences(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Return {column: (expected, actual)} for the compared columns that differ, instants readable."""

    def readable(name: str, value: Any) -> Any:
        return to_datetime(value).isoformat() if name in DATETIME_COLUMNS and value is not None else value

    return {
        name: (readable(name, expected[name]), readable(name, actual[name]))
        for name in COMPARED_COLUMNS
        if expected[name] != actual[name]
    }


# --- planning the tickets ---------------------------------------------------------------------


@dataclass(frozen=True)
class DueRow:
    kind: str
    metric: str
    scenario: int
    created: int
    scanned: int  # the scanner's last look: just before the first of its due thresholds
    responded: int | None  # fixed for a missed update


def plan_due_row(rng: random.Random, policy: PolicyClock, *, now: int) -> DueRow:
    """Place a ticket so that one threshold of the drawn kind fell due within DUE_WINDOW before `now`."""
    kinds = ["warning", "breach"]
    kinds += ["escalation"] if policy.rules else []
    kinds += ["update"] if policy.update_interval else []
    for _ in range(100):
        kind = rng.choices(kinds, weights=[DUE_KIND_WEIGHTS[name] for name in kinds])[0]
        at = now - rng.randrange(DUE_WINDOW)
        responded = None
        if kind == "update":
            interval = (policy.update_interval or 0) * MINUTE
            missed = rng.randrange(4)  # intervals already missed before this one
            responded = policy.time.subtract(at, (missed + 1) * interval)
            created = responded - rng.randrange(MINUTE, 20 * MINUTE)
            occurrence = policy.time.add(responded, interval)
            for _ in range(missed):
                occurrence = policy.time.add(occurrence, interval)
            metric_name, weights = "update", DUE_SCENARIO_WEIGHTS["update"]
        else:
            offset = 0
            if kind == "escalation":
                _, metric, offset = rng.choice(policy.rules)
            else:
                metric = rng.choices(range(3), weights=DUE_METRIC_WEIGHTS)[0]
            target = policy.targets[metric] * MINUTE
            if kind == "warning":
                left = timedelta(seconds=policy.targets[metric] * 60 * (100 - policy.warning_percent) / 100)
                due = policy.time.add(at, left // timedelta(microseconds=1))
            elif offset >= 0:
                due = policy.time.subtract(at, offset * MINUTE)
            else:
                due = policy.time.add(at, -offset * MINUTE)
            created = policy.time.subtract(due, target)
            # Forward again: the instant the clocks will compute from this creation time.
            due = policy.due_at(created, metric)
            if kind == "warning":
                occurrence = policy.warning_at(metric, due)
            elif kind == "escalation":
                occurrence = policy.threshold_at(due, offset)
            else:
                occurrence = due
            metric_name, weights = METRICS[metric], DUE_SCENARIO_WEIGHTS[metric]
        if now - DUE_WINDOW < occurrence <= now and created > now - WINDOW_BEFORE + DAY:
            scenario = rng.choices(range(4), weights=weights)[0]
            return DueRow(kind, metric_name, scenario, created, occurrence - 1, responded)
    raise AssertionError(f"could not place a due {kind} on {policy.priority}")


@dataclass
class Plan:
    """What pass one decided per ticket (compact: a million of them)."""

    created: array[int]
    priority: bytearray
    scenario: bytearray
    topic: array[int]
    requester: array[int]
    impact: bytearray
    urgency: bytearray
    channel: bytearray
    due: dict[int, DueRow]


PRIORITIES = ("P1", "P2", "P3", "P4")


def plan_tickets(
    rng: random.Random, *, count: int, due_count: int, now: int, policies: Mapping[str, PolicyClock], boosts: list[int]
) -> Plan:
    """Draw every ticket's classification, scenario and creation instant (pass one)."""
    from sopdesk.lib.priority import compute_priority
    from sopdesk.tickets.actions import priority_matrix

    matrix = priority_matrix()
    impacts, urgencies, channels = list(IMPACT_WEIGHTS), list(URGENCY_WEIGHTS), list(CHANNEL_WEIGHTS)
    plan = Plan(
        created=array("q", bytes(8 * count)),
        priority=bytearray(count),
        scenario=bytearray(rng.choices(range(4), weights=FUTURE_SCENARIO_WEIGHTS, k=count)),
        topic=array("H", rng.choices(range(len(TOPICS)), weights=TOPIC_WEIGHTS, k=count)),
        requester=array("H", [rng.randrange(len(boosts)) for _ in range(count)]),
        impact=bytearray(rng.choices(range(len(impacts)), weights=list(IMPACT_WEIGHTS.values()), k=count)),
        urgency=bytearray(rng.choices(range(len(urgencies)), weights=list(URGENCY_WEIGHTS.values()), k=count)),
        channel=bytearray(rng.choices(range(len(channels)), weights=list(CHANNEL_WEIGHTS.values()), k=count)),
        due={},
    )
    priorities: dict[tuple[int, int, int], int] = {}
    # The oldest a ticket may be and still have a future check: its resolution breach is ahead,
    # or (answered P1) its update interval keeps running.
    oldest: dict[tuple[str, int], int] = {}
    for name, policy in policies.items():
        for scenario in range(4):
            if policy.update_interval and SCENARIOS[scenario][2]:
                oldest[name, scenario] = now - RUNNING_UPDATES_MAX_AGE
            else:
                oldest[name, scenario] = policy.time.subtract(now, policy.targets[RESOLUTION] * MINUTE) + 1
    due_indexes = set(rng.sample(range(count), due_count))
    for index in range(count):
        key = (plan.impact[index], plan.urgency[index], boosts[plan.requester[index]])
        if key not in priorities:
            priority = compute_priority(impact=impacts[key[0]], urgency=urgencies[key[1]], boost=key[2], matrix=matrix)
            priorities[key] = PRIORITIES.index(priority)
        plan.priority[index] = priorities[key]
        name = PRIORITIES[plan.priority[index]]
        if index in due_indexes:
            row = plan_due_row(rng, policies[name], now=now)
            plan.due[index] = row
            plan.scenario[index] = row.scenario
            plan.created[index] = row.created
        else:
            plan.created[index] = rng.randrange(oldest[name, plan.scenario[index]], now)
    return plan


# --- writing ----------------------------------------------------------------------------------


class Table:
    """Rows of one model's table in column order, for executemany or COPY; unset columns get their default."""

    def __init__(self, model: type[Model]) -> None:
        from django.db import connection

        fields = list(model._meta.concrete_fields)
        self.names = [field.attname for field in fields]
        self.position = {name: index for index, name in enumerate(self.names)}
        self.datetimes = {field.attname for field in fields if field.get_internal_type() == "DateTimeField"}
        self.json = {field.attname for field in fields if field.get_internal_type() == "JSONField"}
        # The backend stores UTC: SQLite as naive text (what adapt_datetimefield_value writes), PostgreSQL
        # reads the offset.
        self.zone_suffix = "+00:00" if connection.vendor == "postgresql" else ""
        self.template = [self._db_value(field.attname, field.get_default()) for field in fields]
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(field.column) for field in fields)
        # Identifiers come from the model and are quoted; values are always parameters.
        self.insert_sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
        self.copy_sql = f"COPY {table} ({columns}) FROM STDIN" if connection.vendor == "postgresql" else None

    def _db_value(self, name: str, value: Any) -> Any:
        if value is None:
            return None
        if name in self.datetimes:
            return self._datetime(value if isinstance(value, int) else to_us(value))
        if name in self.json:
            return json.dumps(value)
        return value

    def _datetime(self, instant: int) -> str:
        return f"{NAIVE_EPOCH + timedelta(microseconds=instant)}{self.zone_suffix}"

    def row(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """Return the row for `values` (instants in microseconds) in column order."""
        row = self.template.copy()
        position, datetimes, json_columns = self.position, self.datetimes, self.json
        for name, value in values.items():
            if value is not None:
                if name in datetimes:
                    value = self._datetime(value)
                elif name in json_columns:
                    value = json.dumps(value)
            row[position[name]] = value
        return tuple(row)


class BatchWriter:
    """Write batches of rows for several tables, each batch in one transaction, in a second thread.

    Generating the next batch overlaps with the database storing the previous one; the tables of a
    batch are written in order (tickets before the clock rows that refer to them).
    """

    def __init__(self, tables: list[Table]) -> None:
        self.tables = tables
        self.batches: queue.Queue[list[list[tuple[Any, ...]]] | None] = queue.Queue(maxsize=2)
        self.failure: BaseException | None = None
        self.waited = 0.0  # the producer, blocked because the database is behind
        self.writing = 0.0  # the writer, in the database
        self.thread = threading.Thread(target=self._write_batches, daemon=True)
        self.thread.start()

    def put(self, batch: list[list[tuple[Any, ...]]]) -> None:
        if self.failure is not None:
            raise self.failure
        started = time.perf_counter()
        self.batches.put(batch)
        self.waited += time.perf_counter() - started

    def close(self) -> None:
        """Wait for the writer and raise its failure, if any."""
        self.batches.put(None)
        self.thread.join()
        if self.failure is not None:
            raise self.failure

    def _write_batches(self) -> None:
        from django.db import connection, transaction

        try:
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:
                    # A page cache that holds the indexes being filled (the default is 2 MB); this
                    # connection only, the measurement runs with the service's settings.
                    cursor.execute("PRAGMA cache_size = -524288")
            while (batch := self.batches.get()) is not None:
                started = time.perf_counter()
                with transaction.atomic(), connection.cursor() as cursor:
                    for table, rows in zip(self.tables, batch, strict=True):
                        if table.copy_sql is None:
                            cursor.executemany(table.insert_sql, rows)
                            continue
                        with cursor.cursor.copy(table.copy_sql) as copy:
                            for row in rows:
                                copy.write_row(row)
                self.writing += time.perf_counter() - started
        except BaseException as exc:
            self.failure = exc
            while self.batches.get() is not None:  # keep the producer from blocking
                pass
        finally:
            connection.close()


@dataclass
class FillResult:
    distribution: dict[str, Counter[str]]
    expected: Counter[str]
    checked: Counter[str]
    mismatches: list[dict[str, Any]]
    stored_samples: dict[int, dict[str, Any]]
    next_checks: Counter[str]
    writer: dict[str, float] = field(default_factory=dict)


def fill(
    rng: random.Random,
    *,
    plan: Plan,
    now: int,
    policies: Mapping[str, PolicyClock],
    accounts: Any,
    batch_size: int,
    check_sample: int,
) -> FillResult:
    """Generate tickets and clock rows in creation order (pass two) and write them."""
    from django.conf import settings
    from django.utils import timezone

    from sopdesk.sla.models import TicketSla
    from sopdesk.tickets.models import Category, Ticket, TicketNumberSequence
    from sopdesk.tickets.numbering import format_ticket_number

    count = len(plan.created)
    order = sorted(range(count), key=plan.created.__getitem__)
    tickets, clocks_table = Table(Ticket), Table(TicketSla)
    writer = BatchWriter([tickets, clocks_table])
    reference = Reference()
    categories = dict(Category.objects.values_list("code", "pk"))
    team_ids = {code: team.pk for code, team in accounts.teams.items()}
    member_ids = {code: [user.pk for user in users] for code, users in accounts.members.items()}
    impacts, urgencies, channels = list(IMPACT_WEIGHTS), list(URGENCY_WEIGHTS), list(CHANNEL_WEIGHTS)
    prefix = settings.SOPDESK_TICKET_PREFIX
    local_zone = timezone.get_current_timezone()
    # Check rows against the real clock functions: a spread of ordinary rows and of due rows.
    future_share = check_sample / max(count - len(plan.due), 1)
    due_share = check_sample / max(len(plan.due), 1)
    result = FillResult(
        distribution={"priority": Counter(), "scenario": Counter(), "due": Counter()},
        expected=Counter(),
        checked=Counter(),
        mismatches=[],
        stored_samples={},
        next_checks=Counter(),
    )
    sequences: Counter[int] = Counter()
    pending: list[list[tuple[Any, ...]]] = [[], []]
    started = last_report = time.perf_counter()
    try:
        for position, index in enumerate(order):
            ticket_id = position + 1
            policy = policies[PRIORITIES[plan.priority[index]]]
            created = plan.created[index]
            scenario = plan.scenario[index]
            status, is_assigned, is_answered = SCENARIOS[scenario]
            due = plan.due.get(index)
            scanned = now if due is None else due.scanned
            assigned = responded = None
            if due is not None and due.responded is not None:
                responded = due.responded
                assigned = created + rng.randrange(1, responded - created)
            elif is_answered:
                assigned, responded = sorted(created + rng.randrange(1, scanned - created) for _ in range(2))
            elif is_assigned:
                assigned = created + rng.randrange(1, scanned - created)
            columns = clock_columns(policy, created=created, assigned=assigned, responded=responded, scanned=scanned)
            next_check = columns["next_check_at"]
            if due is None:
                if next_check is None or next_check <= now:
                    raise AssertionError(f"ticket {ticket_id} was meant to have a future check")
                for label, within in (("1 min", MINUTE), ("10 min", 10 * MINUTE), ("1 h", HOUR), ("1 day", DAY)):
                    result.next_checks[label] += next_check <= now + within
            else:
                if next_check is None or not scanned < next_check <= now:
                    raise AssertionError(f"ticket {ticket_id} was meant to be due")
                after = clock_columns(policy, created=created, assigned=assigned, responded=responded, scanned=now)
                result.expected.update(sweep_outcome(columns, after))
                result.expected["rows"] += 1
                result.distribution["due"][f"{policy.priority} {due.kind} {due.metric}"] += 1
            share = future_share if due is None else due_share
            if rng.random() < share:
                actual = reference.columns(
                    policy.policy_id, created=created, assigned=assigned, responded=responded, scanned=scanned
                )
                result.checked["due" if due is not None else "future"] += 1
                if (found := differences(columns, actual)) and len(result.mismatches) < 20:
                    inputs = {"created": created, "assigned": assigned, "responded": responded, "scanned": scanned}
                    result.mismatches.append(
                        {
                            "ticket": ticket_id,
                            "priority": policy.priority,
                            **{name: to_datetime(value).isoformat() for name, value in inputs.items() if value},
                            "columns": found,
                        }
                    )
                elif found:
                    result.mismatches.append({"ticket": ticket_id})
                result.stored_samples[ticket_id] = {name: columns[name] for name in COMPARED_COLUMNS}
            topic = TOPICS[plan.topic[index]]
            category_code, team_code, zh_titles, en_titles, zh_details, en_details = topic
            is_chinese = rng.random() < 0.65
            number_hint = str(rng.randint(1, 30))
            title = rng.choice(zh_titles if is_chinese else en_titles).replace("{n}", number_hint)
            details = rng.sample(zh_details if is_chinese else en_details, 2)
            requester = accounts.requesters[plan.requester[index]]
            year = to_datetime(created).astimezone(local_zone).year
            sequences[year] += 1
            ticket = {
                "id": ticket_id,
                "number": format_ticket_number(prefix, year, sequences[year]),
                "title": title,
                "description": "\n".join(text.replace("{n}", number_hint) for text in details),
                "requester_id": requester.pk,
                "created_by_id": requester.pk,
                "contact_name": requester.display_name,
                "contact_email": requester.email,
                "organization_id": requester.organization_id,
                "department_id": requester.department_id,
                "requester_type": requester.requester_type,
                "channel": channels[plan.channel[index]],
                "category_id": categories[category_code],
                "ticket_type": TICKET_TYPES[index % len(TICKET_TYPES)],
                "impact": impacts[plan.impact[index]],
                "urgency": urgencies[plan.urgency[index]],
                "priority": policy.priority,
                "difficulty": DIFFICULTIES[index % len(DIFFICULTIES)],
                "status": status,
                "team_id": team_ids[team_code],
                "assignee_id": rng.choice(member_ids[team_code]) if is_assigned else None,
                "created_at": created,
                "updated_at": max(created, assigned or 0, responded or 0),
                "first_responded_at": responded,
            }
            pending[0].append(tickets.row(ticket))
            pending[1].append(clocks_table.row({"ticket_id": ticket_id, **columns}))
            result.distribution["priority"][policy.priority] += 1
            result.distribution["scenario"][SCENARIO_NAMES[scenario]] += 1
            if len(pending[0]) >= batch_size:
                writer.put(pending)
                pending = [[], []]
            if time.perf_counter() - last_report > 15:
                last_report = time.perf_counter()
                rate = ticket_id / (last_report - started)
                progress(
                    f"    {ticket_id:,} / {count:,} tickets with clocks ({ticket_id / count:.0%}),"
                    f" {last_report - started:.0f} s, {rate:,.0f} rows/s"
                )
        if pending[0]:
            writer.put(pending)
    finally:
        writer.close()
    result.writer = {"database_seconds": round(writer.writing, 2), "producer_waited_seconds": round(writer.waited, 2)}
    for year, last_value in sequences.items():
        TicketNumberSequence.objects.update_or_create(prefix=prefix, year=year, defaults={"last_value": last_value})
    return result


def _reset_sequences() -> None:
    """Let later inserts continue after the explicit ids (PostgreSQL; SQLite follows by itself)."""
    from django.core.management.color import no_style
    from django.db import connection

    from sopdesk.tickets.models import Ticket

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Ticket]):
            cursor.execute(statement)


def _check_rows(count: int, samples: Mapping[int, Mapping[str, Any]]) -> int:
    """Read rows back through the ORM: counts, validation, and the checked clock rows column by column."""
    from sopdesk.sla.models import TicketSla
    from sopdesk.tickets.models import Ticket

    for model in (Ticket, TicketSla):
        stored = model.objects.count()
        if stored != count:
            raise SystemExit(f"expected {count} {model.__name__} rows, found {stored}")
    for ticket in Ticket.objects.select_related("team", "requester", "category")[:200]:
        ticket.full_clean(exclude=["tags"])
    for sla in TicketSla.objects.order_by("pk")[:200]:
        sla.full_clean(exclude=["ticket"])
    compared = 0
    for sla in TicketSla.objects.filter(pk__in=list(samples)):
        if found := differences(samples[sla.pk], row_columns(sla)):
            raise SystemExit(f"clock row {sla.pk} reads back differently: {found}")
        compared += 1
    return compared


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, required=True)
    parser.add_argument("--due-share", type=float, default=0.01)
    parser.add_argument("--sweep-at", default=DEFAULT_SWEEP_AT, help="the sweep instant (ISO 8601 with offset)")
    parser.add_argument("--seed", type=int, default=20261118)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--check-sample", type=int, default=1000, help="rows of each kind replayed with the clocks")
    parser.add_argument("--analyze", action="store_true", help="refresh planner statistics afterwards")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sopdesk.settings")
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Value
    from django.db.models.functions import Concat

    from sopdesk.accounts.models import User

    sweep_at = datetime.fromisoformat(args.sweep_at)
    if sweep_at.utcoffset() is None:
        parser.error("--sweep-at needs an offset, e.g. 2026-11-18T10:30:00+08:00")
    now = to_us(sweep_at)
    rng = random.Random(args.seed)
    due_count = round(args.tickets * args.due_share)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    # Nobody logs in: a random password.
    accounts = _create_accounts(os.urandom(16).hex())
    # Staff get addresses, so SLA notifications also queue their e-mails as in production.
    User.objects.filter(email="").update(email=Concat("username", Value("@example.com")))
    policies = load_policy_clocks(center=now, rng=rng)
    boosts = [
        user.organization.customer_level.priority_boost if user.organization.customer_level else 0
        for user in accounts.requesters
    ]
    timings["accounts_seconds"] = time.perf_counter() - started
    progress(f"    planning {args.tickets:,} tickets, {due_count:,} of them due …")
    plan = plan_tickets(rng, count=args.tickets, due_count=due_count, now=now, policies=policies, boosts=boosts)
    timings["plan_seconds"] = time.perf_counter() - started - timings["accounts_seconds"]
    mark = time.perf_counter()
    result = fill(
        rng,
        plan=plan,
        now=now,
        policies=policies,
        accounts=accounts,
        batch_size=args.batch_size,
        check_sample=args.check_sample,
    )
    timings["write_seconds"] = time.perf_counter() - mark
    if result.mismatches:
        print(json.dumps({"mismatches": result.mismatches}, ensure_ascii=False), file=sys.stderr)
        raise SystemExit(f"{len(result.mismatches)} clock rows differ from the real clock functions")
    mark = time.perf_counter()
    _reset_sequences()
    read_back = _check_rows(args.tickets, result.stored_samples)
    timings["check_seconds"] = time.perf_counter() - mark
    mark = time.perf_counter()
    if args.analyze:
        progress("    planner statistics …")
        with connection.cursor() as cursor:
            # What the service has by the time a table is this big: autovacuum on PostgreSQL (statistics
            # and the visibility map), the hourly refresh_statistics job on SQLite.
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    timings["analyze_seconds"] = time.perf_counter() - mark
    summary = {
        "tickets": args.tickets,
        "due_rows": due_count,
        "sweep_at": sweep_at.isoformat(),
        "vendor": connection.vendor,
        "seed": args.seed,
        **{key: round(value, 2) for key, value in timings.items()},
        "distribution": {name: dict(sorted(counter.items())) for name, counter in result.distribution.items()},
        "expected_sweep": dict(result.expected),
        "writer": result.writer,
        "future_checks_within": dict(result.next_checks),
        "checked_against_clocks": dict(result.checked),
        "read_back": read_back,
        "policies": {
            name: {"targets_minutes": policy.targets, "update_interval": policy.update_interval, "rules": policy.rules}
            for name, policy in policies.items()
        },
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
