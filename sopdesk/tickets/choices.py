from django.db import models
from django.utils.translation import gettext_lazy as _

from sopdesk.lib import priority


class Status(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    PENDING_CUSTOMER = "pending_customer", _("Pending customer")
    PENDING_CONFIRMATION = "pending_confirmation", _("Pending confirmation")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = frozenset(
    {Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.PENDING_CUSTOMER, Status.PENDING_CONFIRMATION}
)
OPEN_STATUS_VALUES: tuple[str, ...] = tuple(status.value for status in Status if status in OPEN_STATUSES)
# The statuses that take a ticket out of the open queues (tickets.models.OPEN_STATUS_CONDITION).
FINISHED_STATUS_VALUES: tuple[str, ...] = tuple(status.value for status in Status if status not in OPEN_STATUSES)
# The statuses in which a fix waits for the requester's confirmation (confirm or reject, auto-close).
AWAITING_CONFIRMATION = frozenset({Status.RESOLVED, Status.PENDING_CONFIRMATION})


class RequesterStage(models.TextChoices):
    """The lifecycle as the requester reads it: whose turn it is, not how staff route the work.

    The portal words each stage; a status change within one stage is no news to the requester.
    """

    RECEIVED = "received"
    WORKED_ON = "worked_on"
    WAITING = "waiting"
    SOLVED = "solved"
    CLOSED = "closed"


REQUESTER_STAGES: dict[str, RequesterStage] = {
    Status.NEW: RequesterStage.RECEIVED,
    Status.ASSIGNED: RequesterStage.WORKED_ON,
    Status.IN_PROGRESS: RequesterStage.WORKED_ON,
    Status.PENDING_CUSTOMER: RequesterStage.WAITING,
    **dict.fromkeys(AWAITING_CONFIRMATION, RequesterStage.SOLVED),
    Status.CLOSED: RequesterStage.CLOSED,
}


def requester_stage(status: str) -> RequesterStage:
    """Return the requester's stage of `status` (an unknown value reads as being worked on)."""
    return REQUESTER_STAGES.get(status, RequesterStage.WORKED_ON)


class Priority(models.TextChoices):
    # Values and order from sopdesk.lib.priority (most urgent first).
    P1 = priority.P1, _("P1 urgent")
    P2 = priority.P2, _("P2 high")
    P3 = priority.P3, _("P3 medium")
    P4 = priority.P4, _("P4 low")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    WEB = "web", _("Web portal")
    CHAT = "chat", _("Chat / IM")
    API = "api", _("API")
    MONITORING = "monitoring", _("Monitoring alert")
    ONSITE = "onsite", _("On-site visit")
    REMOTE = "remote", _("Remote assistance")


class TicketType(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    CONFIGURATION = "configuration", _("Configuration")
    FAULT = "fault", _("Fault")
    REQUIREMENT = "requirement", _("Requirement")


class Impact(models.TextChoices):
    # Values and order from sopdesk.lib.priority (narrowest first).
    SINGLE_USER = priority.SINGLE_USER, _("One user")
    MULTIPLE_USERS = priority.MULTIPLE_USERS, _("Several users")
    DEPARTMENT = priority.DEPARTMENT, _("A department")
    ORGANIZATION = priority.ORGANIZATION, _("Whole organisation")


class Urgency(models.TextChoices):
    # Values and order from sopdesk.lib.priority (least urgent first).
    LOW = priority.LOW, _("Low")
    MEDIUM = priority.MEDIUM, _("Medium")
    HIGH = priority.HIGH, _("High")
    CRITICAL = priority.CRITICAL, _("Critical (core business interrupted or data loss)")


class Frequency(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    ONCE = "once", _("Once")
    INTERMITTENT = "intermittent", _("Intermittent")
    FREQUENT = "frequent", _("Frequent")
    CONTINUOUS = "continuous", _("Continuous")


class Difficulty(models.IntegerChoices):
    SIMPLE = 1, _("1 simple: first line answers directly")
    DIAGNOSIS = 2, _("2 needs diagnosis")
    COMPLEX = 3, _("3 complex, cross-team")
    MAJOR = 4, _("4 major, core business affected")


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    PUBLIC_REPLY = "public_reply", _("Public reply")
    INTERNAL_NOTE = "internal_note", _("Internal note")
    STATUS_CHANGED = "status_changed", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    DETAILS_CHANGED = "details_changed", _("Details changed")
    ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
    REOPENED = "reopened", _("Reopened")


class AccessChannel(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")
    ADMIN = "admin", _("Admin")
