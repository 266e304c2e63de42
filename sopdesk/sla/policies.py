"""Which SLA policy measures a ticket: the first active policy, by explicit order, that matches it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sopdesk.core.config_cache import StampedCache
from sopdesk.sla.clocks import RuleSpec
from sopdesk.sla.models import EscalationRule, SlaPolicy
from sopdesk.tickets.cached import ticket_config
from sopdesk.tickets.models import Ticket


@dataclass(frozen=True)
class TicketFacts:
    """What policy matching looks at, taken from a ticket."""

    priority: str
    customer_level_id: int | None
    category_ids: frozenset[int]  # the ticket's category and all its ancestors
    channel: str


def category_lineage(category_id: int | None, parents: Mapping[int, int | None]) -> frozenset[int]:
    """Return `category_id` with all its ancestors (a parent category's policy covers its children)."""
    lineage: set[int] = set()
    current = category_id
    while current is not None and current not in lineage:
        lineage.add(current)
        current = parents.get(current)
    return frozenset(lineage)


def facts_for(ticket: Ticket) -> TicketFacts:
    """Collect the matching facts of `ticket` (the organisation, if not loaded, is one query)."""
    level_id = None
    if ticket.organization_id is not None:
        level_id = ticket.organization.customer_level_id  # type: ignore[union-attr]
    parents: dict[int, int | None] = {}
    if ticket.category_id is not None:
        parents = ticket_config().category_parents
    return TicketFacts(
        priority=ticket.priority,
        customer_level_id=level_id,
        category_ids=category_lineage(ticket.category_id, parents),
        channel=ticket.channel,
    )


def policy_matches(policy: SlaPolicy, facts: TicketFacts) -> bool:
    if not policy.is_active or policy.priority != facts.priority:
        return False
    if policy.customer_level_id is not None and policy.customer_level_id != facts.customer_level_id:
        return False
    if policy.category_id is not None and policy.category_id not in facts.category_ids:
        return False
    return not (policy.channel and policy.channel != facts.channel)


def first_matching(policies: Iterable[SlaPolicy], facts: TicketFacts) -> SlaPolicy | None:
    """Return the first of `policies` (already in order) that matches `facts`."""
    return next((policy for policy in policies if policy_matches(policy, facts)), None)


@dataclass(frozen=True)
class PolicyConfig:
    policies: tuple[SlaPolicy, ...]  # the active ones, in matching order, with their calendars
    rules: dict[int, tuple[RuleSpec, ...]]  # active escalation rules by policy id


def _load() -> PolicyConfig:
    policies = SlaPolicy.objects.filter(is_active=True).select_related("calendar").order_by("order", "pk")
    rules: dict[int, list[RuleSpec]] = {}
    rows = EscalationRule.objects.filter(is_active=True)  # in the model order (metric, offset)
    for pk, policy_id, metric, offset in rows.values_list("pk", "policy_id", "metric", "offset_minutes"):
        rules.setdefault(policy_id, []).append(RuleSpec(rule_id=pk, metric=metric, offset_minutes=offset))
    return PolicyConfig(policies=tuple(policies), rules={pk: tuple(specs) for pk, specs in rules.items()})


# Policies, rules and calendars change rarely; every change replaces the configuration stamp
# (watched in SlaConfig.ready), and the next use reloads. The policies are shared: read only.
_config = StampedCache(_load)


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """Return the policy that measures `ticket`, or None when no active policy matches."""
    candidates = (policy for policy in _config.get().policies if policy.priority == ticket.priority)
    return first_matching(candidates, facts_for(ticket))


def rule_specs(policy_id: int | None) -> list[RuleSpec]:
    """Return the active escalation rules of a policy as the clocks see them."""
    if policy_id is None:
        return []
    return list(_config.get().rules.get(policy_id, ()))
