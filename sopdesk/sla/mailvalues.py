"""What the acknowledgement mail tells from the SLA: the expected response and resolution, the service hours.

Registered in SlaConfig.ready() as a provider of sopdesk.tickets.mailvalues. The mail is rendered in
the creating transaction right after `start_clocks`, which leaves the clocks on the ticket object
with their policy and its calendar: then nothing is read. Otherwise (a mail rendered later, from a
ticket loaded afresh) the clocks with their calendar are one query.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from sopdesk.core.config_cache import StampedCache
from sopdesk.lib.businesstime import BusinessCalendar
from sopdesk.notifications.choices import MailEvent
from sopdesk.sla.calendars import business_calendar
from sopdesk.sla.models import Calendar, TicketSla
from sopdesk.sla.wording import service_hours_lines
from sopdesk.tickets.mailvalues import MailValue
from sopdesk.tickets.models import Ticket


def _clocks_of(ticket: Ticket) -> TicketSla | None:
    descriptor: Any = Ticket.sla  # type: ignore[attr-defined]
    if descriptor.is_cached(ticket):
        row: TicketSla | None = descriptor.related.get_cached_value(ticket)
        return row
    return TicketSla.objects.select_related("calendar").filter(pk=ticket.pk).first()


def _load_default_calendars() -> dict[str, Calendar | None]:
    return {}  # filled per code on use; emptied with every configuration change


# The desk's default calendar (SOPDESK_DEFAULT_CALENDAR) by code: read once per configuration stamp.
_default_calendars = StampedCache(_load_default_calendars)


def default_calendar() -> Calendar | None:
    """Return the desk's default calendar (SOPDESK_DEFAULT_CALENDAR), when set and active."""
    code = settings.SOPDESK_DEFAULT_CALENDAR
    if not code:
        return None
    known = _default_calendars.get()
    if code not in known:
        known[code] = Calendar.objects.filter(code=code, is_active=True).first()
    return known[code]


def _calendar_of(sla: TicketSla | None) -> BusinessCalendar | None:
    """The calendar the ticket's clocks count in, else the desk's default calendar."""
    calendar: Calendar | None = None
    if sla is not None and sla.calendar_id is not None:
        # Just started: the cached policy holds its calendar; otherwise it was read with the clocks.
        policy = sla.policy if TicketSla.policy.is_cached(sla) else None  # type: ignore[attr-defined]
        calendar = policy.calendar if policy is not None and policy.calendar_id == sla.calendar_id else sla.calendar
    if calendar is None:
        calendar = default_calendar()
    return business_calendar(calendar) if calendar is not None else None


class SlaMailValues:
    """Implements `sopdesk.tickets.mailvalues.MailValueProvider` for the acknowledgement."""

    def mail_values(self, ticket: Ticket, *, mail_event: str) -> Mapping[str, MailValue]:
        if mail_event != MailEvent.ACKNOWLEDGEMENT:
            return {}
        sla = _clocks_of(ticket)
        first_response = sla.first_response_due_at if sla is not None else None
        resolution = sla.resolution_due_at if sla is not None else None
        calendar = _calendar_of(sla)
        return {
            # The same words as the portal's confirmation page when the request has no target.
            "first_response_due": first_response or _("as soon as we can during service hours"),
            "resolution_due": resolution or _("we will tell you once we know more"),
            "service_hours": "\n".join(service_hours_lines(calendar)) if calendar is not None else "",
        }
