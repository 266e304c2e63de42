"""Delivery jobs of the outbox: thin wrappers around delivery.py (schedules declared here)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from sopdesk.notifications.delivery import deliver_due, deliver_new

# Per minute at most this many batches; the rest waits for the next minute.
MAX_BATCHES_PER_RUN = 10


@db_task()
def deliver_outbox(dedupe_keys: list[str]) -> None:
    """Send the messages one transaction queued, right after it committed."""
    deliver_new(dedupe_keys, now=timezone.now())


@db_periodic_task(crontab(minute="*"))
@lock_task("deliver-outbox")
def deliver_due_messages_every_minute() -> None:
    """Send retries that are due and anything the after-commit job did not get to."""
    for _ in range(MAX_BATCHES_PER_RUN):
        if not deliver_due(now=timezone.now()).has_more:
            break
