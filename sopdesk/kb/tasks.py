"""The review-due reminder's schedule: every hour (declared here, in one place); the dedupe keys make it once a date."""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from sopdesk.kb.reminders import remind_review_due

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="7"))
@lock_task("kb-review-due")
def remind_review_due_articles() -> None:
    """Tell the owners of published articles whose review date has come (once per article and date)."""
    written = remind_review_due(now=timezone.now())
    if written:
        logger.info("knowledge-base review reminders: %d", written)
