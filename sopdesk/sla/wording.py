"""A ticket's clocks in words for people: "responds by Tue 10:30, 1 h 12 min of business time left"."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sopdesk.lib.businesstime import BusinessCalendar
from sopdesk.sla.choices import ClockState, Metric, Weekday
from sopdesk.sla.clocks import MetricView


def duration_words(value: timedelta) -> str:
    """Return `value` as "2 d 3 h 5 min" (days of 24 h), at minute precision."""
    minutes = int(abs(value).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("%(count)d d") % {"count": days})
    if hours:
        parts.append(_("%(count)d h") % {"count": hours})
    if minutes or not parts:
        parts.append(_("%(count)d min") % {"count": minutes})
    return " ".join(parts)


def instant_words(value: datetime, zone: ZoneInfo) -> str:
    """Return a short local time: "Tue 10:30" (this week's style), with the date when it matters."""
    local = value.astimezone(zone)
    return formats.date_format(local, "D m-d H:i")


_VERBS = {
    Metric.ASSIGNMENT: gettext_lazy("assigned by %(when)s"),
    Metric.FIRST_RESPONSE: gettext_lazy("responds by %(when)s"),
    Metric.RESOLUTION: gettext_lazy("resolves by %(when)s"),
    Metric.UPDATE: gettext_lazy("next update by %(when)s"),
}


def clock_words(view: MetricView, *, zone: ZoneInfo) -> str:
    """Describe one clock in a sentence fragment."""
    label = Metric(view.metric).label
    if view.state == ClockState.NONE:
        return _("%(metric)s: no target") % {"metric": label}
    if view.state == ClockState.MET and view.met_at is not None:
        text = _("%(metric)s: met %(when)s") % {"metric": label, "when": instant_words(view.met_at, zone)}
        if view.breached_at is not None:
            text += " " + _("(late)")
        return text
    if view.state == ClockState.PAUSED:
        left = duration_words(view.remaining) if view.remaining is not None else "?"
        return _("%(metric)s: paused, %(left)s of business time left") % {"metric": label, "left": left}
    when = instant_words(view.due_at, zone) if view.due_at is not None else "?"
    phrase = str(_VERBS[Metric(view.metric)]) % {"when": when}
    if view.remaining is None:
        return f"{label}: {phrase}"
    if view.remaining >= timedelta(0):
        left = _("%(left)s of business time left") % {"left": duration_words(view.remaining)}
    else:
        left = _("%(late)s of business time overdue") % {"late": duration_words(view.remaining)}
    return f"{label}: {phrase}, {left}"


def _clock_time(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def service_hours_lines(calendar: BusinessCalendar) -> list[str]:
    """Return `calendar`'s weekly hours in words, days with the same hours together.

    ["Monday – Friday: 09:00–12:00, 13:30–18:00", "Times in Asia/Shanghai; public holidays excepted."]
    """
    if calendar.always_open:
        return [_("Around the clock, every day (24×7)")]
    spans: dict[int, list[str]] = {}
    for interval in calendar.intervals:  # in weekday and time order
        spans.setdefault(interval.weekday, []).append(
            f"{_clock_time(interval.start_minute)}–{_clock_time(interval.end_minute)}"
        )
    # Runs of consecutive weekdays with the same hours: (first day, last day, hours).
    runs: list[tuple[int, int, str]] = []
    for day, day_spans in sorted(spans.items()):
        hours = ", ".join(day_spans)
        if runs and runs[-1][1] == day - 1 and runs[-1][2] == hours:
            runs[-1] = (runs[-1][0], day, hours)
        else:
            runs.append((day, day, hours))
    lines = []
    for first, last, hours in runs:
        days = Weekday(first).label if first == last else f"{Weekday(first).label} – {Weekday(last).label}"
        lines.append(f"{days}: {hours}")
    lines.append(_("Times in %(zone)s; public holidays excepted.") % {"zone": calendar.zone.key})
    return lines
