"""Tickets, their timeline, attachments, access log, categories and the priority matrix."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from sopdesk.accounts.choices import RequesterType
from sopdesk.core.models import AppendOnlyModel, NoDeleteModel
from sopdesk.tickets.choices import (
    FINISHED_STATUS_VALUES,
    AccessChannel,
    Channel,
    Difficulty,
    Frequency,
    Impact,
    Priority,
    Status,
    TicketType,
    Urgency,
)
from sopdesk.tickets.querysets import AttachmentQuerySet, TicketEventQuerySet, TicketQuerySet

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

# The condition of the partial indexes on open tickets; a query that repeats it can use them. One
# "not equal" per finished status rather than an IN list of the open ones: SQLite matches a query's
# bound parameters against the index's terms one comparison at a time, never inside a list.
OPEN_STATUS_CONDITION = models.Q(*[~models.Q(status=value) for value in FINISHED_STATUS_VALUES])

TITLE_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 20_000


class Category(NoDeleteModel):
    """An admin-managed tree of problem categories (hardware, software, network, ...)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    default_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("default team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("New tickets of this category go to this team."),
    )
    is_active = models.BooleanField(_("is active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return f"{self.parent} / {self.name}" if self.parent_id else self.name


class PriorityRule(models.Model):
    """One cell of the impact × urgency priority matrix."""

    impact = models.CharField(_("impact"), max_length=20, choices=Impact.choices)
    urgency = models.CharField(_("urgency"), max_length=20, choices=Urgency.choices)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)

    class Meta:
        ordering = ["impact", "urgency"]
        verbose_name = _("priority rule")
        verbose_name_plural = _("priority matrix")
        constraints = [models.UniqueConstraint(fields=["impact", "urgency"], name="priority_rule_unique_cell")]

    def __str__(self) -> str:
        return f"{self.get_impact_display()} × {self.get_urgency_display()} → {self.priority}"


class TicketNumberSequence(models.Model):
    """The last number handed out per prefix and year; incremented under a row lock."""

    prefix = models.CharField(_("prefix"), max_length=16)
    year = models.PositiveSmallIntegerField(_("year"))
    last_value = models.PositiveIntegerField(_("last value"), default=0)

    class Meta:
        verbose_name = _("ticket number sequence")
        verbose_name_plural = _("ticket number sequences")
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="ticket_sequence_unique_year")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last_value}"


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


def _text(verbose: StrOrPromise) -> models.TextField:  # type: ignore[type-arg]
    return models.TextField(verbose, blank=True, validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])


