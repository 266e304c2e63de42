"""Every state change of a ticket. Views, API, CLI and jobs call these and nothing else."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sopdesk.accounts.models import Team, User
from sopdesk.core import config_cache
from sopdesk.core.errors import ActionError, NotFound, PermissionRefused, PreconditionFailed, TransitionRefused
from sopdesk.core.validation import ValidationFailed, check_no_nulls, validate_instance
from sopdesk.lib.priority import compute_priority
from sopdesk.lib.priority import raise_priority as priority_raised
from sopdesk.lib.text import has_forbidden_characters, has_forbidden_name_characters
from sopdesk.notifications.outbox import are_notifications_suppressed, enqueue
from sopdesk.tickets import events, lifecycle
from sopdesk.tickets.assignment_checks import assignment_refusal
from sopdesk.tickets.attachments import check_upload
from sopdesk.tickets.cached import ticket_config
from sopdesk.tickets.choices import AWAITING_CONFIRMATION, AccessChannel, EventKind, Priority, Status
from sopdesk.tickets.guards import transition_guards
from sopdesk.tickets.models import (
    TEXT_MAX_LENGTH,
    Attachment,
    Category,
    Tag,
    Ticket,
    TicketAccessLog,
    TicketEvent,
)
from sopdesk.tickets.notifications import notifications_for_event
from sopdesk.tickets.numbering import next_ticket_number
from sopdesk.tickets.observers import changed
from sopdesk.tickets.querysets import may_write_ticket
from sopdesk.tickets.routers import RoutingChoice, registered_router

# Descriptive fields a creator or staff editor may set; everything else has its own action.
DETAIL_FIELDS: tuple[str, ...] = (
    "title",
    "description",
    "contact_name",
    "contact_phone",
    "contact_email",
    "channel",
    "ticket_type",
    "impact",
    "urgency",
    "difficulty",
    "occurred_at",
    "frequency",
    "steps_to_reproduce",
    "error_message",
    "attempted_measures",
    "business_module",
    "device_model",
    "software_version",
    "operating_system",
    "network_environment",
)
# Fields only staff may set when creating or editing (requesters describe, staff classify).
STAFF_ONLY_DETAIL_FIELDS = frozenset({"difficulty"})
MAX_TAGS = 20


@dataclass
class TicketDraft:
    """What a creator submits; `details` holds DETAIL_FIELDS values."""

    details: dict[str, Any]
    category: Category | None = None
    tags: Sequence[str] = field(default_factory=list)


@dataclass(frozen=True)
class ClosureSummary:
    problem: str
    diagnosis: str
    solution: str
    effect: str = ""
    recommendations: str = ""


def priority_matrix() -> dict[tuple[str, str], str]:
    """Return the admin-edited cells of the impact × urgency matrix."""
    return dict(ticket_config().matrix)


def computed_priority(ticket: Ticket) -> str:
    """Return the priority the published rule gives `ticket` (matrix plus customer-level boost)."""
    boost = 0
    if ticket.organization_id is not None:
        level = ticket.organization.customer_level  # type: ignore[union-attr]
        boost = level.priority_boost if level else 0
    return compute_priority(impact=ticket.impact, urgency=ticket.urgency, boost=boost, matrix=ticket_config().matrix)


def _intake_team(category: Category | None) -> Team | None:
    if category is not None and category.default_team_id is not None:
        return category.default_team
    return ticket_config().intake_team


def _route(ticket: Ticket) -> RoutingChoice | None:
    """Give the unsaved `ticket` its team: the registered router's choice, else the built-in default."""
    router = registered_router()
    if router is None:
        ticket.team = _intake_team(ticket.category)
        return None
    choice = router.route(ticket)
    ticket.team = choice.team
    return choice


def _set_tags(ticket: Ticket, names: Sequence[str]) -> None:
    cleaned = sorted({name.strip()[:50] for name in names if name.strip()})
    if len(cleaned) > MAX_TAGS:
        raise ActionError(_("At most %(count)d tags are allowed.") % {"count": MAX_TAGS}, field="tags")
    if any(has_forbidden_name_characters(name) for name in cleaned):
        raise ActionError(
            _("Must be one line without control, invisible or direction-changing characters."), field="tags"
        )
    tags = [Tag.objects.get_or_create(name=name)[0] for name in cleaned]
    ticket.tags.set(tags)


def _check_detail_keys(details: Mapping[str, Any], *, actor: User) -> None:
    unknown = sorted(set(details) - set(DETAIL_FIELDS))
    if unknown:
        raise ActionError(_("Unknown field: %(name)s") % {"name": unknown[0]}, field=unknown[0])
    if actor.is_requester:
        refused = sorted(set(details) & STAFF_ONLY_DETAIL_FIELDS)
        if refused:
            raise PermissionRefused(_("Only staff may set this field."), field=refused[0])


