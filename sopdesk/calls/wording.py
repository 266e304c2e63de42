"""How a logged call reads in one line on the timeline (the workspace shows it; the data is the event's)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from sopdesk.calls.choices import CallDirection, CallOutcome


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def call_summary(data: dict[str, Any]) -> str:
    """Return e.g. "Inbound · +86 138 0013 8000 (Li Wei) · answered after 12 s · 4 min · Needs follow-up"."""
    caller = str(data.get("caller_number", ""))
    if data.get("caller_name"):
        caller = f"{caller} ({data['caller_name']})"
    parts = [_label(CallDirection, data.get("direction")), caller]
    answer = data.get("answer_seconds")
    parts.append(_("not answered") if answer is None else _("answered after %(seconds)s s") % {"seconds": answer})
    duration = data.get("duration_seconds")
    if isinstance(duration, int):
        parts.append(_("%(minutes)s min") % {"minutes": round(duration / 60)})
    parts.append(_label(CallOutcome, data.get("outcome")))
    return " · ".join(part for part in parts if part)
