"""Every change of routing: the rules and specialist teams (configuration, audited), tiered
escalation of a ticket, and the major-incident flag. The API, the admin and the workspace call these.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from sopdesk.accounts.choices import Role, TeamTier
from sopdesk.accounts.models import CustomerLevel, Team, TeamMembership, User
from sopdesk.audit.actions import field_values, record_config_change
from sopdesk.audit.choices import Operation
from sopdesk.core.errors import ActionError, PermissionRefused
from sopdesk.core.validation import ValidationFailed, validate_instance
from sopdesk.lib.text import has_forbidden_characters
from sopdesk.notifications.choices import NotificationKind
from sopdesk.notifications.outbox import OutgoingNotification, are_notifications_suppressed, enqueue
from sopdesk.routing.choices import TIER_ORDER, RoutingEventKind
from sopdesk.routing.models import CategorySpecialist, MajorIncident, RoutingRule
from sopdesk.routing.router import category_chain, routing_config
from sopdesk.tickets import actions as ticket_actions
from sopdesk.tickets.cached import ticket_config
from sopdesk.tickets.events import new_event
from sopdesk.tickets.models import Category, Ticket, TicketEvent
from sopdesk.tickets.notifications import event_notice

RULE_FIELDS = (
    "position",
    "name",
    "is_active",
    "category",
    "ticket_type",
    "channel",
    "customer_level",
    "priority",
    "min_difficulty",
    "keywords",
    "team",
)
NULLABLE_RULE_FIELDS = frozenset({"category", "customer_level", "min_difficulty"})
REASON_MAX_LENGTH = 2000


# --- permissions ----------------------------------------------------------------------------


def may_change_routing(user: User) -> bool:
    """Active administrators and superusers change the routing configuration."""
    return user.is_administrator


def check_may_change_routing(actor: User | None) -> None:
    # None is a command run on the server.
    if actor is not None and not may_change_routing(actor):
        raise PermissionRefused(_("Only administrators may change the routing rules."))


def check_may_read_routing(user: User) -> None:
    if not (user.is_superuser or user.role in (Role.ADMIN, Role.MANAGER)):
        raise PermissionRefused(_("Only administrators and managers may read the routing rules."))


# --- routing rules --------------------------------------------------------------------------


REFERENCES: dict[str, Any] = {
    "category": (Category, "code"),
    "customer_level": (CustomerLevel, "code"),
    "team": (Team, "code"),
}


def by_code(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return `values` with the category, customer level and team codes replaced by their rows.

    Unknown codes are field errors (422), all of them in one ValidationFailed; None stays None.
    """
    resolved = dict(values)
    errors: dict[str, list[str]] = {}
    for name, (model, key) in REFERENCES.items():
        code = values.get(name)
        if isinstance(code, str):
            row = model.objects.filter(**{key: code}).first()
            if row is None:
                errors[name] = [_("Unknown code “%(code)s”.") % {"code": code}]
            resolved[name] = row
    if errors:
        raise ValidationFailed(errors)
    return resolved


def _check_rule(rule: RoutingRule) -> None:
    validate_instance(rule, fields=RULE_FIELDS)
    errors: dict[str, list[str]] = {}
    if not rule.team.is_active:
        errors["team"] = [_("This team is inactive.")]
    if rule.category_id is not None and not rule.category.is_active:  # type: ignore[union-attr]
        errors["category"] = [_("This category is no longer in use.")]
    if rule.keywords and not rule.keyword_list():
        errors["keywords"] = [_("Name at least one keyword, or leave the field empty.")]
    if errors:
        raise ValidationFailed(errors)


def create_rule(*, actor: User | None, values: Mapping[str, Any], now: datetime) -> RoutingRule:
    """Add a routing rule from `values` (RULE_FIELDS, references as objects); position, name and team are required."""
    check_may_change_routing(actor)
    _check_keys(values)
    missing = [name for name in ("position", "name", "team") if values.get(name) in (None, "")]
    if missing:
        raise ValidationFailed({name: [_("This field is required.")] for name in missing})
    rule = RoutingRule(**values)
    _check_rule(rule)
    with transaction.atomic():
        rule.save(force_insert=True)
        record_config_change(
            rule, operation=Operation.CREATED, before={}, after=field_values(rule, RULE_FIELDS), actor=actor, now=now
        )
    return rule