def _trimmed_title(details: Mapping[str, Any]) -> dict[str, Any]:
    """Return `details` with the title trimmed, so that a title of only spaces counts as empty."""
    result = dict(details)
    if isinstance(result.get("title"), str):
        result["title"] = result["title"].strip()
    return result


def check_may_create_for(actor: User, *, requester_username: str | None) -> None:
    """Refuse read-only roles, and requesters naming someone else (before anyone looks the name up)."""
    if actor.is_read_only:
        raise PermissionRefused(_("Your role may not create tickets."))
    if actor.is_requester and requester_username not in (None, "", actor.username):
        raise PermissionRefused(_("Requesters can only create tickets for themselves."), field="requester")


def check_may_assign(actor: User) -> None:
    """Refuse requesters (before the view looks up teams and people for them)."""
    if actor.is_requester:
        raise PermissionRefused(_("Only staff may assign tickets."), field="assignee")


@contextmanager
def _changing(ticket: Ticket, *, actor: User | None, expected_version: int | None = None) -> Iterator[Ticket]:
    """Open the action's transaction with `ticket` locked, reloaded and checked writable by `actor`.

    Every ticket action decides on the row as it is now, not as its caller read it: the row is
    locked (`SELECT … FOR UPDATE` on PostgreSQL; on SQLite the transaction starts with
    `BEGIN IMMEDIATE`, which already serialises writers) and reloaded into `ticket`. An actor who
    may not change the ticket is refused here, whoever calls (API, web UI, mail, jobs); `actor`
    None is the system (SLA escalations). `expected_version` is the client's `If-Match`.
    """
    with transaction.atomic():
        rows = Ticket.objects.all() if actor is None else Ticket.objects.writable_by(actor, by_key=True)
        try:
            ticket.refresh_from_db(from_queryset=rows.select_for_update(of=("self",)))
        except Ticket.DoesNotExist:
            if actor is not None and Ticket.objects.visible_to(actor, by_key=True).filter(pk=ticket.pk).exists():
                raise PermissionRefused(_("You may read this ticket but not change it.")) from None
            raise NotFound(_("No such ticket.")) from None
        if expected_version is not None and ticket.version != expected_version:
            raise PreconditionFailed(
                _("The ticket was changed by someone else since you loaded it; reload it and try again.")
            )
        yield ticket


@contextmanager
def changing_ticket(ticket: Ticket, *, actor: User, expected_version: int | None = None) -> Iterator[Ticket]:
    """Lock, reload and check `ticket` writable by `actor`, for the actions of apps above tickets.

    The same rule as every ticket action here (403 readable but not writable, 404 unseen, 412
    stale `expected_version`); record the change inside the block and call `ticket_touched`.
    """
    with _changing(ticket, actor=actor, expected_version=expected_version):
        yield ticket


@contextmanager
def changing_ticket_as_system(ticket: Ticket) -> Iterator[Ticket]:
    """Lock and reload `ticket` for an action above tickets whose caller's right comes from elsewhere.

    For example a team answering a collaboration request about a ticket it cannot open: that
    action checks its own permission first; the lock and the reload are the same as for every
    ticket action.
    """
    with _changing(ticket, actor=None):
        yield ticket


def ticket_touched(ticket: Ticket, *, now: datetime) -> None:
    """Give a locked `ticket` a new version and update time: something was added to its timeline."""
    _save(ticket, now=now, fields=[])


def _save(ticket: Ticket, *, now: datetime, fields: Sequence[str]) -> None:
    """Save `fields` of a changed ticket with a new version and update time."""
    ticket.updated_at = now
    ticket.version += 1
    ticket.save(update_fields=[*dict.fromkeys(fields), "updated_at", "version"])


