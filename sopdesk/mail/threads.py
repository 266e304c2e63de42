"""The requester's mails in a ticket's thread, for the threading headers of our mails (tickets.mailthreads)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sopdesk.mail.models import InboundMail
from sopdesk.tickets.mailthreads import InboundThread, ThreadMessage

if TYPE_CHECKING:
    from sopdesk.tickets.models import Ticket


class InboundMailThreads:
    """Registered in MailConfig.ready(): the stored messages that became `ticket` or its replies."""

    def inbound_thread(self, ticket: Ticket) -> InboundThread:
        rows = list(
            InboundMail.objects.filter(ticket=ticket)
            .exclude(message_id="")
            .order_by("received_at", "pk")
            .values_list("message_id", "received_at", "mailbox__address")
        )
        return InboundThread(
            messages=[ThreadMessage(message_id=message_id, at=at) for message_id, at, _ in rows],
            # Replies go to the address the request first came to.
            reply_to=rows[0][2] if rows else "",
        )