class Ticket(NoDeleteModel):
    """A request for help with the standard template of MISSION §1 and its lifecycle state."""

    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH, validators=[MinLengthValidator(1)])
    description = _text(_("description"))

    # Requester and contact
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requester"), on_delete=models.PROTECT, related_name="tickets"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="tickets_created",
    )
    contact_name = models.CharField(_("contact name"), max_length=150, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    requester_type = models.CharField(
        _("requester type"), max_length=20, choices=RequesterType.choices, default=RequesterType.INTERNAL
    )

    # Classification
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.WEB)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    ticket_type = models.CharField(_("type"), max_length=20, choices=TicketType.choices, default=TicketType.FAULT)
    impact = models.CharField(_("impact"), max_length=20, choices=Impact.choices, default=Impact.SINGLE_USER)
    urgency = models.CharField(_("urgency"), max_length=20, choices=Urgency.choices, default=Urgency.MEDIUM)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices, default=Priority.P3)
    priority_is_overridden = models.BooleanField(_("priority overridden"), default=False)
    priority_override_reason = models.CharField(_("priority override reason"), max_length=500, blank=True)
    difficulty = models.PositiveSmallIntegerField(
        _("difficulty"), choices=Difficulty.choices, default=Difficulty.SIMPLE
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="tickets")

    # Problem details and environment
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    frequency = models.CharField(_("frequency"), max_length=20, choices=Frequency.choices, blank=True, default="")
    steps_to_reproduce = _text(_("steps to reproduce"))
    error_message = _text(_("error message"))
    attempted_measures = _text(_("already tried"))
    business_module = models.CharField(_("affected business module"), max_length=200, blank=True)
    device_model = models.CharField(_("device model / configuration"), max_length=200, blank=True)
    software_version = models.CharField(_("software version"), max_length=200, blank=True)
    operating_system = models.CharField(_("operating system"), max_length=200, blank=True)
    network_environment = models.CharField(_("network environment"), max_length=200, blank=True)

    # Work state
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.NEW)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    # Bumped by every action: the API's ETag, so a client's stale edit is refused (412).
    version = models.PositiveIntegerField(_("version"), default=1)
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopened_count = models.PositiveIntegerField(_("reopen count"), default=0)

    # Closure summary (MISSION §3): required to resolve
    closure_problem = _text(_("closure: problem"))
    closure_diagnosis = _text(_("closure: diagnosis"))
    closure_solution = _text(_("closure: solution"))
    closure_effect = _text(_("closure: effect"))
    closure_recommendations = _text(_("closure: recommendations"))

    # A narrower queryset than the base class declares.
    objects = TicketQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["status", "priority"], name="ticket_status_priority"),
            models.Index(fields=["team", "status"], name="ticket_team_status"),
            models.Index(fields=["requester", "-created_at"], name="ticket_requester_created"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["-created_at", "-id"], name="ticket_created"),
            # The list's status filter and priority ordering, both newest first within.
            models.Index(fields=["status", "-created_at", "-id"], name="ticket_status_created"),
            models.Index(fields=["priority", "-created_at", "-id"], name="ticket_priority_created"),
            # Open tickets of a team / of an assignee (or unassigned) newest first, without sorting
            # them: the team and workspace queues. Partial, so closed tickets (90 %) are not in it;
            # a query uses it when it repeats this exact condition (`open_status_condition`).
            models.Index(
                fields=["team", "-created_at", "-id"], condition=OPEN_STATUS_CONDITION, name="ticket_team_open_created"
            ),
            models.Index(
                fields=["assignee", "-created_at", "-id"],
                condition=OPEN_STATUS_CONDITION,
                name="ticket_assignee_open_created",
            ),
            # Most recently updated first: the workspace queues' default order, its "recently updated"
            # queue and the `updated_after` filter walk these instead of sorting every match.
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated"),
            models.Index(
                fields=["team", "-updated_at", "-id"], condition=OPEN_STATUS_CONDITION, name="ticket_team_open_updated"
            ),
            models.Index(
                fields=["assignee", "-updated_at", "-id"],
                condition=OPEN_STATUS_CONDITION,
                name="ticket_assignee_open_updated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def has_closure_summary(self) -> bool:
        return bool(self.closure_problem.strip() and self.closure_diagnosis.strip() and self.closure_solution.strip())


class TicketEvent(AppendOnlyModel):
    """One append-only entry on a ticket's timeline."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="events")
    # The kinds are registered by the apps that write them (tickets.events.register_event_kinds).
    kind = models.CharField(_("kind"), max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    is_internal = models.BooleanField(_("is internal"), default=False)
    body = _text(_("body"))
    data: models.JSONField[Any, Any] = models.JSONField(_("data"), default=dict, blank=True)

    objects = TicketEventQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_created")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} @ {self.created_at:%Y-%m-%d %H:%M}"


def attachment_path(instance: Attachment, filename: str) -> str:
    """Store under a generated name so user-chosen names never reach the file system."""
    return f"{instance.created_at:%Y/%m}/{uuid.uuid4().hex}"


class Attachment(NoDeleteModel):
    """A file uploaded to a ticket, served only through a permission-checked download."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="attachments")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    is_internal = models.BooleanField(_("is internal"), default=False)
    created_at = models.DateTimeField(_("created at"))

    objects = AttachmentQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class TicketAccessLog(AppendOnlyModel):
    """Who among the staff viewed which ticket, when and how (append-only, auditable)."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="access_log")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    accessed_at = models.DateTimeField(_("accessed at"))
    via = models.CharField(_("via"), max_length=10, choices=AccessChannel.choices)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    attachment = models.ForeignKey(
        Attachment,
        verbose_name=_("attachment downloaded"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Set when this read was the download of an attachment."),
    )

    class Meta:
        ordering = ["-accessed_at", "-id"]
        verbose_name = _("ticket access log entry")
        verbose_name_plural = _("ticket access log")
        indexes = [models.Index(fields=["ticket", "-accessed_at"], name="access_ticket_time")]

    def __str__(self) -> str:
        if self.attachment_id is not None:
            return f"{self.user_id} downloaded attachment {self.attachment_id} of {self.ticket_id} via {self.via}"
        return f"{self.user_id} viewed {self.ticket_id} via {self.via}"