def create_ticket(*, actor: User, requester: User, draft: TicketDraft, now: datetime) -> Ticket:
    """Create a ticket for `requester` (the actor themself, or staff on their behalf) with a new number."""
    check_may_create_for(actor, requester_username=requester.username)
    if not requester.is_active:
        raise ActionError(_("The requester account is inactive."), field="requester")
    if draft.category is not None and not draft.category.is_active:
        raise ActionError(_("This category is no longer in use."), field="category")
    _check_detail_keys(draft.details, actor=actor)
    ticket = Ticket(
        requester=requester,
        created_by=actor,
        organization=requester.organization,
        department=requester.department,
        requester_type=requester.requester_type,
        category=draft.category,
        created_at=now,
        updated_at=now,
        **_trimmed_title(draft.details),
    )
    if not ticket.contact_name:
        ticket.contact_name = str(requester)
    if not ticket.contact_email:
        ticket.contact_email = requester.email
    if not ticket.contact_phone:
        ticket.contact_phone = requester.phone
    # The category is a stored row, checked active above: validating it would only re-read it.
    validate_instance(ticket, fields=DETAIL_FIELDS)
    # Routing and priority inside the transaction: on SQLite (BEGIN IMMEDIATE) the configuration
    # they read is the one committed before this creation, as the SLA policy read after them.
    with transaction.atomic(), config_cache.consistent():
        ticket.priority = computed_priority(ticket)
        routing = _route(ticket)  # rules may match on the priority
        year = timezone.localtime(now).year
        ticket.number = next_ticket_number(prefix=settings.SOPDESK_TICKET_PREFIX, year=year)
        ticket.save()
        if draft.tags:
            _set_tags(ticket, draft.tags)
        explained = routing.explain(ticket, now) if routing is not None else ()
        created = events.ticket_created(ticket, actor=actor, now=now, with_entries=explained)
        changed.ticket_created(ticket, now=now)
        _notify(created)  # the requester's acknowledgement
    return ticket


# The details a staff edit may clear; every other one refuses null.
NULLABLE_DETAILS = frozenset({"category", "occurred_at"})


def edit_ticket_details(
    ticket: Ticket, *, actor: User, changes: Mapping[str, Any], now: datetime, expected_version: int | None = None
) -> TicketEvent | None:
    """Change descriptive fields (staff); re-derive the priority unless it was overridden."""
    if actor.is_requester:
        raise PermissionRefused(_("Only staff may change ticket details."), field=next(iter(changes), None))
    check_no_nulls(changes, nullable=NULLABLE_DETAILS)
    changes = _trimmed_title(changes)
    _check_detail_keys({k: v for k, v in changes.items() if k not in {"category", "tags"}}, actor=actor)
    category = changes.get("category")
    if category is not None and not category.is_active:
        raise ActionError(_("This category is no longer in use."), field="category")
    with _changing(ticket, actor=actor, expected_version=expected_version):
        recorded: dict[str, Any] = {}
        update_fields: list[str] = []
        for name, value in changes.items():
            if name == "tags":
                continue
            old = getattr(ticket, name)
            if old != value:
                setattr(ticket, name, value)
                recorded[name] = {"from": _jsonable(old), "to": _jsonable(value)}
                update_fields.append(name)
        validate_instance(ticket, fields=update_fields)
        if "tags" in changes:
            before = sorted(ticket.tags.values_list("name", flat=True))
            _set_tags(ticket, changes["tags"])
            after = sorted(ticket.tags.values_list("name", flat=True))
            if before != after:
                recorded["tags"] = {"from": before, "to": after}
        if not recorded:
            return None
        old_priority = ticket.priority
        if not ticket.priority_is_overridden and {"impact", "urgency"} & set(recorded):
            ticket.priority = computed_priority(ticket)
            if ticket.priority != old_priority:
                update_fields.append("priority")
        _save(ticket, now=now, fields=update_fields)
        event = events.details_changed(ticket, actor=actor, now=now, changes=recorded)
        if ticket.priority != old_priority:
            events.priority_changed(
                ticket,
                actor=actor,
                now=now,
                from_priority=old_priority,
                reason=_("Impact or urgency changed."),
                is_override=False,
            )
        if ticket.priority != old_priority or {"category", "channel"} & set(recorded):
            # Policies match on priority, category and channel.
            changed.classification_changed(ticket, actor=actor, now=now)
        if "difficulty" in recorded:
            changed.difficulty_changed(ticket, actor=actor, now=now)  # level 4: the major-incident flag
        if {"title", "description"} & set(recorded):
            changed.text_changed(ticket, now=now)
    return event


def add_tags(
    ticket: Ticket, *, actor: User, names: Sequence[str], now: datetime, expected_version: int | None = None
) -> TicketEvent | None:
    """Add `names` to the ticket's tags (staff), keeping the ones it has; None when nothing was new.

    The tags are read on the locked row, so two agents tagging at once both keep their tag.
    """
    if actor.is_requester:
        raise PermissionRefused(_("Only staff may change ticket details."), field="tags")
    if not any(name.strip() for name in names):
        raise ActionError(_("Name at least one tag."), field="tags")
    with _changing(ticket, actor=actor, expected_version=expected_version):
        before = sorted(ticket.tags.values_list("name", flat=True))
        _set_tags(ticket, [*before, *names])
        after = sorted(ticket.tags.values_list("name", flat=True))
        if before == after:
            return None
        _save(ticket, now=now, fields=[])
        return events.details_changed(ticket, actor=actor, now=now, changes={"tags": {"from": before, "to": after}})


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def check_priority_reason(*, priority: str | None, reason: str | None) -> None:
    """Refuse a priority reason sent without a new priority (the reason belongs to an override)."""
    if priority is None and reason is not None:
        raise ActionError(_("A reason is only needed with a new priority."), field="reason")


