"""Rules about who may hold a ticket that belong to apps above tickets (certification, MISSION §5).

`assign_ticket` asks every registered check, on the locked row, before it assigns; a check returns
the refusal or None. Apps register theirs in their `AppConfig.ready()`, so tickets never imports them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sopdesk.accounts.models import Team, User
    from sopdesk.core.errors import ActionError
    from sopdesk.tickets.models import Ticket


class AssignmentCheck(Protocol):
    def __call__(
        self, ticket: Ticket, *, team: Team | None, assignee: User, cosigner: User | None, actor: User, now: datetime
    ) -> ActionError | None: ...


_checks: list[AssignmentCheck] = []


def register_assignment_check(check: AssignmentCheck) -> None:
    """Have `check` consulted before every assignment to a person (call from an AppConfig.ready())."""
    if check not in _checks:
        _checks.append(check)


def assignment_refusal(
    ticket: Ticket, *, team: Team | None, assignee: User, cosigner: User | None, actor: User, now: datetime
) -> ActionError | None:
    """Return the first refusal of the registered checks for giving `ticket` to `assignee`, or None."""
    for check in _checks:
        refusal = check(ticket, team=team, assignee=assignee, cosigner=cosigner, actor=actor, now=now)
        if refusal is not None:
            return refusal
    return None