def update_rule(rule: RoutingRule, *, actor: User | None, changes: Mapping[str, Any], now: datetime) -> RoutingRule:
    """Change fields of `rule` (a reference may be None where NULLABLE_RULE_FIELDS allows it)."""
    check_may_change_routing(actor)
    _check_keys(changes)
    nulls = sorted(name for name, value in changes.items() if value is None and name not in NULLABLE_RULE_FIELDS)
    if nulls:
        raise ValidationFailed({name: [_("This field cannot be null.")] for name in nulls})
    with transaction.atomic():
        rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
        before = field_values(rule, RULE_FIELDS)
        for name, value in changes.items():
            setattr(rule, name, value)
        _check_rule(rule)
        rule.save(update_fields=list(changes) or None)
        record_config_change(
            rule,
            operation=Operation.CHANGED,
            before=before,
            after=field_values(rule, RULE_FIELDS),
            actor=actor,
            now=now,
        )
    return rule


def delete_rule(rule: RoutingRule, *, actor: User | None, now: datetime) -> None:
    """Remove `rule` (recorded in the audit log with its last values)."""
    check_may_change_routing(actor)
    with transaction.atomic():
        record_config_change(
            rule, operation=Operation.DELETED, before=field_values(rule, RULE_FIELDS), after={}, actor=actor, now=now
        )
        rule.delete()


def _check_keys(values: Mapping[str, Any]) -> None:
    unknown = sorted(set(values) - set(RULE_FIELDS))
    if unknown:
        raise ActionError(_("Unknown field: %(name)s") % {"name": unknown[0]}, field=unknown[0])


def set_specialist_team(
    category: Category, *, team: Team | None, actor: User | None, now: datetime
) -> CategorySpecialist | None:
    """Make `team` the specialist team of `category` (None: the category has none)."""
    check_may_change_routing(actor)
    if team is not None and not team.is_active:
        raise ActionError(_("This team is inactive."), field="team")
    with transaction.atomic():
        current = CategorySpecialist.objects.select_for_update().filter(category=category).first()
        if team is None:
            if current is not None:
                record_config_change(
                    current,
                    operation=Operation.DELETED,
                    before={"team": current.team_id},
                    after={},
                    actor=actor,
                    now=now,
                )
                current.delete()
            return None
        if current is None:
            current = CategorySpecialist.objects.create(category=category, team=team)
            record_config_change(
                current, operation=Operation.CREATED, before={}, after={"team": team.pk}, actor=actor, now=now
            )
        elif current.team_id != team.pk:
            before = {"team": current.team_id}
            current.team = team
            current.save(update_fields=["team"])
            record_config_change(
                current, operation=Operation.CHANGED, before=before, after={"team": team.pk}, actor=actor, now=now
            )
    return current


# --- tiered escalation ----------------------------------------------------------------------


def next_tier(tier: str | None) -> TeamTier | None:
    """The tier after `tier` (a ticket without a team counts as first line); None after management."""
    index = TIER_ORDER.index(TeamTier(tier)) if tier in TeamTier.values else 0
    return TIER_ORDER[index + 1] if index + 1 < len(TIER_ORDER) else None


def escalation_targets(ticket: Ticket) -> list[Team]:
    """The active teams of the tier after `ticket`'s team, the category's specialist team first."""
    tier = next_tier(ticket.team.tier if ticket.team_id is not None else None)  # type: ignore[union-attr]
    if tier is None:
        return []
    teams = list(Team.objects.filter(tier=tier, is_active=True).order_by("name"))
    specialists = routing_config().specialists
    chain = category_chain(ticket.category_id, ticket_config().category_parents)
    preferred = next((specialists[pk].pk for pk in chain if pk in specialists), None)
    teams.sort(key=lambda team: team.pk != preferred)
    return teams


