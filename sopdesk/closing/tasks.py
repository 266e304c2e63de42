"""The auto-close job's schedule: one sweep every five minutes (declared here, in one place)."""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from sopdesk.closing.autoclose import sweep

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"))
@lock_task("closing-autoclose")
def autoclose_unanswered() -> None:
    """Remind and close the resolved tickets whose requester did not answer (catching up after downtime)."""
    report = sweep(now=timezone.now())
    if report.cancelled or report.reminded or report.closed:
        logger.info("auto-close sweep: %s", report)
