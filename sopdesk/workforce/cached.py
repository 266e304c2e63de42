"""Team assignment settings read on every ticket creation, kept per process (`sopdesk.core.config_cache`)."""

from __future__ import annotations

from dataclasses import dataclass

from sopdesk.core.config_cache import StampedCache
from sopdesk.workforce.choices import Strategy
from sopdesk.workforce.models import TeamAssignment


@dataclass(frozen=True)
class TeamRule:
    team_id: int
    strategy: Strategy
    backup_team_id: int | None
    requires_certification: bool


def _load() -> dict[int, TeamRule]:
    return {
        row.team_id: TeamRule(
            team_id=row.team_id,
            strategy=Strategy(row.strategy),
            backup_team_id=row.backup_team_id,
            requires_certification=row.requires_certification,
        )
        for row in TeamAssignment.objects.all()
    }


_rules = StampedCache(_load)


def team_rule(team_id: int | None) -> TeamRule | None:
    """Return the assignment setting of a team (None: manual, no certification rule); no query when unchanged."""
    if team_id is None:
        return None
    return _rules.get().get(team_id)
