"""The routing entries of the timeline as sentences, in the reader's language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from sopdesk.accounts.choices import TeamTier
from sopdesk.routing.choices import RouteBasis, RoutingEventKind


def _field_label(name: str) -> str:
    labels = {
        "category": _("category"),
        "ticket_type": _("type"),
        "channel": _("channel"),
        "customer_level": _("customer level"),
        "priority": _("priority"),
        "difficulty": _("difficulty"),
        "keyword": _("keyword"),
    }
    return labels.get(name, name)


def _conditions(data: dict[str, Any]) -> str:
    parts = []
    for item in data.get("conditions") or []:
        if isinstance(item, list | tuple) and len(item) == 2:
            name, value = item
            if name == "difficulty" and data.get("basis") == RouteBasis.RULE:
                parts.append(_("difficulty ≥ %(level)s") % {"level": value})
            else:
                parts.append(f"{_field_label(str(name))} {value}")
    return " & ".join(parts)


def routed_sentence(data: dict[str, Any]) -> str:
    """E.g. "Routed to Network by rule 3: category network & priority P2"."""
    team = data.get("team_name") or "—"
    basis = data.get("basis")
    conditions = _conditions(data)
    rule = data.get("rule") or {}
    if basis == RouteBasis.RULE:
        sentence = _("Routed to %(team)s by rule %(position)s (%(name)s)") % {
            "team": team,
            "position": rule.get("position", "?"),
            "name": rule.get("name", ""),
        }
        return f"{sentence}: {conditions}" if conditions else sentence
    if basis == RouteBasis.SPECIALIST:
        return _("Routed to %(team)s, the category's specialist team: %(conditions)s") % {
            "team": team,
            "conditions": conditions,
        }
    if basis == RouteBasis.CATEGORY:
        return _("Routed to %(team)s, the category's default team (no rule matched)") % {"team": team}
    if basis == RouteBasis.INTAKE:
        return _("Routed to %(team)s, the intake team (no rule matched)") % {"team": team}
    return _("No team: no rule matched and there is no intake team.")


def _tier(value: Any) -> str:
    try:
        return str(TeamTier(value).label)
    except ValueError:
        return str(value)


def escalated_sentence(data: dict[str, Any]) -> str:
    """E.g. "First line → Second line: Network"."""
    return _("%(from)s → %(to)s: %(team)s") % {
        "from": _tier(data.get("from_tier")),
        "to": _tier(data.get("to_tier")),
        "team": data.get("team_name") or "—",
    }


def summary(kind: str, data: dict[str, Any]) -> str:
    """The sentence of a routing entry of `kind` ("" for other kinds)."""
    if kind == RoutingEventKind.ROUTED:
        return routed_sentence(data)
    if kind == RoutingEventKind.TIER_ESCALATED:
        return escalated_sentence(data)
    if kind == RoutingEventKind.MAJOR_INCIDENT:
        return _("Difficulty 4: the major-incident procedure applies.")
    return ""
