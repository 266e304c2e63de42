"""Delivery jobs of the outbox: thin wrappers around delivery.py (schedules declared here)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from sopdesk.core.nudge import CoalescedJob
from sopdesk.notifications.delivery import deliver_due, deliver_new

# Per minute at most this many batches; the rest waits for the next minute.
MAX_BATCHES_PER_RUN = 10


@db_task()
def deliver_new_messages() -> None:
    """Send the messages committed transactions queued (all of them, however many transactions)."""
    deliver_new(now=timezone.now())


@db_task()
def deliver_outbox(dedupe_keys: list[str]) -> None:
    """Jobs queued before the upgrade to shared delivery jobs name their messages; all new ones go out."""
    deliver_new(now=timezone.now())


# After a commit that queued messages: start a delivery job unless one already will send them.
schedule_delivery = CoalescedJob(deliver_new_messages)


@db_periodic_task(crontab(minute="*"))
@lock_task("deliver-outbox")
def deliver_due_messages_every_minute() -> None:
    """Send retries that are due and anything the after-commit job did not get to."""
    for _ in range(MAX_BATCHES_PER_RUN):
        if not deliver_due(now=timezone.now()).has_more:
            break
