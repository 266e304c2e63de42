"""The late-acceptance scan's schedule: every five minutes (declared here, in one place)."""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from sopdesk.collaboration.late import flag_late_acceptances

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"))
@lock_task("collaboration-late-acceptance")
def flag_late_collaboration() -> None:
    """Flag collaboration requests not accepted in time and notify the leads of both teams."""
    flagged = flag_late_acceptances(now=timezone.now())
    if flagged:
        logger.info("collaboration requests flagged late: %d", flagged)
