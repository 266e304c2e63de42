"""Demo tickets and their histories, played through the real ticket actions.

Each ticket is planned first (when it arrived, who reported what, which status it has reached
today), then created with `create_ticket` and taken through the steps a real desk would take,
each step with its own `now` so the timeline reads like sixty days of work.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from sopdesk.accounts.models import Team, User
from sopdesk.demo.content import Phrases, Scenario, chinese, english
from sopdesk.demo.directory import MONITORING_USERNAME, SERVICE_DESK, Directory
from sopdesk.tickets.actions import (
    ClosureSummary,
    TicketDraft,
    add_comment,
    assign_ticket,
    change_status,
    create_ticket,
    edit_ticket_details,
    override_priority,
)
from sopdesk.tickets.choices import Channel, Difficulty, Priority, Status, TicketType
from sopdesk.tickets.models import Ticket

HISTORY_DAYS = 60
CHINESE_SHARE = 0.6
REOPEN_SHARE = 0.07
OVERRIDE_SHARE = 0.06

SCENARIOS: dict[str, tuple[Scenario, ...]] = {"zh": chinese.SCENARIOS, "en": english.SCENARIOS}
PHRASES: dict[str, Phrases] = {"zh": chinese.PHRASES, "en": english.PHRASES}

# Share of tickets that have reached each status today: a desk closes most of sixty days' work.
STATUS_SHARES: dict[Status, float] = {
    Status.NEW: 0.04,
    Status.ASSIGNED: 0.04,
    Status.IN_PROGRESS: 0.08,
    Status.PENDING_CUSTOMER: 0.04,
    Status.PENDING_CONFIRMATION: 0.04,
    Status.RESOLVED: 0.08,
    Status.CLOSED: 0.68,
}
# How far along the lifecycle a status is; older tickets tend to be further along.
MATURITY: dict[Status, float] = {
    Status.NEW: 0,
    Status.ASSIGNED: 1,
    Status.IN_PROGRESS: 2,
    Status.PENDING_CUSTOMER: 2.5,
    Status.PENDING_CONFIRMATION: 3,
    Status.RESOLVED: 4,
    Status.CLOSED: 5,
}
# Spread of the pairing of arrival times and statuses: larger means more old tickets still open
# and more recent ones already closed.
MATURITY_NOISE = 2.0
REOPENABLE = frozenset({Status.IN_PROGRESS, Status.PENDING_CONFIRMATION, Status.RESOLVED, Status.CLOSED})
# Statuses in which a monitoring alert would be waiting for a person who does not exist.
WAITS_FOR_REQUESTER = frozenset({Status.PENDING_CUSTOMER, Status.PENDING_CONFIRMATION})
# Staff take phone calls, visits and remote sessions down on the requester's behalf.
STAFF_LOGGED_CHANNELS = frozenset({Channel.PHONE, Channel.ONSITE, Channel.REMOTE})

# Who hands out a team's tickets, and who of its members works them how often.
DISPATCH: dict[str, tuple[str, dict[str, float]]] = {
    SERVICE_DESK: ("lead", {"agent": 5, "zhaomin": 3, "lead": 1}),
    "second-line": ("tom", {"engineer": 5, "tom": 3}),
    "network": ("sunlei", {"engineer": 5, "sunlei": 3}),
    "rnd": ("zhouting", {"priya": 5, "zhouting": 3}),
}
INTAKE_STAFF = {"agent": 5, "zhaomin": 3, "lead": 2}
# The desk works extended hours every day; people act on tickets only then.
DESK_OPENS, DESK_CLOSES = time(8, 0), time(20, 0)
# Local hours at which tickets arrive, weighted (office hours, a lunch dip, a little at night).
ARRIVAL_HOURS: dict[int, float] = {
    **dict.fromkeys(range(24), 0.2),
    **{8: 2, 9: 6, 10: 7, 11: 6, 12: 3, 13: 5, 14: 6, 15: 6, 16: 5, 17: 3, 18: 1},
}


@dataclass(frozen=True)
class TicketPlan:
    """What a demo ticket is about and how far it has come."""

    created_at: datetime
    status: Status
    is_reopened: bool
    scenario: Scenario
    title: str
    requester: User
    creator: User
    channel: Channel


Action = Callable[[Ticket, datetime], Any]


@dataclass(frozen=True)
class Step:
    """One thing someone does to a ticket, some minutes after the previous step."""

    minutes: tuple[float, float]
    run: Action


def plan_tickets(directory: Directory, *, count: int, now: datetime, rng: random.Random) -> list[TicketPlan]:
    """Return `count` ticket plans in order of arrival over the last HISTORY_DAYS days.

    With at least seven tickets every status occurs, and with ten or more some are reopened.
    """
    statuses = _status_mix(count)
    reopened = set(rng.sample([i for i, s in enumerate(statuses) if s in REOPENABLE], k=_reopen_count(count)))
    # Pair the oldest arrival times with the most mature statuses, with noise: some old tickets linger.
    slots = sorted(
        ((MATURITY[status] + (1.5 if i in reopened else 0) + rng.gauss(0, MATURITY_NOISE), status, i in reopened))
        for i, status in enumerate(statuses)
    )
    slots.reverse()
    arrivals = sorted(_arrival(now, rng) for _ in range(count))
    return [
        _plan(directory, created_at=created_at, status=status, is_reopened=is_reopened, rng=rng)
        for created_at, (_, status, is_reopened) in zip(arrivals, slots, strict=True)
    ]


def play(plan: TicketPlan, directory: Directory, *, now: datetime, rng: random.Random) -> Ticket:
    """Create the planned ticket and take it through its history; every step happens before `now`."""
    scenario = plan.scenario
    details: dict[str, Any] = {
        "title": plan.title,
        "description": scenario.description,
        "channel": plan.channel,
        "ticket_type": scenario.ticket_type,
        "impact": rng.choice(scenario.impacts),
        "urgency": rng.choice(scenario.urgencies),
        "frequency": scenario.frequency,
        "error_message": scenario.error_message,
        "attempted_measures": scenario.attempted_measures,
        "steps_to_reproduce": scenario.steps_to_reproduce,
        "business_module": scenario.business_module,
        "device_model": scenario.device_model,
        "software_version": scenario.software_version,
        "operating_system": scenario.operating_system,
        "network_environment": scenario.network_environment,
    }
    if scenario.ticket_type == TicketType.FAULT:
        details["occurred_at"] = plan.created_at - timedelta(minutes=rng.uniform(5, 600))
    draft = TicketDraft(details=details, category=directory.categories.get(scenario.category), tags=scenario.tags)
    ticket = create_ticket(actor=plan.creator, requester=plan.requester, draft=draft, now=plan.created_at)
    steps = _Story(plan, ticket, directory, rng).steps()
    for step, at in zip(steps, _step_times(steps, start=plan.created_at, end=now, rng=rng), strict=True):
        step.run(ticket, at)
    return ticket


def _status_mix(count: int) -> list[Status]:
    """Return `count` final statuses in STATUS_SHARES proportion, each at least once when there is room."""
    floor = 1 if count >= len(STATUS_SHARES) else 0
    quotas = {status: max(floor, int(share * count)) for status, share in STATUS_SHARES.items()}
    by_remainder = sorted(STATUS_SHARES, key=lambda s: STATUS_SHARES[s] * count - int(STATUS_SHARES[s] * count))
    while sum(quotas.values()) < count:
        quotas[by_remainder.pop()] += 1
    while sum(quotas.values()) > count:
        quotas[max(quotas, key=lambda s: quotas[s])] -= 1
    return [status for status, quota in quotas.items() for _ in range(quota)]


def _reopen_count(count: int) -> int:
    return max(1, round(count * REOPEN_SHARE)) if count >= 10 else 0


def _arrival(now: datetime, rng: random.Random) -> datetime:
    """Return a plausible arrival time in the last HISTORY_DAYS days, mostly on weekdays in office hours."""
    zone = timezone.get_current_timezone()
    local_now = timezone.localtime(now, zone)
    while True:
        day = (local_now - timedelta(days=rng.uniform(0, HISTORY_DAYS))).date()
        hour = rng.choices(list(ARRIVAL_HOURS), weights=list(ARRIVAL_HOURS.values()))[0]
        at = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=zone)
        if day.weekday() >= 5 and rng.random() < 0.8:
            continue
        if now - timedelta(days=HISTORY_DAYS) <= at <= now - timedelta(minutes=15):
            return at


def _plan(
    directory: Directory, *, created_at: datetime, status: Status, is_reopened: bool, rng: random.Random
) -> TicketPlan:
    language = "zh" if rng.random() < CHINESE_SHARE else "en"
    # Monitoring cannot answer questions, confirm fixes or complain that a problem is back.
    alerts_fit = status not in WAITS_FOR_REQUESTER and not is_reopened
    candidates = [s for s in SCENARIOS[language] if alerts_fit or not s.is_alert]
    scenario = rng.choices(candidates, weights=[s.weight for s in candidates])[0]
    channel = rng.choice(scenario.channels)
    if scenario.is_alert:
        requester = creator = directory.users[MONITORING_USERNAME]
    else:
        people = [
            (person, user)
            for person, user in directory.requesters()
            if language in person.languages and scenario.audience in ("", person.organization)
        ]
        requester = rng.choices([u for _, u in people], weights=[p.ticket_weight for p, _ in people])[0]
        creator = requester
        if channel in STAFF_LOGGED_CHANNELS:
            creator = directory.users[_weighted(INTAKE_STAFF, rng)]
    return TicketPlan(
        created_at=created_at,
        status=status,
        is_reopened=is_reopened,
        scenario=scenario,
        title=rng.choice(scenario.titles),
        requester=requester,
        creator=creator,
        channel=channel,
    )


def _weighted(weights: Mapping[str, float], rng: random.Random) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _step_times(steps: Sequence[Step], *, start: datetime, end: datetime, rng: random.Random) -> list[datetime]:
    """Return increasing times for `steps` after `start`, within desk hours and before `end`.

    Gaps count desk minutes, so nobody answers at three in the morning; they are squeezed when
    the ticket is too young for its history, and counted in plain minutes when even that does
    not fit (a ticket that arrived last night and is already closed this morning).
    """
    gaps = [rng.uniform(*step.minutes) for step in steps]
    if not gaps:
        return []
    room = _desk_minutes(start, end) * 0.95
    times = _walk(start, gaps, scale=min(1.0, room / sum(gaps)), advance=_advance_desk_time)
    if times[-1] < end:
        return times
    room = (end - start).total_seconds() / 60 * 0.95
    return _walk(start, gaps, scale=min(1.0, room / sum(gaps)), advance=_advance_wall_time)


def _walk(
    start: datetime, gaps: Sequence[float], *, scale: float, advance: Callable[[datetime, float], datetime]
) -> list[datetime]:
    times: list[datetime] = []
    at = start
    for gap in gaps:
        at = advance(at, gap * scale)
        times.append(at)
    return times


def _advance_wall_time(at: datetime, minutes: float) -> datetime:
    return at + timedelta(minutes=minutes)


def _desk_day(at: datetime) -> tuple[datetime, datetime]:
    """Return when the desk opens and closes on the local day of `at`."""
    local = timezone.localtime(at)
    return (
        datetime.combine(local.date(), DESK_OPENS, tzinfo=local.tzinfo),
        datetime.combine(local.date(), DESK_CLOSES, tzinfo=local.tzinfo),
    )


def _advance_desk_time(at: datetime, minutes: float) -> datetime:
    """Return the moment `minutes` of desk hours after `at`."""
    remaining = timedelta(minutes=minutes)
    while True:
        opens, closes = _desk_day(at)
        if at < opens:
            at = opens
        if at < closes:
            if at + remaining <= closes:
                return at + remaining
            remaining -= closes - at
        at = opens + timedelta(days=1)


def _desk_minutes(start: datetime, end: datetime) -> float:
    """Return how many minutes of desk hours lie between `start` and `end`."""
    total = timedelta()
    at = start
    while at < end:
        opens, closes = _desk_day(at)
        total += max(timedelta(), min(closes, end) - max(opens, at))
        at = opens + timedelta(days=1)
    return total.total_seconds() / 60


class _Story:
    """Build the steps of one ticket's history, from its plan, as the desk would work it."""

    def __init__(self, plan: TicketPlan, ticket: Ticket, directory: Directory, rng: random.Random) -> None:
        self.plan = plan
        self.scenario = plan.scenario
        self.phrases = PHRASES[plan.scenario.language]
        self.directory = directory
        self.rng = rng
        self.requester = plan.requester
        self.is_alert = plan.requester.username == MONITORING_USERNAME
        self.team_code = ticket.team.code if ticket.team is not None and ticket.team.code in DISPATCH else SERVICE_DESK
        self.handler = self._member(self.team_code)
        self.closure = ClosureSummary(
            problem=plan.title,
            diagnosis=plan.scenario.diagnosis,
            solution=plan.scenario.solution,
            effect=self.phrases.effect,
            recommendations=plan.scenario.recommendations,
        )
        self.proposal = self.phrases.alert_resolution if self.is_alert else self.phrases.proposal
        self._steps: list[Step] = []

    def steps(self) -> list[Step]:
        status, rng, phrases = self.plan.status, self.rng, self.phrases
        if status == Status.NEW:
            if rng.random() < 0.3:
                # Someone of the ticket's own team: staff of other teams cannot see (nor write on) it.
                self._add((10, 120), _note(self.handler, rng.choice(phrases.unassigned_notes)))
            return self._steps
        self._dispatch()
        if status == Status.ASSIGNED:
            return self._steps
        self._add((5, 120), _status(self.handler, Status.IN_PROGRESS))
        acknowledgement = phrases.alert_acknowledgement if self.is_alert else rng.choice(phrases.acknowledgements)
        self._add((1, 10), _reply(self.handler, acknowledgement))
        if rng.random() < OVERRIDE_SHARE:
            self._add((5, 60), _override(self._user(DISPATCH[self.team_code][0]), phrases))
        self._add((15, 240), _note(self.handler, self.scenario.note))
        self._maybe_escalate()
        if not self.is_alert and (status == Status.PENDING_CUSTOMER or rng.random() < 0.3):
            self._add((10, 120), _reply(self.handler, self.scenario.question or phrases.question))
            self._add((1, 3), _status(self.handler, Status.PENDING_CUSTOMER, reason=phrases.waiting_reason))
            if status == Status.PENDING_CUSTOMER:
                return self._steps
            # The reply itself takes the ticket back to in progress.
            self._add((60, 1440), _reply(self.requester, self.scenario.answer or phrases.answer))
        if self.plan.is_reopened:
            # Closed tickets reopen only within the configured window; the reopen gap stays under 5 days.
            may_reopen_closed = settings.SOPDESK_REOPEN_WINDOW_DAYS >= 5
            self._resolve(Status.CLOSED if may_reopen_closed and rng.random() < 0.5 else Status.RESOLVED)
            self._add(
                (720, 2880), _status(self.requester, Status.IN_PROGRESS, reason=rng.choice(phrases.reopen_reasons))
            )
            self._add((10, 120), _reply(self.handler, phrases.reopen_reply))
            self._add((30, 240), _note(self.handler, phrases.reopen_note))
            self.closure = replace(self.closure, effect=phrases.effect_after_reopen)
            self.proposal = phrases.proposal_after_reopen
        if status != Status.IN_PROGRESS:
            self._resolve(status)
        return self._steps

    def _dispatch(self) -> None:
        dispatcher = self.handler if self.rng.random() < 0.4 else self._user(DISPATCH[self.team_code][0])
        if self.scenario.difficulty > Difficulty.SIMPLE:
            self._add((2, 15), _classify(dispatcher, self.scenario.difficulty))
        self._add((3, 45), _assign(dispatcher, self.directory.teams[self.team_code], self.handler, note=""))

    def _maybe_escalate(self) -> None:
        target = self.scenario.escalate_to
        if not target or self.team_code != SERVICE_DESK or self.rng.random() >= 0.75:
            return
        previous, self.team_code = self.handler, target
        self.handler = self._member(target)
        self._add(
            (30, 300), _assign(previous, self.directory.teams[target], self.handler, self.phrases.escalation_note)
        )

    def _resolve(self, target: Status) -> None:
        """Propose the fix and take the ticket to `target` (pending confirmation, resolved or closed)."""
        rng, phrases = self.rng, self.phrases
        self._add((60, 2880), _reply(self.handler, self.proposal.format(solution=self.scenario.solution)))
        confirmed_by_requester = not self.is_alert and (target == Status.PENDING_CONFIRMATION or rng.random() < 0.65)
        if confirmed_by_requester:
            self._add((1, 3), _status(self.handler, Status.PENDING_CONFIRMATION, closure=self.closure))
            if target == Status.PENDING_CONFIRMATION:
                return
            self._add((60, 1440), _status(self.requester, Status.RESOLVED, reason=rng.choice(phrases.confirmations)))
        else:
            self._add((1, 5), _status(self.handler, Status.RESOLVED, closure=self.closure))
        if target != Status.CLOSED:
            return
        if confirmed_by_requester and rng.random() < 0.4:
            self._add((120, 2880), _status(self.requester, Status.CLOSED))
            return
        if self.is_alert:
            reason = phrases.close_alert
        else:
            reason = phrases.close_confirmed if confirmed_by_requester else phrases.close_quiet
        self._add((1440, 2880), _status(self.handler, Status.CLOSED, reason=reason))

    def _member(self, team_code: str) -> User:
        return self._user(_weighted(DISPATCH[team_code][1], self.rng))

    def _user(self, username: str) -> User:
        return self.directory.users[username]

    def _add(self, minutes: tuple[float, float], run: Action) -> None:
        self._steps.append(Step(minutes, run))


