"""Jobs of the inbound mail pipeline: thin wrappers around processing.py (schedules declared here)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from sopdesk.mail.processing import process_left_over, process_mail


@db_task(retries=3, retry_delay=20)
def process_inbound_mail(mail_id: int) -> None:
    """Process one stored message (scheduled by intake after its commit); a transient error retries."""
    process_mail(mail_id, now=timezone.now())


@db_periodic_task(crontab(minute="*"))
@lock_task("mail-left-over")
def process_left_over_mails_every_minute() -> None:
    """Process messages still "received": their job was lost (worker killed, queue lost) or is failing."""
    process_left_over(now=timezone.now())
