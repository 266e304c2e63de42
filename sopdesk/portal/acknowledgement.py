"""The acknowledgement a requester receives after asking for help (MISSION §1), queued through the outbox."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from sopdesk.notifications.choices import NotificationKind
from sopdesk.notifications.outbox import OutgoingNotification, enqueue
from sopdesk.portal.expectations import ContactWay, Expectation, contact_ways, expectation
from sopdesk.sla.queries import SlaSnapshot
from sopdesk.tickets.models import Ticket


def acknowledgement_text(
    ticket: Ticket, *, expected: Expectation, contacts: list[ContactWay], link: str
) -> tuple[str, str]:
    """Return the subject and body of the acknowledgement, in the active language.

    The one place that words this mail, so that an editable template can replace it.
    """
    subject = _("[%(number)s] We received your request: %(title)s") % {"number": ticket.number, "title": ticket.title}
    lines = [
        _("We received your request and gave it the number %(number)s.") % {"number": ticket.number},
        "",
        _("Title: %(title)s") % {"title": ticket.title},
    ]
    if expected.first_response:
        lines.append(_("First response: %(when)s") % {"when": expected.first_response})
    if expected.resolution:
        lines.append(_("Expected resolution: %(when)s") % {"when": expected.resolution})
    if expected.service_hours:
        lines += ["", _("Service hours:"), *(f"  {line}" for line in expected.service_hours)]
    if contacts:
        lines += ["", _("You can also reach us:"), *(f"  {way.label}: {way.value}" for way in contacts)]
    lines += ["", _("Follow your request here: %(link)s") % {"link": link}]
    return subject, "\n".join(lines)


def queue_acknowledgement(ticket: Ticket, *, snapshot: SlaSnapshot, link: str, now: datetime) -> int:
    """Queue the acknowledgement to the requester, worded in their language (once per ticket)."""
    requester = ticket.requester
    with translation.override(requester.language or settings.LANGUAGE_CODE):
        expected = expectation(snapshot)
        subject, body = acknowledgement_text(ticket, expected=expected, contacts=contact_ways(), link=link)
    notification = OutgoingNotification(
        recipient=requester,
        ticket=ticket,
        kind=NotificationKind.REQUEST_RECEIVED,
        subject=subject,
        body=body,
        dedupe_key=f"ticket:{ticket.pk}:received",
    )
    return enqueue([notification], now=now)