def override_priority(
    ticket: Ticket, *, priority: str, reason: str, actor: User, now: datetime, expected_version: int | None = None
) -> TicketEvent:
    """Set the priority by hand (staff), recording the mandatory reason."""
    if actor.is_requester:
        raise PermissionRefused(_("Only staff may change the priority."), field="priority")
    if priority not in Priority.values:
        raise ActionError(_("Unknown priority."), field="priority")
    reason = reason.strip()
    if not reason:
        raise ActionError(_("A reason is required to override the priority."), field="reason")
    if len(reason) > 500 or has_forbidden_characters(reason):
        raise ActionError(_("The reason must be plain text of at most 500 characters."), field="reason")
    with _changing(ticket, actor=actor, expected_version=expected_version):
        if priority == ticket.priority:
            raise ActionError(_("The ticket already has this priority."), field="priority")
        old = ticket.priority
        ticket.priority = priority
        ticket.priority_is_overridden = True
        ticket.priority_override_reason = reason
        _save(ticket, now=now, fields=["priority", "priority_is_overridden", "priority_override_reason"])
        event = events.priority_changed(
            ticket, actor=actor, now=now, from_priority=old, reason=reason, is_override=True
        )
        changed.classification_changed(ticket, actor=actor, now=now)
    return event


def raise_priority(ticket: Ticket, *, now: datetime, reason: str) -> TicketEvent | None:
    """Raise the priority one step for the system (an SLA escalation rule); None when it is already P1."""
    with _changing(ticket, actor=None):
        old = ticket.priority
        higher = priority_raised(old, 1)
        if higher == old:
            return None
        ticket.priority = higher
        _save(ticket, now=now, fields=["priority"])
        event = events.priority_changed(
            ticket, actor=None, now=now, from_priority=old, reason=reason, is_override=False
        )
        changed.classification_changed(ticket, actor=None, now=now)
    return event


def move_to_team(ticket: Ticket, *, team: Team, now: datetime, reason: str) -> TicketEvent | None:
    """Move `ticket` to `team` for the system (an SLA escalation): the assignee is cleared so the team picks it up.

    Returns None when there is nothing to do (finished ticket, inactive team, already there unassigned).
    """
    with _changing(ticket, actor=None):
        if ticket.status in (Status.RESOLVED, Status.CLOSED) or not team.is_active:
            return None
        if ticket.team_id == team.pk and ticket.assignee_id is None:
            return None
        from_team, from_assignee = ticket.team_id, ticket.assignee_id
        old_status = ticket.status
        ticket.team = team
        ticket.assignee = None
        if ticket.status == Status.ASSIGNED:
            ticket.status = Status.NEW
        _save(ticket, now=now, fields=["team", "assignee", "status"])
        event = events.assigned(
            ticket, actor=None, now=now, from_team=from_team, from_assignee=from_assignee, note=reason
        )
        if ticket.status != old_status:
            events.status_changed(
                ticket, actor=None, now=now, from_status=old_status, to_status=ticket.status, reason=reason
            )
            changed.status_changed(ticket, from_status=old_status, actor=None, now=now)
        if ticket.team_id != from_team:
            changed.team_changed(ticket, from_team_id=from_team, now=now)
    return event


def assign_locked(
    ticket: Ticket, *, team: Team, assignee: User | None, now: datetime, also: Sequence[TicketEvent] = ()
) -> TicketEvent:
    """System path for a follower inside a running ticket action (the row is locked): set team and assignee.

    Automatic assignment calls this from `changed.ticket_created` / `changed.team_changed`; it records
    the assignment (with `also`, unsaved entries of the caller's kinds, in the same statement), tells
    the clocks and notifies the assignee. It does not announce a team change again: the caller is the
    one deciding in teams.
    """
    from_team, from_assignee = ticket.team_id, ticket.assignee_id
    old_status = ticket.status
    ticket.team = team
    ticket.assignee = assignee
    if assignee is not None and ticket.status == Status.NEW:
        ticket.status = Status.ASSIGNED
    elif assignee is None and ticket.status == Status.ASSIGNED:
        ticket.status = Status.NEW
    _save(ticket, now=now, fields=["team", "assignee", "status"])
    event = events.new_event(
        ticket,
        EventKind.ASSIGNED,
        actor=None,
        now=now,
        is_internal=True,
        data={
            "team": {"from": from_team, "to": team.pk},
            "assignee": {"from": from_assignee, "to": ticket.assignee_id},
        },
    )
    entries = [event]
    if ticket.status != old_status:
        entries.append(
            events.new_event(
                ticket, EventKind.STATUS_CHANGED, actor=None, now=now, data={"from": old_status, "to": ticket.status}
            )
        )
    events.record_many([*entries, *also])
    changed.ticket_assigned(ticket, now=now)
    if ticket.status != old_status:
        changed.status_changed(ticket, from_status=old_status, actor=None, now=now)
    if assignee is not None:
        _notify(event)
    return event


