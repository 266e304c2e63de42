"""Background jobs of the ticket app: thin wrappers that load ids and call one function."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from sopdesk.tickets.notifications import send_event_notifications


@db_task(retries=3, retry_delay=60)
def notify_ticket_event(event_id: int) -> None:
    """E-mail the people a timeline event concerns."""
    send_event_notifications(event_id)
