"""Canned-response templates: which variables they may use, checking them, and filling them in.

A template is plain text with `{variable}` placeholders; `{{` and `}}` stand for literal braces.
Nothing else is interpreted (no attribute access, no format specs), so a template cannot reach
anything but the five values below. The result is plain text: whoever shows it escapes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.utils.translation import gettext as _

from sopdesk.accounts.models import User
from sopdesk.core.errors import ActionError
from sopdesk.tickets.models import Ticket

VARIABLES: tuple[str, ...] = ("requester_name", "ticket_number", "ticket_title", "agent_name", "team_name")

# `{{`, `}}`, a placeholder `{…}` without braces inside, or a lone brace (an error).
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_LITERAL_BRACES = {"{{": "{", "}}": "}"}


def template_errors(template: str) -> list[str]:
    """Return what is wrong with `template` (unknown variables, unmatched braces), in reading order."""
    errors: list[str] = []
    for match in _TOKEN.finditer(template):
        if match.group(0) in _LITERAL_BRACES:
            continue
        name = match.group(1)
        if name is None:
            errors.append(_("Unmatched brace; write {{ for a literal { and }} for a literal }."))
        elif name not in VARIABLES:
            errors.append(
                _("Unknown variable {%(name)s}; use one of: %(known)s.")
                % {"name": name, "known": ", ".join(f"{{{known}}}" for known in VARIABLES)}
            )
    return errors


def check_template(template: str, *, field: str = "body") -> None:
    """Refuse a template with unknown variables or unmatched braces (ActionError on `field`)."""
    errors = template_errors(template)
    if errors:
        raise ActionError(errors[0], field=field)


def substitute(template: str, values: Mapping[str, str]) -> str:
    """Return `template` with each `{variable}` replaced by `values[variable]` (unknown ones kept as written)."""

    def replace(match: re.Match[str]) -> str:
        literal = _LITERAL_BRACES.get(match.group(0))
        if literal is not None:
            return literal
        name = match.group(1)
        if name is not None and name in values:
            return values[name]
        return match.group(0)

    return _TOKEN.sub(replace, template)


def variables_for(ticket: Ticket, agent: User) -> dict[str, str]:
    """Return the values of every variable for `ticket` answered by `agent`."""
    return {
        "requester_name": str(ticket.requester),
        "ticket_number": ticket.number,
        "ticket_title": ticket.title,
        "agent_name": str(agent),
        "team_name": ticket.team.name if ticket.team is not None else "",
    }


def render(template: str, ticket: Ticket, agent: User) -> str:
    """Return `template` filled in for `ticket` and `agent`, as plain text (one pass: values are never re-read)."""
    return substitute(template, variables_for(ticket, agent))
