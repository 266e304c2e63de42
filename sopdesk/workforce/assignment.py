"""Automatic assignment: a ticket that lands in a team unassigned goes to an agent by the team's strategy.

Runs inside the ticket action that moved the ticket (creation, a move to another team), with the
ticket row locked. The qualifying agents' profile rows are locked before their open tickets are
counted, so two assignments at once never both give the last free slot of one agent (PostgreSQL
row locks; on SQLite every writing transaction is serialised by `BEGIN IMMEDIATE`). When nobody
qualifies, the ticket moves to the team's backup group and the team's leads are told.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import translation
from django.utils.translation import gettext as _

from sopdesk.accounts.models import Team, TeamMembership, User
from sopdesk.notifications.choices import NotificationKind
from sopdesk.notifications.outbox import OutgoingNotification, enqueue
from sopdesk.tickets.actions import assign_locked, may_be_reassigned
from sopdesk.tickets.events import new_event
from sopdesk.tickets.models import Ticket
from sopdesk.tickets.notifications import recipient_language
from sopdesk.workforce.cached import TeamRule, team_rule
from sopdesk.workforce.choices import Strategy, WorkforceEventKind
from sopdesk.workforce.models import RoundRobinCursor
from sopdesk.workforce.qualification import qualifying_agents
from sopdesk.workforce.strategies import pick


def assign_arrival(ticket: Ticket, *, now: datetime) -> User | None:
    """Give `ticket` (locked, just created or moved, unassigned) to an agent of its team; return who got it."""
    if ticket.assignee_id is not None or ticket.team_id is None or not may_be_reassigned(ticket):
        return None
    rule = team_rule(ticket.team_id)
    if rule is None or rule.strategy == Strategy.MANUAL:
        return None
    assignee = _assign_in_team(ticket, rule, now=now)
    if assignee is not None:
        return assignee
    return _fall_back(ticket, rule, now=now)


def _assign_in_team(ticket: Ticket, rule: TeamRule, *, now: datetime) -> User | None:
    candidates = qualifying_agents(
        rule.team_id,
        category_id=ticket.category_id,
        now=now,
        lock=True,
        with_skills=rule.strategy == Strategy.BEST_SKILL,
    )
    if not candidates:
        return None
    last_user_id = None
    if rule.strategy == Strategy.ROUND_ROBIN:
        cursor = RoundRobinCursor.objects.select_for_update().filter(team_id=rule.team_id).first()
        last_user_id = cursor.last_assignee_id if cursor is not None else None
    chosen = pick(rule.strategy, candidates, last_user_id=last_user_id)
    if rule.strategy == Strategy.ROUND_ROBIN:
        RoundRobinCursor.objects.update_or_create(
            team_id=rule.team_id, defaults={"last_assignee_id": chosen.user_id, "last_assigned_at": now}
        )
    assignee = chosen.user
    team = ticket.team
    assert team is not None  # noqa: S101 - checked by the caller (team_id)
    explanation = new_event(
        ticket,
        WorkforceEventKind.AUTO_ASSIGNED,
        actor=None,
        now=now,
        is_internal=True,
        data={
            "strategy": rule.strategy.value,
            "team": rule.team_id,
            "assignee": chosen.user_id,
            "open_count": chosen.open_count,
            "weighted_load": chosen.weighted_load,
            "capacity": chosen.capacity,
            "skill_level": chosen.skill_level,
            "candidates": len(candidates),
        },
    )
    assign_locked(ticket, team=team, assignee=assignee, now=now, also=[explanation])
    return assignee


def _fall_back(ticket: Ticket, rule: TeamRule, *, now: datetime) -> User | None:
    """Nobody qualified: move to the backup group (assigning there by its own strategy) and tell the leads."""
    team = ticket.team
    assert team is not None  # noqa: S101 - checked by the caller (team_id)
    backup = None
    if rule.backup_team_id is not None and rule.backup_team_id != team.pk:
        backup = Team.objects.filter(pk=rule.backup_team_id, is_active=True).first()
    leads = list(
        User.objects.filter(
            pk__in=TeamMembership.objects.filter(team=team, is_lead=True).values("user_id"), is_active=True
        ).order_by("pk")
    )
    event = new_event(
        ticket,
        WorkforceEventKind.NOBODY_QUALIFIED,
        actor=None,
        now=now,
        is_internal=True,
        data={
            "strategy": rule.strategy.value,
            "team": team.pk,
            "backup_team": backup.pk if backup is not None else None,
            "notified": [lead.pk for lead in leads],
        },
    )
    event.save(force_insert=True)
    _notify_leads(ticket, team=team, backup=backup, leads=leads, event_id=event.pk, now=now)
    if backup is None:
        return None
    assign_locked(ticket, team=backup, assignee=None, now=now)
    backup_rule = team_rule(backup.pk)
    if backup_rule is None or backup_rule.strategy == Strategy.MANUAL:
        return None
    return _assign_in_team(ticket, backup_rule, now=now)  # once: no fallback from the backup group


def _notify_leads(
    ticket: Ticket, *, team: Team, backup: Team | None, leads: list[User], event_id: int, now: datetime
) -> None:
    notifications = []
    for lead in leads:
        with translation.override(recipient_language(lead)):
            subject = _("[%(number)s] No agent of %(team)s qualified") % {"number": ticket.number, "team": team}
            if backup is not None:
                body = _("Nobody in %(team)s could take “%(title)s” now; it moved to the backup group %(backup)s.") % {
                    "team": team,
                    "title": ticket.title,
                    "backup": backup,
                }
            else:
                body = _("Nobody in %(team)s could take “%(title)s” now; it waits in the team unassigned.") % {
                    "team": team,
                    "title": ticket.title,
                }
        notifications.append(
            OutgoingNotification(
                recipient=lead,
                ticket=ticket,
                kind=NotificationKind.ASSIGNMENT_FALLBACK,
                subject=subject,
                body=body,
                dedupe_key=f"event:{event_id}:user:{lead.pk}",
            )
        )
    if notifications:
        enqueue(notifications, now=now)