def may_be_reassigned(ticket: Ticket) -> bool:
    """Whether `ticket`'s team and assignee may still change: not once it is resolved or closed."""
    return ticket.status not in (Status.RESOLVED, Status.CLOSED)


def assign_ticket(
    ticket: Ticket,
    *,
    team: Team | None,
    assignee: User | None,
    actor: User,
    now: datetime,
    note: str = "",
    cosigner: User | None = None,
    expected_version: int | None = None,
) -> TicketEvent:
    """Route `ticket` to `team` and/or `assignee`, record the event and notify the assignee after commit.

    `cosigner` is the certified colleague who signs for an assignee not certified to work alone
    (the registered assignment checks decide who needs one).
    """
    check_may_assign(actor)
    if cosigner is not None and assignee is None:
        raise ActionError(_("A co-signer is only needed with an assignee."), field="cosigner")
    if team is not None and not team.is_active:
        raise ActionError(_("This team is inactive."), field="team")
    if assignee is not None and not assignee.is_agent_staff:
        raise ActionError(_("Tickets can only be assigned to active staff."), field="assignee")
    if has_forbidden_characters(note) or len(note) > TEXT_MAX_LENGTH:
        raise ActionError(_("The note must be plain text."), field="note")
    with _changing(ticket, actor=actor, expected_version=expected_version):
        if not may_be_reassigned(ticket):
            raise ActionError(_("Resolved and closed tickets cannot be reassigned."), field="assignee")
        target_team = team if team is not None else ticket.team
        if assignee is not None and (target_team is None or not target_team.memberships.filter(user=assignee).exists()):
            raise ActionError(_("The assignee is not a member of the ticket's team."), field="assignee")
        from_team, from_assignee = ticket.team_id, ticket.assignee_id
        if (
            target_team is not None
            and target_team.pk == from_team
            and (assignee.pk if assignee else None) == from_assignee
        ):
            raise ActionError(_("The ticket is already assigned this way."), field="assignee")
        if assignee is not None:
            refusal = assignment_refusal(
                ticket, team=target_team, assignee=assignee, cosigner=cosigner, actor=actor, now=now
            )
            if refusal is not None:
                raise refusal
        ticket.team = target_team
        ticket.assignee = assignee
        old_status = ticket.status
        if assignee is not None and ticket.status == Status.NEW:
            ticket.status = Status.ASSIGNED
        elif assignee is None and ticket.status == Status.ASSIGNED:
            ticket.status = Status.NEW
        _save(ticket, now=now, fields=["team", "assignee", "status"])
        event = events.assigned(
            ticket,
            actor=actor,
            now=now,
            from_team=from_team,
            from_assignee=from_assignee,
            note=note.strip(),
            cosigner=cosigner.pk if cosigner is not None else None,
        )
        if ticket.status != old_status:
            events.status_changed(
                ticket, actor=actor, now=now, from_status=old_status, to_status=ticket.status, reason=""
            )
        changed.ticket_assigned(ticket, now=now)
        if ticket.status != old_status:
            changed.status_changed(ticket, from_status=old_status, actor=actor, now=now)
        if ticket.team_id != from_team:
            changed.team_changed(ticket, from_team_id=from_team, now=now)
        if assignee is not None and assignee.pk != actor.pk:
            _notify(event)
    return event


def _closure_from(ticket: Ticket, closure: ClosureSummary | None) -> ClosureSummary | None:
    if closure is not None:
        return closure
    if ticket.has_closure_summary:
        return ClosureSummary(
            problem=ticket.closure_problem,
            diagnosis=ticket.closure_diagnosis,
            solution=ticket.closure_solution,
            effect=ticket.closure_effect,
            recommendations=ticket.closure_recommendations,
        )
    return None


