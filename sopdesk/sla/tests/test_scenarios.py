"""SLA scenarios on the seeded policies and calendars, with a frozen clock, real actions and the real scanner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from sopdesk.accounts.models import Team, User
from sopdesk.sla.choices import ClockState, Metric, SlaEventKind
from sopdesk.sla.models import Calendar, EscalationRule, SlaEscalation, SlaPolicy, TicketSla
from sopdesk.sla.queries import sla_snapshot
from sopdesk.sla.scanner import sweep
from sopdesk.sla.tests.conftest import FrozenClock, beijing
from sopdesk.testing.factories import make_ticket
from sopdesk.tickets.actions import ClosureSummary, add_comment, assign_ticket, change_status, override_priority
from sopdesk.tickets.choices import EventKind, Priority, Status
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

P1 = {"impact": "multiple_users", "urgency": "critical"}
P2 = {"impact": "single_user", "urgency": "critical"}
P3 = {"impact": "single_user", "urgency": "high"}
CLOSURE = ClosureSummary(problem="Blank pages", diagnosis="Empty toner", solution="Replaced the toner")


def clocks_of(ticket: Ticket) -> TicketSla:
    return TicketSla.objects.get(pk=ticket.pk)


def sla_events(ticket: Ticket) -> list[tuple[str, str]]:
    kinds = {
        SlaEventKind.SLA_WARNING,
        SlaEventKind.SLA_BREACHED,
        SlaEventKind.SLA_ESCALATED,
        SlaEventKind.SLA_TARGETS_SET,
    }
    return [(event.kind, event.data.get("metric", "")) for event in ticket.events.filter(kind__in=kinds)]


def open_ticket(requester: User, clock: FrozenClock, at: datetime, **details: str) -> Ticket:
    clock.move_to(at)
    return make_ticket(requester, now=timezone.now(), **details)


def test_p3_opened_on_national_day_eve_is_due_after_the_holiday(requester: User, clock: FrozenClock) -> None:
    ticket = open_ticket(requester, clock, beijing(2026, 9, 30, 17, 30), **P3)
    sla = clocks_of(ticket)
    assert ticket.priority == Priority.P3
    assert sla.policy is not None
    assert sla.policy.priority == Priority.P3
    # 15 min of the 30 left on Wednesday.
    assert sla.assignment_due_at == beijing(2026, 9, 30, 17, 45)
    # 30 min on Wednesday, Oct 1–7 off, then 3 h 30 on Thursday Oct 8: 09:00–12:00 and 13:30–14:00.
    assert sla.first_response_due_at == beijing(2026, 10, 8, 14, 0)
    # One working day (7 h 30): 30 min on Wednesday, 7 h on Thursday Oct 8 → 17:30.
    assert sla.resolution_due_at == beijing(2026, 10, 8, 17, 30)


def test_national_day_holiday_produces_no_warnings_until_work_resumes(
    requester: User, agent: User, clock: FrozenClock
) -> None:
    ticket = open_ticket(requester, clock, beijing(2026, 9, 30, 17, 30), **P3)
    assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=timezone.now())
    clock.move_to(beijing(2026, 10, 7, 23, 59))
    sweep(now=timezone.now())
    assert sla_events(ticket) == []
    # 1 h of the 4 h first response is left at 11:30 on Oct 8 (13:30–14:00 and 11:30–12:00).
    clock.move_to(beijing(2026, 10, 8, 11, 29))
    sweep(now=timezone.now())
    assert sla_events(ticket) == []
    clock.move_to(beijing(2026, 10, 8, 11, 30))
    sweep(now=timezone.now())
    assert sla_events(ticket) == [(SlaEventKind.SLA_WARNING, Metric.FIRST_RESPONSE)]


def test_p2_opened_on_a_make_up_saturday_runs_on_that_saturday(requester: User, clock: FrozenClock) -> None:
    ticket = open_ticket(requester, clock, beijing(2026, 10, 10, 10, 0), **P2)
    sla = clocks_of(ticket)
    assert ticket.priority == Priority.P2
    assert sla.first_response_due_at == beijing(2026, 10, 10, 10, 30)
    # 4 h: 10:00–12:00 and 13:30–15:30 on the working Saturday.
    assert sla.resolution_due_at == beijing(2026, 10, 10, 15, 30)


def test_p2_opened_on_an_ordinary_sunday_starts_on_monday(requester: User, clock: FrozenClock) -> None:
    ticket = open_ticket(requester, clock, beijing(2026, 10, 11, 10, 0), **P2)
    assert clocks_of(ticket).first_response_due_at == beijing(2026, 10, 12, 9, 30)


def test_p1_across_a_dst_change_counts_real_hours(requester: User, clock: FrozenClock) -> None:
    new_york = Calendar.objects.create(code="ny-24x7", name="New York 24x7", time_zone="America/New_York", is_24x7=True)
    SlaPolicy.objects.create(
        name="P1 New York",
        order=1,
        priority=Priority.P1,
        calendar=new_york,
        first_response_minutes=15,
        resolution_minutes=120,
    )
    eastern = ZoneInfo("America/New_York")
    # 01:30 EST on the night clocks spring forward from 02:00 to 03:00.
    ticket = open_ticket(requester, clock, datetime(2026, 3, 8, 1, 30, tzinfo=eastern), **P1)
    sla = clocks_of(ticket)
    assert sla.resolution_due_at == datetime(2026, 3, 8, 8, 30, tzinfo=UTC)
    assert sla.resolution_due_at.astimezone(eastern).hour == 4  # 04:30 EDT: two real hours later
    clock.move_to(datetime(2026, 3, 8, 4, 0, tzinfo=eastern))
    view = sla_snapshot(ticket, now=timezone.now()).metric(Metric.RESOLUTION)
    assert view.remaining == timedelta(minutes=30)
    assert view.state == ClockState.WARNING


def test_pending_customer_pauses_resolution_across_a_weekend(requester: User, agent: User, clock: FrozenClock) -> None:
    ticket = open_ticket(requester, clock, beijing(2026, 10, 16, 10, 0), **P3)
    assert clocks_of(ticket).resolution_due_at == beijing(2026, 10, 19, 10, 0)
    assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=timezone.now())
    clock.move_to(beijing(2026, 10, 16, 16, 0))
    change_status(ticket, to_status=Status.PENDING_CUSTOMER, actor=agent, now=timezone.now())
    assert sla_snapshot(ticket, now=timezone.now()).metric(Metric.RESOLUTION).state == ClockState.PAUSED
    # Over the weekend the scanner has nothing to do for the paused clock.
    clock.move_to(beijing(2026, 10, 19, 9, 59))
    sweep(now=timezone.now())
    assert (SlaEventKind.SLA_BREACHED, Metric.RESOLUTION) not in sla_events(ticket)
    view = sla_snapshot(ticket, now=timezone.now()).metric(Metric.RESOLUTION)
    assert view.state == ClockState.PAUSED
    assert view.remaining == timedelta(hours=3)
    clock.move_to(beijing(2026, 10, 19, 10, 0))
    add_comment(ticket, actor=requester, body="Still blank pages.", is_internal=False, now=timezone.now())
    ticket.refresh_from_db()
    sla = clocks_of(ticket)
    assert ticket.status == Status.IN_PROGRESS
    # Paused Friday 16:00–18:00 and Monday 09:00–10:00: 3 h of business time, so due 3 h later.
    assert sla.paused_seconds == 3 * 3600
    assert sla.resolution_due_at == beijing(2026, 10, 19, 14, 30)
    assert ticket.events.filter(kind=SlaEventKind.SLA_PAUSED).count() == 1
    assert ticket.events.get(kind=SlaEventKind.SLA_RESUMED).data["due_at"] == sla.resolution_due_at.isoformat()


def test_reopen_after_resolve_resumes_the_resolution_clock(requester: User, agent: User, clock: FrozenClock) -> None:
    ticket = open_ticket(requester, clock, beijing(2026, 10, 12, 9, 0), **P3)
    assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=timezone.now())
    clock.move_to(beijing(2026, 10, 12, 11, 0))
    change_status(ticket, to_status=Status.RESOLVED, actor=agent, now=timezone.now(), closure=CLOSURE)
    sla = clocks_of(ticket)
    assert sla.resolution_met_at == beijing(2026, 10, 12, 11, 0)
    assert sla.next_check_at is None
    assert sla_snapshot(ticket, now=timezone.now()).state == ClockState.MET
    clock.move_to(beijing(2026, 10, 13, 9, 0))
    change_status(ticket, to_status=Status.IN_PROGRESS, actor=requester, now=timezone.now(), reason="Back again")
    sla = clocks_of(ticket)
    assert sla.resolution_met_at is None
    # 2 h used; resolved Monday 11:00 → Tuesday 09:00 is 5 h 30 of business time that does not count.
    assert sla.paused_seconds == int(5.5 * 3600)
    # 5 h 30 left from Tuesday 09:00: 09:00–12:00 and 13:30–16:00.
    assert sla.resolution_due_at == beijing(2026, 10, 13, 16, 0)
    assert sla.next_check_at is not None
    # First response and assignment stay met.
    assert sla.first_response_met_at == beijing(2026, 10, 12, 11, 0)


def test_priority_raised_from_p3_to_p1_halfway_retargets_and_breaches(
    requester: User, agent: User, clock: FrozenClock
) -> None:
    ticket = open_ticket(requester, clock, beijing(2026, 10, 12, 9, 0), **P3)
    assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=timezone.now())
    # 4 h: 09:00–12:00 and 13:30–14:30.
    assert clocks_of(ticket).first_response_due_at == beijing(2026, 10, 12, 14, 30)
    clock.move_to(beijing(2026, 10, 12, 11, 0))
    override_priority(ticket, priority=Priority.P1, reason="Whole floor is down", actor=agent, now=timezone.now())
    sla = clocks_of(ticket)
    assert sla.policy is not None
    assert sla.policy.priority == Priority.P1
    # Measured from the start under the P1 policy (24×7): 15 min and 2 h after 09:00.
    assert sla.first_response_due_at == beijing(2026, 10, 12, 9, 15)
    assert sla.resolution_due_at == beijing(2026, 10, 12, 11, 0)
    retarget = ticket.events.get(kind=SlaEventKind.SLA_TARGETS_SET)
    assert datetime.fromisoformat(retarget.data["from"]["first_response"]) == beijing(2026, 10, 12, 14, 30)
    assert datetime.fromisoformat(retarget.data["to"]["first_response"]) == beijing(2026, 10, 12, 9, 15)
    sweep(now=timezone.now())
    sla = clocks_of(ticket)
    assert sla.first_response_breached_at == beijing(2026, 10, 12, 9, 15)
    assert (SlaEventKind.SLA_BREACHED, Metric.FIRST_RESPONSE) in sla_events(ticket)


def test_worker_stopped_for_six_hours_fires_every_due_rule_once_in_order(
    requester: User, agent: User, team_lead: User, clock: FrozenClock
) -> None:
    ticket = open_ticket(requester, clock, beijing(2026, 10, 12, 10, 0), **P1)
    assert ticket.priority == Priority.P1
    clock.move_to(beijing(2026, 10, 12, 16, 0))
    first = sweep(now=timezone.now())
    fired = [
        (
            event.kind,
            event.data["metric"],
            event.data.get("due_at") or event.data.get("threshold_at") or event.data["at"],
        )
        for event in ticket.events.filter(
            kind__in=[SlaEventKind.SLA_WARNING, SlaEventKind.SLA_BREACHED, SlaEventKind.SLA_ESCALATED]
        )
    ]
    assert [(kind, metric) for kind, metric, _ in fired] == [
        (SlaEventKind.SLA_WARNING, Metric.ASSIGNMENT),
        (SlaEventKind.SLA_BREACHED, Metric.ASSIGNMENT),
        (SlaEventKind.SLA_WARNING, Metric.FIRST_RESPONSE),
        (SlaEventKind.SLA_BREACHED, Metric.FIRST_RESPONSE),
        (SlaEventKind.SLA_ESCALATED, Metric.FIRST_RESPONSE),
        (SlaEventKind.SLA_WARNING, Metric.RESOLUTION),
        (SlaEventKind.SLA_ESCALATED, Metric.RESOLUTION),
        (SlaEventKind.SLA_BREACHED, Metric.RESOLUTION),
    ]
    assert first.escalations == 2
    assert SlaEscalation.objects.filter(ticket=ticket).count() == 2
    # Nobody is assigned, so the team lead heard of every warning, breach and escalation, once each.
    assert team_lead.notifications.filter(ticket=ticket).count() == 8
    again = sweep(now=timezone.now() + timedelta(minutes=1))
    assert again.claimed == 0
    assert ticket.events.filter(kind__startswith="sla_").count() == len(fired)
    assert clocks_of(ticket).next_check_at is None


def test_two_scanners_racing_fire_each_escalation_once(requester: User, clock: FrozenClock) -> None:
    from sopdesk.sla.scanner import _clock_values, _compare_and_set, due_rows

    ticket = open_ticket(requester, clock, beijing(2026, 10, 12, 10, 0), **P1)
    clock.move_to(beijing(2026, 10, 12, 12, 30))
    stale = due_rows(now=timezone.now(), limit=10)
    assert [row.pk for row in stale] == [ticket.pk]
    sweep(now=timezone.now())
    # The slower scanner read the row before the other one wrote: its compare-and-set loses.
    assert not _compare_and_set(stale[0], before=_clock_values(stale[0]))
    assert SlaEscalation.objects.filter(ticket=ticket).count() == 2
    assert ticket.events.filter(kind=SlaEventKind.SLA_ESCALATED).count() == 2


def test_closed_tickets_never_escalate(requester: User, agent: User, clock: FrozenClock) -> None:
    ticket = open_ticket(requester, clock, beijing(2026, 10, 12, 10, 0), **P1)
    change_status(ticket, to_status=Status.RESOLVED, actor=agent, now=timezone.now(), closure=CLOSURE)
    change_status(ticket, to_status=Status.CLOSED, actor=requester, now=timezone.now())
    # Even a stale check instant left on the row must not fire anything.
    TicketSla.objects.filter(pk=ticket.pk).update(next_check_at=beijing(2026, 10, 12, 10, 1))
    clock.move_to(beijing(2026, 10, 20, 10, 0))
    sweep(now=timezone.now())
    assert sla_events(ticket) == []
    assert clocks_of(ticket).next_check_at is None


def test_unassigned_ticket_past_the_assignment_target_moves_to_the_backup_group(
    requester: User, service_desk: Team, second_line: Team, clock: FrozenClock
) -> None:
    for policy in SlaPolicy.objects.filter(priority=Priority.P3):
        policy.backup_team = second_line
        policy.save(update_fields=["backup_team"])
    ticket = open_ticket(requester, clock, beijing(2026, 10, 12, 10, 0), **P3)
    assert ticket.team == service_desk
    clock.move_to(beijing(2026, 10, 12, 10, 16))
    sweep(now=timezone.now())
    ticket.refresh_from_db()
    assert ticket.team == second_line
    assign = ticket.events.filter(kind=EventKind.ASSIGNED).get()
    assert assign.actor is None
    assert assign.data["team"] == {"from": service_desk.pk, "to": second_line.pk}


def test_escalation_rule_reassigns_raises_priority_and_notifies_contacts(
    requester: User, agent: User, manager: User, second_line: Team, clock: FrozenClock
) -> None:
    policy = SlaPolicy.objects.get(priority=Priority.P3)
    rule = EscalationRule.objects.create(
        policy=policy,
        metric=Metric.FIRST_RESPONSE,
        offset_minutes=-60,
        notify_team_lead=False,
        reassign_to_team=second_line,
        raise_priority=True,
    )
    rule.contacts.add(manager)
    ticket = open_ticket(requester, clock, beijing(2026, 10, 12, 9, 0), **P3)
    assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=timezone.now())
    # First response due 14:30; the rule fires 1 h of business time before it: 13:30.
    clock.move_to(beijing(2026, 10, 12, 12, 29))
    sweep(now=timezone.now())
    assert not SlaEscalation.objects.filter(rule=rule).exists()
    clock.move_to(beijing(2026, 10, 12, 13, 31))
    sweep(now=timezone.now())
    ticket.refresh_from_db()
    assert SlaEscalation.objects.get(rule=rule).threshold_at == beijing(2026, 10, 12, 13, 30)
    assert ticket.team == second_line
    assert ticket.assignee is None
    assert ticket.priority == Priority.P2
    assert clocks_of(ticket).policy.priority == Priority.P2  # type: ignore[union-attr]
    assert manager.notifications.filter(ticket=ticket, kind="sla_escalation").count() == 1


def test_p1_update_interval_missed_is_counted_and_reported_once_per_sweep(
    requester: User, agent: User, clock: FrozenClock
) -> None:
    ticket = open_ticket(requester, clock, beijing(2026, 10, 12, 10, 0), **P1)
    assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=timezone.now())
    clock.move_to(beijing(2026, 10, 12, 10, 5))
    add_comment(ticket, actor=agent, body="Looking into it.", is_internal=False, now=timezone.now())
    assert clocks_of(ticket).update_due_at == beijing(2026, 10, 12, 10, 35)
    clock.move_to(beijing(2026, 10, 12, 11, 40))
    sweep(now=timezone.now())
    sla = clocks_of(ticket)
    # 10:35 and 11:05 and 11:35 passed without a word: three missed updates, one notice.
    assert sla.update_breach_count == 3
    assert sla.update_due_at == beijing(2026, 10, 12, 12, 5)
    assert ticket.events.filter(kind=SlaEventKind.SLA_BREACHED, data__metric=Metric.UPDATE).count() == 1


def test_a_rule_added_later_reaches_open_tickets_once(requester: User, agent: User, clock: FrozenClock) -> None:
    from sopdesk.sla.config import RuleSpec, replace_escalation_rules
    from sopdesk.testing.factories import make_user

    admin = make_user("boss", role="admin")
    ticket = open_ticket(requester, clock, beijing(2026, 10, 12, 9, 0), **P3)
    assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=timezone.now())
    clock.move_to(beijing(2026, 10, 12, 9, 30))
    sweep(now=timezone.now())
    policy = SlaPolicy.objects.get(priority=Priority.P3)
    # Nothing falls due before the first-response warning at 13:30; a rule that fired at 09:30 is added now.
    replace_escalation_rules(
        policy,
        [RuleSpec(id=None, metric=Metric.FIRST_RESPONSE, offset_minutes=-210, notify_team_lead=True)],
        actor=admin,
        now=timezone.now(),
    )
    sweep(now=timezone.now())
    sweep(now=timezone.now())
    assert ticket.events.filter(kind=SlaEventKind.SLA_ESCALATED).count() == 1
