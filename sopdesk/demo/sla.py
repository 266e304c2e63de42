"""Demo SLA settings: a backup group and escalation contacts, so that escalations have somewhere to go."""

from __future__ import annotations

from datetime import datetime

from sopdesk.demo.directory import Directory
from sopdesk.sla import config
from sopdesk.sla.models import SlaPolicy
from sopdesk.sla.scanner import SweepReport, sweep
from sopdesk.tickets.choices import Priority

BACKUP_TEAM = "second-line"
ESCALATION_CONTACT = "manager"
# The demo administrator makes the changes, so the audit log shows them as an administrator's.
CONFIGURED_BY = "admin"


def configure_sla(directory: Directory, *, now: datetime) -> None:
    """Send unassigned office-hours tickets to the second line and tell the manager of P1 escalations.

    Through the configuration actions, as an administrator would in the admin: checked and audited.
    """
    actor = directory.users[CONFIGURED_BY]
    backup = directory.teams[BACKUP_TEAM]
    for policy in SlaPolicy.objects.filter(backup_team__isnull=True).exclude(priority=Priority.P1).order_by("pk"):
        config.update_policy(policy, changes={"backup_team": backup.code}, actor=actor, now=now)
    manager = directory.users[ESCALATION_CONTACT]
    for policy in config.policy_rows().filter(priority=Priority.P1).order_by("pk"):
        rules = [
            config.RuleSpec(
                id=rule.pk,
                metric=rule.metric,
                offset_minutes=rule.offset_minutes,
                notify_team_lead=rule.notify_team_lead,
                contacts=sorted({*(contact.username for contact in rule.contacts.all()), manager.username}),
                reassign_to_team=rule.reassign_to_team.code if rule.reassign_to_team is not None else None,
                raise_priority=rule.raise_priority,
                is_active=rule.is_active,
            )
            for rule in policy.escalation_rules.all()
        ]
        config.replace_escalation_rules(policy, rules, actor=actor, now=now)


def catch_up_clocks(*, now: datetime) -> SweepReport:
    """Record the warnings, breaches and escalations the made-up history ran into, as the scanner would have."""
    return sweep(now=now)