def _note(actor: User, body: str) -> Action:
    return lambda ticket, now: add_comment(ticket, actor=actor, body=body, is_internal=True, now=now)


def _reply(actor: User, body: str) -> Action:
    return lambda ticket, now: add_comment(ticket, actor=actor, body=body, is_internal=False, now=now)


def _status(actor: User, to_status: Status, *, reason: str = "", closure: ClosureSummary | None = None) -> Action:
    return lambda ticket, now: change_status(
        ticket, to_status=to_status, actor=actor, now=now, reason=reason, closure=closure
    )


def _assign(actor: User, team: Team, assignee: User, note: str) -> Action:
    return lambda ticket, now: assign_ticket(ticket, team=team, assignee=assignee, actor=actor, now=now, note=note)


def _classify(actor: User, difficulty: Difficulty) -> Action:
    return lambda ticket, now: edit_ticket_details(ticket, actor=actor, changes={"difficulty": difficulty}, now=now)


def _override(actor: User, phrases: Phrases) -> Action:
    """Raise a lowest-priority or VIP ticket one step; lower any other one whose business impact has passed."""

    def run(ticket: Ticket, now: datetime) -> None:
        order = list(Priority)  # most urgent first
        index = order.index(Priority(ticket.priority))
        level = ticket.organization.customer_level if ticket.organization is not None else None
        is_vip = level is not None and level.priority_boost > 0
        if index == len(order) - 1 or (index > 0 and is_vip):
            override_priority(ticket, priority=order[index - 1], reason=phrases.override_up, actor=actor, now=now)
        else:
            override_priority(ticket, priority=order[index + 1], reason=phrases.override_down, actor=actor, now=now)

    return run
