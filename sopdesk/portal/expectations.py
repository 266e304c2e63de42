"""What a requester is told to expect: response and resolution times, service hours, contact ways."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from sopdesk.core.contacts import contact_ways
from sopdesk.sla.calendars import business_calendar
from sopdesk.sla.choices import Metric
from sopdesk.sla.models import Calendar
from sopdesk.sla.queries import SlaSnapshot
from sopdesk.sla.wording import duration_words, instant_words, service_hours_lines

# contact_ways lives in core (the acknowledgement mail tells the same ways); the confirmation page imports it here.
__all__ = ["Expectation", "contact_ways", "expectation", "service_hours"]


@dataclass(frozen=True)
class Expectation:
    """When the desk answers and resolves, in words, with the service hours of the policy's calendar."""

    first_response: str  # "within 30 min (by Mon 12-07 10:30)", or "" without a target
    resolution: str
    service_hours: tuple[str, ...]


def _when(snapshot: SlaSnapshot, metric: Metric, zone: ZoneInfo) -> str:
    view = next((view for view in snapshot.metrics if view.metric == metric), None)
    if view is None or view.target_minutes is None or view.due_at is None:
        return ""
    return _("within %(duration)s of service time (by %(when)s)") % {
        "duration": duration_words(timedelta(minutes=view.target_minutes)),
        "when": instant_words(view.due_at, zone),
    }


def service_hours(calendar: Calendar) -> tuple[str, ...]:
    """Return the calendar's weekly hours as lines: "Monday – Friday: 09:00–12:00, 13:30–18:00".

    The same words as the acknowledgement mail (sopdesk.sla.wording.service_hours_lines).
    """
    return tuple(service_hours_lines(business_calendar(calendar)))


def expectation(snapshot: SlaSnapshot) -> Expectation:
    """Describe `snapshot`'s first-response and resolution clocks in its calendar's time zone."""
    calendar = Calendar.objects.filter(pk=snapshot.calendar_id).first() if snapshot.calendar_id is not None else None
    zone = calendar.zone if calendar is not None else ZoneInfo(settings.TIME_ZONE)
    return Expectation(
        first_response=_when(snapshot, Metric.FIRST_RESPONSE, zone),
        resolution=_when(snapshot, Metric.RESOLUTION, zone),
        service_hours=service_hours(calendar) if calendar is not None else (),
    )