def escalate_to_next_tier(
    ticket: Ticket,
    *,
    actor: User,
    reason: str,
    now: datetime,
    team: Team | None = None,
    expected_version: int | None = None,
) -> TicketEvent:
    """Hand `ticket` to a team of the next tier (`team`, or the first of `escalation_targets`) with a reason.

    The assignee is cleared so the receiving team picks it up; the SLA clocks continue (no clock
    restarts: the assignment is recorded like any reassignment).
    """
    if actor.is_requester:
        raise PermissionRefused(_("Only staff may escalate tickets."))
    reason = reason.strip()
    if not reason:
        raise ActionError(_("Say why the ticket is escalated."), field="reason")
    if len(reason) > REASON_MAX_LENGTH or has_forbidden_characters(reason):
        raise ActionError(
            _("The reason must be plain text of at most %(max)d characters.") % {"max": REASON_MAX_LENGTH},
            field="reason",
        )
    with ticket_actions.changing_ticket(ticket, actor=actor, expected_version=expected_version):
        if not ticket_actions.may_be_reassigned(ticket):
            raise ActionError(_("Resolved and closed tickets cannot be escalated."))
        from_team = ticket.team
        from_tier = from_team.tier if from_team is not None else TeamTier.FIRST_LINE
        targets = escalation_targets(ticket)
        if not targets:
            if next_tier(from_tier) is None:
                raise ActionError(_("The ticket is with the highest tier already."))
            raise ActionError(_("No active team in the next tier."), field="team")
        if team is None:
            team = targets[0]
        elif team.pk not in {target.pk for target in targets}:
            raise ActionError(_("Choose a team of the next tier."), field="team")
        ticket_actions.assign_ticket(ticket, team=team, assignee=None, actor=actor, now=now, note=reason)
        event = new_event(
            ticket,
            RoutingEventKind.TIER_ESCALATED,
            actor=actor,
            now=now,
            body=reason,
            is_internal=True,
            data={
                "from_team": from_team.pk if from_team is not None else None,
                "to_team": team.pk,
                "team_name": team.name,
                "from_tier": from_tier,
                "to_tier": team.tier,
            },
        )
        event.save(force_insert=True)
        _notify(event, _leads(team))
    return event


# --- major incidents ------------------------------------------------------------------------


def flag_major_incident(ticket: Ticket, *, now: datetime) -> MajorIncident | None:
    """System: mark `ticket` (difficulty 4) for the major-incident procedure and tell its team's leads
    and the managers; None when it is marked already. Runs in the caller's transaction, ticket locked.
    """
    if MajorIncident.objects.filter(ticket=ticket).exists():
        return None
    incident = MajorIncident.objects.create(ticket=ticket, flagged_at=now)
    event = new_event(
        ticket,
        RoutingEventKind.MAJOR_INCIDENT,
        actor=None,
        now=now,
        is_internal=True,
        body=_("Difficulty 4: the major-incident procedure applies."),
        data={"difficulty": ticket.difficulty},
    )
    event.save(force_insert=True)
    managers = list(User.objects.filter(role=Role.MANAGER, is_active=True))
    _notify(event, [*_leads(ticket.team), *managers])
    return incident


def _leads(team: Team | None) -> list[User]:
    if team is None:
        return []
    return [
        membership.user
        for membership in TeamMembership.objects.filter(team=team, is_lead=True, user__is_active=True).select_related(
            "user"
        )
    ]


def _notify(event: TicketEvent, recipients: list[User]) -> None:
    """Queue notifications of `event` for `recipients` (never its actor) in the current transaction."""
    if are_notifications_suppressed():
        return
    unique = {user.pk: user for user in recipients if user.pk != event.actor_id}
    notifications = []
    for user in unique.values():
        subject, body = event_notice(event, user)
        notifications.append(
            OutgoingNotification(
                recipient=user,
                ticket=event.ticket,
                kind=NotificationKind.TICKET_EVENT,
                subject=subject,
                body=body,
                dedupe_key=f"event:{event.pk}:user:{user.pk}",
            )
        )
    enqueue(notifications, now=event.created_at)
