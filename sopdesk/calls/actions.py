"""Logging phone calls: the one write path for the API and the agent's screens.

A call is logged against an existing ticket (locked and checked writable like every ticket action)
or creates a new ticket on the phone channel for the caller. Either way the call is written with a
timeline entry in the ticket's transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import User
from sopdesk.calls.choices import CallDirection, CallEventKind, CallOutcome
from sopdesk.calls.models import PhoneCall
from sopdesk.core.errors import ActionError, PermissionRefused
from sopdesk.core.validation import TextInputs, ValidationFailed
from sopdesk.tickets.actions import TicketDraft, changing_ticket, create_ticket, ticket_touched
from sopdesk.tickets.choices import Channel
from sopdesk.tickets.events import new_event
from sopdesk.tickets.models import TEXT_MAX_LENGTH, TITLE_MAX_LENGTH, Ticket

# Clocks of phones and desks differ a little: a time this far ahead of `now` is still accepted.
CLOCK_TOLERANCE = timedelta(minutes=2)
# A call lasting longer than this is a typing mistake, not a call.
MAX_CALL_DURATION = timedelta(hours=12)
_PHONE_NUMBER = re.compile(r"^\+?[0-9][0-9 ()\-./]{0,38}$")


@dataclass(frozen=True)
class CallDetails:
    """What an agent records about one call."""

    caller_number: str
    ring_at: datetime
    caller_name: str = ""
    direction: str = CallDirection.INBOUND
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    duration_seconds: int | None = None
    notes: str = ""
    outcome: str = CallOutcome.ANSWERED_ON_CALL


def phone_digits(number: str) -> str:
    """Return the digits of a phone number (the form numbers are compared in)."""
    return re.sub(r"\D", "", number)


def same_phone_number(first: str, second: str) -> bool:
    """Return True when two numbers name the same phone: the same digits, ignoring leading zeros
    (trunk prefix) and a country code of up to three digits in front of one of them."""
    a, b = phone_digits(first).lstrip("0"), phone_digits(second).lstrip("0")
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) < 5:
        return False
    return shorter == longer or (len(shorter) >= 7 and len(longer) - len(shorter) <= 3 and longer.endswith(shorter))


def may_log_calls(actor: User) -> bool:
    """Return True when `actor`'s role logs calls: staff who may change tickets."""
    return actor.is_active and not actor.is_requester and not actor.is_read_only


def check_may_log_calls(actor: User) -> None:
    """Refuse actors whose role does not log calls (before anything is looked up for them)."""
    if not may_log_calls(actor):
        raise PermissionRefused(_("Only staff may log phone calls."))


def _checked(details: CallDetails, *, now: datetime) -> CallDetails:
    """Return `details` trimmed, or raise ValidationFailed naming every refused field."""
    texts = TextInputs()
    number = texts.take("caller_number", details.caller_number, required=True, max_length=40, one_line=True)
    name = texts.take("caller_name", details.caller_name, required=False, max_length=150, one_line=True)
    notes = texts.take("notes", details.notes, required=False, max_length=TEXT_MAX_LENGTH)
    errors = texts.errors
    if number and "caller_number" not in errors and not _PHONE_NUMBER.match(number):
        errors["caller_number"] = [_("Enter a phone number: digits, with an optional leading + and separators.")]
    if details.direction not in CallDirection.values:
        errors["direction"] = [_("Unknown direction.")]
    if details.outcome not in CallOutcome.values:
        errors["outcome"] = [_("Unknown outcome.")]
    latest = now + CLOCK_TOLERANCE
    for field in ("ring_at", "answered_at", "ended_at"):
        value = getattr(details, field)
        if value is not None and value > latest:
            errors[field] = [_("This time is in the future.")]
    ring, answered, ended = details.ring_at, details.answered_at, details.ended_at
    if answered is not None and answered < ring and "answered_at" not in errors:
        errors["answered_at"] = [_("A call cannot be answered before it rang.")]
    if ended is not None and "ended_at" not in errors:
        if ended < (answered or ring):
            errors["ended_at"] = [_("A call cannot end before it rang or was answered.")]
        elif ended - ring > MAX_CALL_DURATION:
            errors["ended_at"] = [_("A call cannot last longer than 12 hours.")]
    duration = details.duration_seconds
    if duration is not None:
        if duration < 0:
            errors["duration_seconds"] = [_("The duration cannot be negative.")]
        elif duration > MAX_CALL_DURATION.total_seconds():
            errors["duration_seconds"] = [_("A call cannot last longer than 12 hours.")]
    if details.outcome == CallOutcome.MISSED and answered is not None:
        errors["outcome"] = [_("A missed call has no answer time.")]
    if errors:
        raise ValidationFailed(errors)
    if duration is None and answered is not None and ended is not None:
        duration = int((ended - answered).total_seconds())  # the talk time
    return CallDetails(
        caller_number=number,
        caller_name=name,
        direction=details.direction,
        ring_at=ring,
        answered_at=answered,
        ended_at=ended,
        duration_seconds=duration,
        notes=notes,
        outcome=details.outcome,
    )


