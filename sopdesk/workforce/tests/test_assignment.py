"""Automatic assignment: each strategy's fairness, who is left out, the backup group, the explanation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from sopdesk.accounts.models import Team, User
from sopdesk.notifications.models import Notification
from sopdesk.sla.models import Calendar, WorkingInterval
from sopdesk.testing import factories
from sopdesk.tickets.actions import assign_ticket, move_to_team
from sopdesk.tickets.choices import Status
from sopdesk.tickets.models import Category, TicketEvent
from sopdesk.workforce import actions
from sopdesk.workforce.choices import Presence, WorkforceEventKind
from sopdesk.workforce.models import Absence, AgentProfile, Skill
from sopdesk.workforce.tests.conftest import certify, make_agent


def names(tickets: list) -> list[str]:  # type: ignore[type-arg]
    return [ticket.assignee.username if ticket.assignee else None for ticket in tickets]


def test_a_team_without_a_strategy_assigns_nobody(requester: User, desk_agents: list[User]) -> None:
    ticket = factories.make_ticket(requester)

    assert ticket.assignee is None
    assert ticket.status == Status.NEW


def test_round_robin_cycles_through_the_qualifying_agents(requester: User, desk_agents: list[User], strategy) -> None:  # type: ignore[no-untyped-def]
    strategy("round_robin")

    tickets = [factories.make_ticket(requester) for _ in range(5)]

    assert names(tickets) == ["ann", "bob", "cai", "ann", "bob"]
    assert {ticket.status for ticket in tickets} == {Status.ASSIGNED}


def test_round_robin_skips_an_agent_who_went_away(requester: User, desk_agents: list[User], strategy) -> None:  # type: ignore[no-untyped-def]
    strategy("round_robin")
    AgentProfile.objects.filter(user__username="bob").update(presence=Presence.AWAY)

    tickets = [factories.make_ticket(requester) for _ in range(3)]

    assert names(tickets) == ["ann", "cai", "ann"]


def test_least_loaded_picks_the_agent_with_the_least_work_weighted_by_priority(
    requester: User, agent: User, desk_agents: list[User], strategy
) -> None:  # type: ignore[no-untyped-def]
    ann, bob, cai = desk_agents
    # ann: two P4 tickets (weight 2); bob: one P1 (weight 4); cai: one P3 (weight 2) and one P4 (1).
    for assignee, impact, urgency in [
        (ann, "single_user", "low"),
        (ann, "single_user", "low"),
        (bob, "organization", "critical"),
        (cai, "single_user", "medium"),
        (cai, "single_user", "low"),
    ]:
        ticket = factories.make_ticket(requester, impact=impact, urgency=urgency)
        assign_ticket(ticket, team=None, assignee=assignee, actor=agent, now=timezone.now())
    strategy("least_loaded")

    ticket = factories.make_ticket(requester)

    assert ticket.assignee == ann
    explanation = TicketEvent.objects.get(ticket=ticket, kind=WorkforceEventKind.AUTO_ASSIGNED)
    assert explanation.data["strategy"] == "least_loaded"
    assert explanation.data["open_count"] == 2
    assert explanation.data["candidates"] == 3


def test_best_skill_match_picks_the_highest_level_in_the_category(
    requester: User, desk_agents: list[User], strategy
) -> None:  # type: ignore[no-untyped-def]
    ann, _bob, cai = desk_agents
    network = Category.objects.get(code="network")
    Skill.objects.create(agent=ann, category=network, level=2)
    Skill.objects.create(agent=cai, category=network, level=4)
    strategy("best_skill")

    assert factories.make_ticket(requester, category="network").assignee == cai


SATURDAY_NOON = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def office_calendar() -> Calendar:
    calendar = Calendar.objects.create(code="wf-office", name="Weekday office", time_zone="Asia/Shanghai")
    for weekday in range(5):
        WorkingInterval.objects.create(calendar=calendar, weekday=weekday, starts_at=time(9), ends_at=time(18))
    calendar.bump_revision()  # ids are reused between tests: no cached copy of another test's calendar
    return calendar


def test_away_absent_uncertified_full_and_off_duty_agents_are_never_assigned(
    requester: User, service_desk: Team, agent: User, strategy
) -> None:  # type: ignore[no-untyped-def]
    now = SATURDAY_NOON
    away = make_agent("away", service_desk)
    AgentProfile.objects.filter(user=away).update(presence=Presence.AWAY)
    absent = make_agent("absent", service_desk)
    Absence.objects.create(agent=absent, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
    make_agent("trainee", service_desk, certified=False)
    expired = make_agent("expired", service_desk, certified=False)
    certify(expired, service_desk, expires_on=date(2026, 12, 1))
    full = make_agent("full", service_desk, capacity=1)
    assign_ticket(factories.make_ticket(requester, now=now), team=None, assignee=full, actor=agent, now=now)
    off_duty = make_agent("weekday", service_desk)
    AgentProfile.objects.filter(user=off_duty).update(calendar=office_calendar())
    make_agent("zoe", service_desk)
    strategy("round_robin")

    tickets = [factories.make_ticket(requester, now=now) for _ in range(3)]

    assert names(tickets) == ["zoe", "zoe", "zoe"]


def test_an_agent_at_capacity_gets_no_more(requester: User, service_desk: Team, strategy) -> None:  # type: ignore[no-untyped-def]
    make_agent("solo", service_desk, capacity=2)
    strategy("least_loaded")

    tickets = [factories.make_ticket(requester) for _ in range(3)]

    assert names(tickets) == ["solo", "solo", None]


def test_nobody_qualifying_moves_the_ticket_to_the_backup_group_and_tells_the_leads(
    requester: User, service_desk: Team, second_line: Team, team_lead: User, strategy
) -> None:  # type: ignore[no-untyped-def]
    make_agent("trainee", service_desk, certified=False)
    backup_agent = make_agent("bea", second_line)
    strategy("round_robin", backup_team=second_line)
    actions.set_team_assignment(
        actor=User.objects.get(username="manager"),
        team=second_line,
        strategy="least_loaded",
        backup_team=None,
        requires_certification=True,
        now=timezone.now(),
    )

    ticket = factories.make_ticket(requester)

    assert ticket.team == second_line
    assert ticket.assignee == backup_agent
    fallback = TicketEvent.objects.get(ticket=ticket, kind=WorkforceEventKind.NOBODY_QUALIFIED)
    assert fallback.data["backup_team"] == second_line.pk
    assert fallback.data["notified"] == [team_lead.pk]
    notice = Notification.objects.get(recipient=team_lead, kind="assignment_fallback")
    assert ticket.number in notice.subject


def test_without_a_backup_group_the_ticket_waits_in_the_team_and_the_leads_hear_of_it(
    requester: User, service_desk: Team, team_lead: User, strategy
) -> None:  # type: ignore[no-untyped-def]
    strategy("least_loaded")

    ticket = factories.make_ticket(requester)

    assert (ticket.team, ticket.assignee) == (service_desk, None)
    assert Notification.objects.filter(recipient=team_lead, kind="assignment_fallback").count() == 1


def test_a_ticket_moved_to_a_team_unassigned_is_assigned_there(
    requester: User, second_line: Team, manager: User, desk_agents: list[User]
) -> None:
    other = make_agent("olga", second_line)
    actions.set_team_assignment(
        actor=manager,
        team=second_line,
        strategy="round_robin",
        backup_team=None,
        requires_certification=True,
        now=timezone.now(),
    )
    ticket = factories.make_ticket(requester)
    assert ticket.assignee is None

    move_to_team(ticket, team=second_line, now=timezone.now(), reason="Escalated")

    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee, ticket.status) == (second_line, other, Status.ASSIGNED)


def test_the_assignment_clock_is_met_by_an_automatic_assignment(
    requester: User, desk_agents: list[User], strategy
) -> None:  # type: ignore[no-untyped-def]
    strategy("round_robin")

    ticket = factories.make_ticket(requester)

    ticket.sla.refresh_from_db()
    assert ticket.sla.assignment_met_at is not None
