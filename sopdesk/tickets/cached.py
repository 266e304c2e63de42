"""Ticket configuration read on every creation, kept per process (`sopdesk.core.config_cache`).

The priority matrix, the intake team and the categories change a few times a year; every save or
deletion of their rows replaces the configuration stamp, and the next use after it reloads them.
The returned objects are shared between threads: read them, never change them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sopdesk.accounts.models import Team
from sopdesk.core.config_cache import StampedCache
from sopdesk.tickets.models import Category, PriorityRule


@dataclass(frozen=True)
class TicketConfig:
    matrix: dict[tuple[str, str], str]  # the admin-edited cells of the impact × urgency matrix
    intake_team: Team | None  # the first active intake team
    category_parents: dict[int, int | None]  # the category tree, by id
    categories: dict[str, Category]  # by code, each with its default team (a new ticket is routed to it)


def _load() -> TicketConfig:
    return TicketConfig(
        matrix={(rule.impact, rule.urgency): rule.priority for rule in PriorityRule.objects.all()},
        intake_team=Team.objects.filter(is_intake=True, is_active=True).order_by("pk").first(),
        category_parents=dict(Category.objects.values_list("pk", "parent_id")),
        categories={category.code: category for category in Category.objects.select_related("default_team")},
    )


_config = StampedCache(_load)


def ticket_config() -> TicketConfig:
    """Return the current ticket configuration (one stamp query when unchanged)."""
    return _config.get()