def _store_closure(ticket: Ticket, closure: ClosureSummary) -> list[str]:
    errors: dict[str, list[str]] = {}
    for name in ("problem", "diagnosis", "solution"):
        if not getattr(closure, name).strip():
            errors[f"closure.{name}"] = [_("This part of the closure summary is required.")]
    for name in ("problem", "diagnosis", "solution", "effect", "recommendations"):
        value = getattr(closure, name)
        if len(value) > TEXT_MAX_LENGTH or has_forbidden_characters(value):
            errors[f"closure.{name}"] = [
                _("Must be plain text of at most %(max)d characters.") % {"max": TEXT_MAX_LENGTH}
            ]
    if errors:
        raise ValidationFailed(errors)
    ticket.closure_problem = closure.problem.strip()
    ticket.closure_diagnosis = closure.diagnosis.strip()
    ticket.closure_solution = closure.solution.strip()
    ticket.closure_effect = closure.effect.strip()
    ticket.closure_recommendations = closure.recommendations.strip()
    return ["closure_problem", "closure_diagnosis", "closure_solution", "closure_effect", "closure_recommendations"]


def transition_refusal(ticket: Ticket, *, to_status: str, actor: User, now: datetime) -> ActionError | None:
    """Return why `actor` may not move `ticket` to `to_status` now, or None when the move is allowed.

    The one rule for status moves: `change_status` raises what this returns, and the moves a
    ticket offers (API `allowed_transitions`, the UI's buttons) are the targets it allows. Whether
    the actor may change the ticket at all is the row rule (`Ticket.objects.writable_by`), checked
    by the action and by `allowed_transitions`. Inputs the move needs (a closure summary, a
    reason) are not part of it: a move is offered when it can succeed with them.
    """
    if to_status not in Status.values:
        return ActionError(_("Unknown status."), field="to_status")
    target = Status(to_status)
    current = Status(ticket.status)
    if target == current:
        return TransitionRefused(_("The ticket is already in this status."), field="to_status")
    if not lifecycle.is_allowed(current, target):
        return TransitionRefused(
            _("A ticket cannot go from “%(from)s” to “%(to)s”.") % {"from": current.label, "to": target.label},
            field="to_status",
        )
    if actor.is_requester and (current, target) not in lifecycle.REQUESTER_TRANSITIONS:
        return PermissionRefused(_("Only staff may make this change."), field="to_status")
    if target == Status.ASSIGNED and ticket.assignee_id is None:
        return TransitionRefused(_("Assign the ticket to someone first."), field="to_status")
    window = timedelta(days=settings.SOPDESK_REOPEN_WINDOW_DAYS)
    if (
        lifecycle.is_reopen(current, target)
        and current == Status.CLOSED
        and (ticket.closed_at is None or now - ticket.closed_at > window)
    ):
        return TransitionRefused(
            _("Closed tickets can only be reopened within %(days)d days; open a new ticket instead.")
            % {"days": settings.SOPDESK_REOPEN_WINDOW_DAYS},
            field="to_status",
        )
    for guard in transition_guards():
        refusal = guard.refusal(ticket, to_status=target, actor=actor, now=now)
        if refusal is not None:
            return refusal
    return None


def allowed_transitions(ticket: Ticket, *, actor: User, now: datetime) -> list[Status]:
    """Return the statuses `actor` may move `ticket` to now, in lifecycle order (none when read-only)."""
    if not may_write_ticket(ticket, actor):
        return []
    return [
        target
        for target in lifecycle.allowed_targets(ticket.status)
        if transition_refusal(ticket, to_status=target, actor=actor, now=now) is None
    ]


