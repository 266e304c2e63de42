"""The rule that a ticket with open collaboration requests is not resolved (a ticket transition guard)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext as _

from sopdesk.accounts.models import User
from sopdesk.collaboration.models import CollaborationRequest
from sopdesk.core.errors import ActionError, TransitionRefused
from sopdesk.core.prepared import PreparedRead
from sopdesk.tickets.choices import AWAITING_CONFIRMATION
from sopdesk.tickets.models import Ticket

# Resolving, and proposing a fix the requester then confirms, both end the work on the ticket.
GUARDED_TARGETS = AWAITING_CONFIRMATION

# Asked for every ticket answer that offers resolving (the API's allowed moves): built once per process.
_OPEN_REQUESTS = PreparedRead(
    CollaborationRequest,
    lambda ticket_id: CollaborationRequest.objects.open().filter(ticket_id=ticket_id).values_list("pk"),
    "int",
)


class OpenRequestsGuard:
    """Refuse to resolve a ticket (or propose its fix) while it has open collaboration requests."""

    def refusal(self, ticket: Ticket, *, to_status: str, actor: User, now: datetime) -> ActionError | None:
        if to_status not in GUARDED_TARGETS or not settings.SOPDESK_COLLABORATION_BLOCKS_RESOLVE:
            return None
        if ticket.pk is None:
            return None
        count = len(_OPEN_REQUESTS.rows(ticket.pk))
        if not count:
            return None
        return TransitionRefused(
            _("This ticket has %(count)d open collaboration request(s): confirm, or withdraw them before resolving it.")
            % {"count": count},
            field="to_status",
        )
