"""Demo SLA settings: a backup group and escalation contacts, so that escalations have somewhere to go."""

from __future__ import annotations

from datetime import datetime

from sopdesk.demo.directory import Directory
from sopdesk.sla.models import EscalationRule, SlaPolicy
from sopdesk.sla.scanner import SweepReport, sweep

BACKUP_TEAM = "second-line"
ESCALATION_CONTACT = "manager"


def configure_sla(directory: Directory) -> None:
    """Send unassigned office-hours tickets to the second line and tell the manager of P1 escalations."""
    backup = directory.teams[BACKUP_TEAM]
    SlaPolicy.objects.filter(backup_team__isnull=True).exclude(priority="P1").update(backup_team=backup)
    manager = directory.users[ESCALATION_CONTACT]
    for rule in EscalationRule.objects.filter(policy__priority="P1"):
        rule.contacts.add(manager)


def catch_up_clocks(*, now: datetime) -> SweepReport:
    """Record the warnings, breaches and escalations the made-up history ran into, as the scanner would have."""
    return sweep(now=now)