def change_status(
    ticket: Ticket,
    *,
    to_status: str,
    actor: User,
    now: datetime,
    reason: str = "",
    closure: ClosureSummary | None = None,
    expected_version: int | None = None,
) -> TicketEvent:
    """Move `ticket` along the transition table; resolving needs a closure summary, reopening a reason."""
    if to_status not in Status.values:
        raise ActionError(_("Unknown status."), field="to_status")
    reason = reason.strip()
    if len(reason) > TEXT_MAX_LENGTH or has_forbidden_characters(reason):
        raise ActionError(_("The reason must be plain text."), field="reason")
    with _changing(ticket, actor=actor, expected_version=expected_version):
        refusal = transition_refusal(ticket, to_status=to_status, actor=actor, now=now)
        if refusal is not None:
            raise refusal
        if actor.is_requester and closure is not None:
            # Requesters confirm the summary staff proposed; they never write it.
            raise PermissionRefused(_("Only staff may make this change."), field="closure")
        target = Status(to_status)
        current = Status(ticket.status)
        if lifecycle.is_reopen(current, target):
            return _reopen(ticket, actor=actor, now=now, reason=reason)
        update_fields = ["status"]
        if target in (Status.RESOLVED, Status.PENDING_CONFIRMATION):
            # The stored summary carries over only when the proposed fix is confirmed; after a
            # rejected fix or a reopen it describes a solution that did not work.
            summary = _closure_from(ticket, closure) if current == Status.PENDING_CONFIRMATION else closure
            if summary is None:
                raise ValidationFailed(
                    {"closure": [_("Resolving needs a closure summary: problem, diagnosis and solution.")]}
                )
            update_fields += _store_closure(ticket, summary)
        if target == Status.RESOLVED:
            ticket.resolved_at = now
            update_fields.append("resolved_at")
        if target == Status.CLOSED:
            ticket.closed_at = now
            update_fields.append("closed_at")
        ticket.status = target
        _save(ticket, now=now, fields=update_fields)
        event = events.status_changed(
            ticket, actor=actor, now=now, from_status=current, to_status=target, reason=reason
        )
        changed.status_changed(ticket, from_status=current, actor=actor, now=now)
        _notify(event)
    return event


def _reopen(ticket: Ticket, *, actor: User, now: datetime, reason: str) -> TicketEvent:
    """Reopen a resolved or closed ticket (inside change_status's locked transaction)."""
    if not reason:
        raise ActionError(_("Say why the ticket is reopened."), field="reason")
    current = Status(ticket.status)
    ticket.status = Status.IN_PROGRESS
    ticket.reopened_count += 1
    ticket.resolved_at = None
    ticket.closed_at = None
    _save(ticket, now=now, fields=["status", "reopened_count", "resolved_at", "closed_at"])
    event = events.reopened(ticket, actor=actor, now=now, from_status=current, reason=reason)
    changed.status_changed(ticket, from_status=current, actor=actor, now=now)
    _notify(event)
    return event


def add_comment(
    ticket: Ticket, *, actor: User, body: str, is_internal: bool, now: datetime, expected_version: int | None = None
) -> TicketEvent:
    """Add a public reply or an internal note; a staff reply is the first response, a requester reply ends a wait."""
    if is_internal and actor.is_requester:
        raise PermissionRefused(_("Requesters cannot write internal notes."), field="is_internal")
    text = body.strip()
    if not text:
        raise ActionError(_("The comment is empty."), field="body")
    if len(text) > TEXT_MAX_LENGTH:
        raise ActionError(_("The comment is longer than %(max)d characters.") % {"max": TEXT_MAX_LENGTH}, field="body")
    if has_forbidden_characters(text):
        raise ActionError(_("Must not contain control characters."), field="body")
    with _changing(ticket, actor=actor, expected_version=expected_version):
        event = events.comment_added(ticket, actor=actor, now=now, body=text, is_internal=is_internal)
        update_fields = []
        is_staff_reply = not is_internal and not actor.is_requester
        if is_staff_reply and ticket.first_responded_at is None:
            ticket.first_responded_at = now
            update_fields.append("first_responded_at")
        ends_wait = actor.is_requester and ticket.status == Status.PENDING_CUSTOMER
        if ends_wait:
            ticket.status = Status.IN_PROGRESS
            update_fields.append("status")
            events.status_changed(
                ticket,
                actor=actor,
                now=now,
                from_status=Status.PENDING_CUSTOMER,
                to_status=Status.IN_PROGRESS,
                reason=_("The requester replied."),
            )
        _save(ticket, now=now, fields=update_fields)
        changed.text_changed(ticket, now=now)
        if is_staff_reply:
            changed.public_reply_added(ticket, now=now)
        if ends_wait:
            changed.status_changed(ticket, from_status=Status.PENDING_CUSTOMER, actor=actor, now=now)
        if not is_internal:
            _notify(event)
    return event


def add_attachment(
    ticket: Ticket,
    *,
    actor: User,
    upload: UploadedFile,
    is_internal: bool,
    now: datetime,
    expected_version: int | None = None,
) -> Attachment:
    """Check and store an uploaded file under a generated name and record it on the timeline."""
    if is_internal and actor.is_requester:
        raise PermissionRefused(_("Requesters cannot add internal attachments."), field="is_internal")
    checked = check_upload(upload)
    with _changing(ticket, actor=actor, expected_version=expected_version):
        attachment = Attachment(
            ticket=ticket,
            uploaded_by=actor,
            original_name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            is_internal=is_internal,
            created_at=now,
        )
        attachment.file.save(checked.name, upload, save=False)
        attachment.save()
        events.attachment_added(
            ticket, actor=actor, now=now, attachment_id=attachment.pk, name=checked.name, is_internal=is_internal
        )
        _save(ticket, now=now, fields=[])
    return attachment


