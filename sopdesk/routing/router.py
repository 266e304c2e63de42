"""The routing decision for a new ticket: rules in order, then the category's specialist team for
difficulty 2 and above, then the category's default team, then the intake team.

The rules and the specialist teams are cached per process (`sopdesk.core.config_cache`): deciding
reads no row once the cache is warm. Once any active rule or specialist team exists, every decision
is explained on the timeline ("routed" entry, written in one statement with the creation's own
entry); with none, the built-in default applies and the timeline says nothing more than before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sopdesk.accounts.models import Team
from sopdesk.core.config_cache import StampedCache
from sopdesk.routing.choices import RouteBasis, RoutingEventKind
from sopdesk.routing.models import CategorySpecialist, RoutingRule
from sopdesk.tickets.cached import ticket_config
from sopdesk.tickets.choices import Difficulty
from sopdesk.tickets.events import new_event
from sopdesk.tickets.models import Category, Ticket, TicketEvent
from sopdesk.tickets.routers import RoutingChoice


@dataclass(frozen=True)
class CachedRule:
    pk: int
    position: int
    name: str
    team: Team
    category_id: int | None
    category_code: str
    ticket_type: str
    channel: str
    customer_level_id: int | None
    customer_level_code: str
    priority: str
    min_difficulty: int | None
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class RoutingConfig:
    rules: tuple[CachedRule, ...]  # active rules to active teams, in order
    specialists: dict[int, Team]  # category id → its active specialist team


def _load() -> RoutingConfig:
    rules = (
        RoutingRule.objects.filter(is_active=True, team__is_active=True)
        .select_related("team", "category", "customer_level")
        .order_by("position", "pk")
    )
    specialists = CategorySpecialist.objects.filter(team__is_active=True).select_related("team")
    return RoutingConfig(
        rules=tuple(
            CachedRule(
                pk=rule.pk,
                position=rule.position,
                name=rule.name,
                team=rule.team,
                category_id=rule.category_id,
                category_code=rule.category.code if rule.category else "",
                ticket_type=rule.ticket_type,
                channel=rule.channel,
                customer_level_id=rule.customer_level_id,
                customer_level_code=rule.customer_level.code if rule.customer_level else "",
                priority=rule.priority,
                min_difficulty=rule.min_difficulty,
                keywords=tuple(rule.keyword_list()),
            )
            for rule in rules
        ),
        specialists={item.category_id: item.team for item in specialists},
    )


_config = StampedCache(_load)


def routing_config() -> RoutingConfig:
    """Return the cached rules and specialist teams (one stamp query when unchanged, none inside `consistent()`)."""
    return _config.get()


@dataclass(frozen=True)
class Decision:
    team: Team | None
    basis: RouteBasis
    rule: CachedRule | None = None
    conditions: tuple[tuple[str, Any], ...] = ()  # (field, value) the rule matched on

    def as_data(self) -> dict[str, Any]:
        """The entry's data: what the sentence on the timeline is made of (values as codes)."""
        return {
            "team": self.team.pk if self.team else None,
            "team_name": self.team.name if self.team else "",
            "basis": self.basis.value,
            "rule": {"id": self.rule.pk, "position": self.rule.position, "name": self.rule.name} if self.rule else None,
            "conditions": [[name, value] for name, value in self.conditions],
        }


def category_chain(category_id: int | None, parents: dict[int, int | None]) -> list[int]:
    """`category_id` and its parents, nearest first (a cycle stops the walk)."""
    chain: list[int] = []
    while category_id is not None and category_id not in chain:
        chain.append(category_id)
        category_id = parents.get(category_id)
    return chain


def _match(
    rule: CachedRule, ticket: Ticket, categories: Sequence[int], text: str | None
) -> list[tuple[str, Any]] | None:
    """The conditions `rule` matched on `ticket`, or None when one of them fails."""
    matched: list[tuple[str, Any]] = []
    if rule.category_id is not None:
        if rule.category_id not in categories:
            return None
        matched.append(("category", rule.category_code))
    if rule.ticket_type:
        if ticket.ticket_type != rule.ticket_type:
            return None
        matched.append(("ticket_type", rule.ticket_type))
    if rule.channel:
        if ticket.channel != rule.channel:
            return None
        matched.append(("channel", rule.channel))
    if rule.customer_level_id is not None:
        organization = ticket.organization if ticket.organization_id is not None else None
        if organization is None or organization.customer_level_id != rule.customer_level_id:
            return None
        matched.append(("customer_level", rule.customer_level_code))
    if rule.priority:
        if ticket.priority != rule.priority:
            return None
        matched.append(("priority", rule.priority))
    if rule.min_difficulty is not None:
        if ticket.difficulty < rule.min_difficulty:
            return None
        matched.append(("difficulty", rule.min_difficulty))
    if rule.keywords:
        found = next((word for word in rule.keywords if text is not None and word in text), None)
        if found is None:
            return None
        matched.append(("keyword", found))
    return matched


def decide(ticket: Ticket, *, config: RoutingConfig | None = None) -> Decision:
    """Choose the team of the unsaved `ticket` (classified, priority set)."""
    config = config or routing_config()
    tickets = ticket_config()
    categories = category_chain(ticket.category_id, tickets.category_parents)
    text: str | None = None
    for rule in config.rules:
        if rule.keywords and text is None:
            text = f"{ticket.title}\n{ticket.description}".casefold()
        matched = _match(rule, ticket, categories, text)
        if matched is not None:
            return Decision(team=rule.team, basis=RouteBasis.RULE, rule=rule, conditions=tuple(matched))
    if ticket.difficulty >= Difficulty.DIAGNOSIS:
        specialist = next((config.specialists[pk] for pk in categories if pk in config.specialists), None)
        if specialist is not None:
            return Decision(
                team=specialist,
                basis=RouteBasis.SPECIALIST,
                conditions=(("category", _code(ticket.category)), ("difficulty", ticket.difficulty)),
            )
    category = ticket.category if ticket.category_id is not None else None
    if category is not None and category.default_team_id is not None:
        return Decision(
            team=category.default_team, basis=RouteBasis.CATEGORY, conditions=(("category", category.code),)
        )
    if tickets.intake_team is not None:
        return Decision(team=tickets.intake_team, basis=RouteBasis.INTAKE)
    return Decision(team=None, basis=RouteBasis.NONE)


def _code(category: Category | None) -> str:
    return category.code if category is not None else ""


class RuleRouter:
    """The ticket router the routing app registers (`sopdesk.tickets.routers`)."""

    def route(self, ticket: Ticket) -> RoutingChoice:
        config = routing_config()
        decision = decide(ticket, config=config)

        def explain(saved: Ticket, now: datetime) -> list[TicketEvent]:
            if not (config.rules or config.specialists):
                return []  # nothing configured: the built-in default (category team, intake team) applies
            # Who routes where is internal detail, like an assignment.
            return [
                new_event(
                    saved, RoutingEventKind.ROUTED, actor=None, now=now, is_internal=True, data=decision.as_data()
                )
            ]

        return RoutingChoice(team=decision.team, explain=explain)