def requesters_with_number(number: str) -> list[User]:
    """Return the active requesters whose phone number has the digits of `number` (none when it has too few)."""
    digits = phone_digits(number)
    if len(digits) < 5:
        return []
    # Narrow in the database by the last four digits, with whatever separators people typed
    # between them; compare the whole number here.
    ending = r"\D*".join(digits[-4:]) + r"\D*$"
    candidates = User.objects.filter(is_active=True, role=Role.REQUESTER, phone__regex=ending)
    return [user for user in candidates[:50] if same_phone_number(user.phone, number)]


def _record(ticket: Ticket, details: CallDetails, *, actor: User, now: datetime, created_ticket: bool) -> PhoneCall:
    """Write the call and its timeline entry on the locked `ticket`."""
    call = PhoneCall(
        ticket=ticket,
        agent=actor,
        caller_number=details.caller_number,
        caller_name=details.caller_name,
        direction=details.direction,
        ring_at=details.ring_at,
        answered_at=details.answered_at,
        ended_at=details.ended_at,
        duration_seconds=details.duration_seconds,
        notes=details.notes,
        outcome=details.outcome,
        created_ticket=created_ticket,
        created_at=now,
    )
    call.save(force_insert=True)
    event = new_event(
        ticket,
        CallEventKind.PHONE_CALL_LOGGED,
        actor=actor,
        now=now,
        body=details.notes,
        # Call notes are the agent's record of a conversation, not a message to the requester.
        is_internal=True,
        data={
            "phone_call": call.pk,
            "direction": call.direction,
            "caller_number": call.caller_number,
            "caller_name": call.caller_name,
            "answer_seconds": call.answer_seconds,
            "duration_seconds": call.duration_seconds,
            "outcome": call.outcome,
        },
    )
    event.save(force_insert=True)
    ticket_touched(ticket, now=now)
    return call


def log_call(ticket: Ticket, *, actor: User, details: CallDetails, now: datetime) -> PhoneCall:
    """Log a call about the existing `ticket` (staff who may change it)."""
    check_may_log_calls(actor)
    details = _checked(details, now=now)
    with changing_ticket(ticket, actor=actor):
        return _record(ticket, details, actor=actor, now=now, created_ticket=False)


def log_call_creating_ticket(
    *,
    actor: User,
    details: CallDetails,
    title: str,
    now: datetime,
    requester: User | None = None,
    description: str = "",
) -> PhoneCall:
    """Log a call that opens a new ticket on the phone channel.

    The requester is the one chosen, else the single active requester whose phone number is the
    caller's; with none or several matches the agent must choose.
    """
    check_may_log_calls(actor)
    texts = TextInputs()
    title = texts.take("title", title, required=True, max_length=TITLE_MAX_LENGTH, one_line=True)
    description = texts.take("description", description, required=False, max_length=TEXT_MAX_LENGTH)
    try:
        details = _checked(details, now=now)
    except ValidationFailed as failed:
        texts.errors.update(failed.errors)
    texts.check()
    if requester is None:
        matches = requesters_with_number(details.caller_number)
        if len(matches) != 1:
            message = (
                _("No requester has this phone number; choose the requester.")
                if not matches
                else _("Several requesters have this phone number; choose the requester.")
            )
            raise ActionError(message, field="requester")
        requester = matches[0]
    draft = TicketDraft(
        details={
            "title": title,
            "description": description or details.notes,
            "channel": Channel.PHONE,
            "contact_phone": details.caller_number,
            "contact_name": details.caller_name,
        }
    )
    with transaction.atomic():
        ticket = create_ticket(actor=actor, requester=requester, draft=draft, now=now)
        with changing_ticket(ticket, actor=actor):
            return _record(ticket, details, actor=actor, now=now, created_ticket=True)