def record_ticket_view(
    ticket: Ticket,
    *,
    user: User,
    via: AccessChannel,
    now: datetime,
    ip_address: str | None,
    attachment: Attachment | None = None,
) -> None:
    """Append a staff read of `ticket` (or the download of one of its `attachment`s) to the access log.

    Every staff role is recorded, read-only auditors included; requesters reading their own tickets
    through the API or the web are not audited. In the admin every reader is recorded.
    """
    if user.is_requester and via != AccessChannel.ADMIN:
        return
    TicketAccessLog.objects.create(
        ticket=ticket, user=user, accessed_at=now, via=via, ip_address=ip_address, attachment=attachment
    )


def _notify(event: TicketEvent) -> None:
    """Queue the notifications of `event` in the current transaction; they are delivered after commit."""
    if are_notifications_suppressed():
        return  # skip rendering too: bulk imports write thousands of events
    # The keys name `event`, inserted in this transaction: none can be stored yet.
    enqueue(notifications_for_event(event), now=event.created_at, keys_are_new=True)


def close_unanswered(ticket: Ticket, *, kind: str, now: datetime, reason: str) -> TicketEvent | None:
    """System path: close `ticket`, resolved or pending confirmation, whose requester did not answer.

    The requester's silence confirms the fix, so a proposed fix (pending confirmation) closes too,
    with its stored summary. The event is of the caller's registered `kind` with no actor (the
    system). Return None, changing nothing, when the ticket no longer waits for confirmation.
    """
    with _changing(ticket, actor=None):
        current = Status(ticket.status)
        if current not in AWAITING_CONFIRMATION:
            return None
        ticket.status = Status.CLOSED
        ticket.closed_at = now
        update_fields = ["status", "closed_at"]
        if ticket.resolved_at is None:
            ticket.resolved_at = now
            update_fields.append("resolved_at")
        _save(ticket, now=now, fields=update_fields)
        event = events.new_event(
            ticket,
            kind,
            actor=None,
            now=now,
            body=reason,
            data={"from": current.value, "to": Status.CLOSED.value, "automatic": True},
        )
        event.save(force_insert=True)
        changed.status_changed(ticket, from_status=current, actor=None, now=now)
    return event


def set_priority_for_system(ticket: Ticket, *, priority: str, now: datetime, reason: str) -> TicketEvent | None:
    """System path: set the priority a configured source chose (an alert's severity).

    Kept as an override with `reason` (also when the rule gave the same priority), so later impact
    or urgency edits keep it; the timeline entry is written only when the priority changed (None otherwise).
    """
    if priority not in Priority.values:
        raise ActionError(_("Unknown priority."), field="priority")
    with _changing(ticket, actor=None):
        old = ticket.priority
        ticket.priority = priority
        ticket.priority_is_overridden = True
        ticket.priority_override_reason = reason[:500]
        _save(ticket, now=now, fields=["priority", "priority_is_overridden", "priority_override_reason"])
        if priority == old:
            return None
        event = events.priority_changed(ticket, actor=None, now=now, from_priority=old, reason=reason, is_override=True)
        changed.classification_changed(ticket, actor=None, now=now)
    return event


def resolve_for_system(
    ticket: Ticket, *, on_behalf_of: User, closure: ClosureSummary, reason: str, now: datetime
) -> TicketEvent | None:
    """System path: resolve `ticket` because its source reported the problem gone (a cleared alert).

    `on_behalf_of` is the account the source works as; the registered transition guards judge the
    move for it (open collaboration requests keep the ticket open). Returns None, changing nothing,
    when the ticket is already resolved or closed, or when the move is not allowed now.
    """
    with _changing(ticket, actor=None):
        current = Status(ticket.status)
        if current in (Status.RESOLVED, Status.CLOSED) or not lifecycle.is_allowed(current, Status.RESOLVED):
            return None
        if any(
            guard.refusal(ticket, to_status=Status.RESOLVED, actor=on_behalf_of, now=now) is not None
            for guard in transition_guards()
        ):
            return None
        update_fields = ["status", "resolved_at", *_store_closure(ticket, closure)]
        ticket.status = Status.RESOLVED
        ticket.resolved_at = now
        _save(ticket, now=now, fields=update_fields)
        event = events.status_changed(
            ticket, actor=None, now=now, from_status=current, to_status=Status.RESOLVED, reason=reason
        )
        changed.status_changed(ticket, from_status=current, actor=None, now=now)
        _notify(event)
    return event
