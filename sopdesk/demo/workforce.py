"""The demo's workforce: every agent with a capacity and a certification, skills in their team's categories,
one absence, and each team assigning its new tickets to the least loaded agent.

Set after the ticket histories are played, so the history stays as the stories wrote it; tickets
created in the demo from then on are assigned automatically (docs/workforce.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from sopdesk.demo.directory import CATEGORY_TEAMS, PEOPLE, SERVICE_DESK, Directory
from sopdesk.workforce import actions
from sopdesk.workforce.choices import SkillLevel, Strategy

# Fewer open tickets for leads, who also review and coach.
AGENT_CAPACITY, LEAD_CAPACITY = 8, 5


def configure_workforce(directory: Directory, *, now: datetime) -> None:
    """Give the demo staff profiles, certifications, skills and one absence; set every team's strategy."""
    manager = directory.users["admin"]
    today = timezone.localdate(now)
    for person in PEOPLE:
        codes = (*person.teams, *person.lead_of)
        if not codes:
            continue
        agent = directory.users[person.username]
        capacity = LEAD_CAPACITY if person.lead_of else AGENT_CAPACITY
        actions.update_profile(actor=manager, agent=agent, capacity=capacity, calendar=None, now=now)
        for code in dict.fromkeys(codes):
            actions.certify(
                actor=manager,
                agent=agent,
                team=directory.teams[code],
                passed_on=today - timedelta(days=200),
                expires_on=today + timedelta(days=165),
                assessment="Onboarding assessment",
                now=now,
            )
            for category_code, team_code in CATEGORY_TEAMS.items():
                if team_code == code and category_code in directory.categories:
                    actions.set_skill(
                        actor=manager,
                        agent=agent,
                        category=directory.categories[category_code],
                        level=SkillLevel.ADVANCED,
                        now=now,
                    )
    actions.add_absence(
        actor=manager,
        agent=directory.users["engineer"],
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=3),
        reason="Training",
        now=now,
    )
    for code, team in directory.teams.items():
        actions.set_team_assignment(
            actor=manager,
            team=team,
            strategy=Strategy.LEAST_LOADED if code == SERVICE_DESK else Strategy.BEST_SKILL,
            backup_team=directory.teams["second-line"] if code == SERVICE_DESK else None,
            requires_certification=True,
            now=now,
        )
