from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    AGENT = "agent", _("Agent")
    ENGINEER = "engineer", _("Engineer")
    TEAM_LEAD = "team_lead", _("Team lead")
    KB_ADMIN = "kb_admin", _("Knowledge-base admin")
    QA_AUDITOR = "qa_auditor", _("QA auditor")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")


# Roles that work tickets of their own teams.
TEAM_ROLES = frozenset({Role.AGENT, Role.ENGINEER, Role.TEAM_LEAD, Role.KB_ADMIN})
# Roles that see every ticket; only some of them may change tickets.
ALL_TICKETS_ROLES = frozenset({Role.MANAGER, Role.ADMIN, Role.QA_AUDITOR})
READ_ONLY_ROLES = frozenset({Role.QA_AUDITOR})


class RequesterType(models.TextChoices):
    INTERNAL = "internal", _("Internal employee")
    CUSTOMER = "customer", _("External customer")
    PARTNER = "partner", _("Partner")


class TeamTier(models.TextChoices):
    FIRST_LINE = "first_line", _("First line")
    SECOND_LINE = "second_line", _("Second line")
    SPECIALIST = "specialist", _("Specialist team")
    MANAGEMENT = "management", _("Management")
