"""Who hears about a timeline event, and what they are told (in their own language).

The notifications leave through the outbox (sopdesk.notifications.outbox): an inbox entry for
each recipient and an e-mail for those with an address. What the requester is told on their
request's main moments (received, staff reply, question, resolution) comes from the editable
mail templates (sopdesk.notifications.mailtemplates), with a link to the request page. Their
values are worded in the recipient's language and times are in the recipient's time zone; apps
above tickets add values through the providers of sopdesk.tickets.mailvalues (the SLA clocks' due
times and service hours in the acknowledgement).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sopdesk.accounts.models import User
from sopdesk.core.contacts import contact_ways
from sopdesk.notifications.choices import MailEvent, NotificationKind
from sopdesk.notifications.mailtemplates import (
    MailTemplates,
    RenderedMail,
    format_mail_time,
    mail_templates,
    request_url,
)
from sopdesk.notifications.outbox import OutgoingNotification
from sopdesk.tickets.choices import EventKind, RequesterStage, Status, requester_stage
from sopdesk.tickets.events import kind_label
from sopdesk.tickets.mailvalues import MailValue, providers
from sopdesk.tickets.models import Ticket, TicketEvent

# Stages in which the team has the turn: moving into or between them is staff routine (taking the request,
# starting work), no mail to the requester; leaving them (a question, a fix) and coming back from one is news.
_TEAMS_TURN = frozenset({RequesterStage.RECEIVED, RequesterStage.WORKED_ON})


def _is_news_for_requester(event: TicketEvent) -> bool:
    if event.kind != EventKind.STATUS_CHANGED:
        return True
    stages = {requester_stage(event.data.get("from", "")), requester_stage(event.data.get("to", ""))}
    return not stages <= _TEAMS_TURN


def recipients_for(event: TicketEvent) -> list[User]:
    """Return the active users to notify of `event` (never the actor, never requesters for internal events)."""
    ticket = event.ticket
    if event.kind == EventKind.CREATED:
        # The acknowledgement goes to the requester even when they filed the request themselves.
        requester = ticket.requester
        return [requester] if requester.is_active else []
    candidates: list[User | None] = []
    if event.kind == EventKind.ASSIGNED:
        candidates.append(ticket.assignee)
    elif event.kind == EventKind.PUBLIC_REPLY:
        actor_is_requester = event.actor is not None and event.actor.is_requester
        candidates.append(ticket.assignee if actor_is_requester else ticket.requester)
    elif event.kind in (EventKind.STATUS_CHANGED, EventKind.REOPENED):
        candidates += [ticket.requester if _is_news_for_requester(event) else None, ticket.assignee]
    result: dict[int, User] = {}
    for user in candidates:
        if user is None or not user.is_active or user.pk == event.actor_id:
            continue
        if event.is_internal and user.is_requester:
            continue
        result[user.pk] = user
    return list(result.values())


def requester_mail_event(event: TicketEvent) -> MailEvent | None:
    """Return which templated mail `event` sends its requester, or None for the plain event notice."""
    if event.kind == EventKind.CREATED:
        return MailEvent.ACKNOWLEDGEMENT
    if event.kind == EventKind.PUBLIC_REPLY:
        return MailEvent.PUBLIC_REPLY
    if event.kind == EventKind.STATUS_CHANGED:
        to_status, from_status = event.data.get("to"), event.data.get("from")
        if to_status == Status.PENDING_CUSTOMER:
            return MailEvent.INFORMATION_REQUESTED
        if to_status in (Status.RESOLVED, Status.PENDING_CONFIRMATION) and from_status != Status.PENDING_CONFIRMATION:
            return MailEvent.RESOLVED
    return None


def recipient_language(user: User) -> str:
    """Return the language of the mails `user` receives (their own, else the desk's)."""
    return user.language or settings.LANGUAGE_CODE


def recipient_zone(user: User) -> ZoneInfo:
    """Return the time zone of the times in the mails `user` receives (their own, else the desk's)."""
    if user.time_zone:
        try:
            return ZoneInfo(user.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            pass  # a zone removed from the system's database since it was chosen
    return ZoneInfo(settings.TIME_ZONE)


def _contact_lines() -> str:
    return "\n".join(f"{way.label}: {way.value}" for way in contact_ways())


def mail_values(
    ticket: Ticket, recipient: User, *, mail_event: str | None = None, **extra: MailValue
) -> dict[str, str]:
    """Return the variables of a requester mail about `ticket` (see notifications.templating.VARIABLES).

    Worded in `recipient`'s language, times (datetime values, from `extra` or the providers of
    `mail_event`) formatted in their language and time zone.
    """
    with translation.override(recipient_language(recipient)), timezone.override(recipient_zone(recipient)):
        values: dict[str, MailValue] = {
            "ticket_number": ticket.number,
            "ticket_title": ticket.title,
            "recipient_name": str(recipient),
            "request_url": request_url(ticket.number),
            "working_days": str(settings.SOPDESK_AUTOCLOSE_WORKING_DAYS),
            "contact_ways": _contact_lines(),
            **(providers.values(ticket, mail_event=mail_event) if mail_event is not None else {}),
            **extra,
        }
        return {
            name: format_mail_time(value) if isinstance(value, datetime) else value for name, value in values.items()
        }


def requester_mail(event: TicketEvent, recipient: User, templates: MailTemplates) -> RenderedMail | None:
    """Return the templated mail `event` sends `recipient` (its requester), or None when none applies."""
    mail_event = requester_mail_event(event)
    if mail_event is None or recipient.pk != event.ticket.requester_id:
        return None
    values = mail_values(
        event.ticket, recipient, mail_event=mail_event, message=event.body, solution=event.ticket.closure_solution
    )
    return templates.render(mail_event, language=recipient_language(recipient), values=values)


def event_notice(event: TicketEvent, recipient: User) -> tuple[str, str]:
    """Return the plain subject and body telling `recipient` of `event` (no template applies).

    The ticket's requester also gets the link to the request page: every mail they receive leads there.
    """
    with translation.override(recipient_language(recipient)):
        subject = _("[%(number)s] %(title)s: %(kind)s") % {
            "number": event.ticket.number,
            "title": event.ticket.title,
            "kind": kind_label(event.kind),
        }
        body = event.body or str(kind_label(event.kind))
        if recipient.pk == event.ticket.requester_id:
            body += "\n\n" + _("Your request: %(url)s") % {"url": request_url(event.ticket.number)}
    return subject, body


_acknowledgement_withheld: ContextVar[bool] = ContextVar("sopdesk_acknowledgement_withheld", default=False)


@contextmanager
def acknowledgement_mail_withheld() -> Iterator[None]:
    """Send no acknowledgement e-mail for tickets created in this block (the inbox entry stays).

    Mail intake uses it when a mailbox sends no acknowledgements or its sender had enough of them.
    """
    token = _acknowledgement_withheld.set(True)
    try:
        yield
    finally:
        _acknowledgement_withheld.reset(token)


def notifications_for_event(event: TicketEvent) -> list[OutgoingNotification]:
    """Return one notification per recipient of `event`, worded in the recipient's language."""
    notifications = []
    recipients = recipients_for(event)
    # Staff-only events never look at the templates (no configuration read for them).
    templates = mail_templates() if any(user.pk == event.ticket.requester_id for user in recipients) else None
    for user in recipients:
        mail = requester_mail(event, user, templates) if templates is not None else None
        if mail is not None:
            subject, body = mail.subject, mail.body
        else:
            subject, body = event_notice(event, user)
        notifications.append(
            OutgoingNotification(
                recipient=user,
                ticket=event.ticket,
                # The acknowledgement has a kind of its own, so that a requester can choose to skip its e-mail.
                kind=NotificationKind.REQUEST_RECEIVED
                if event.kind == EventKind.CREATED
                else NotificationKind.TICKET_EVENT,
                subject=subject,
                body=body,
                dedupe_key=f"event:{event.pk}:user:{user.pk}",
                send_email=not (event.kind == EventKind.CREATED and _acknowledgement_withheld.get()),
            )
        )
    return notifications
