"""The daily backup's schedule (declared here, in one place): a thin wrapper around actions."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task, lock_task

from sopdesk.backup.actions import run_scheduled_backup

logger = logging.getLogger(__name__)


def is_backup_due(timestamp: datetime) -> bool:
    """Return whether the daily backup runs in the minute of `timestamp` (huey passes naive UTC).

    Read at every check rather than at import, so SOPDESK_BACKUP_HOUR is the hour in the
    configured time zone (SOPDESK_TIME_ZONE), not the worker's.
    """
    if not settings.SOPDESK_BACKUP_DAILY:
        return False
    moment = timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=UTC)
    local = moment.astimezone(ZoneInfo(settings.TIME_ZONE))
    return local.hour == settings.SOPDESK_BACKUP_HOUR and local.minute == 0


@db_periodic_task(is_backup_due)
@lock_task("daily-backup")
def back_up_daily() -> None:
    """Write the daily backup into SOPDESK_BACKUP_DIR and keep the SOPDESK_BACKUP_KEEP newest."""
    report = run_scheduled_backup(now=timezone.now(), progress=logger.info)
    logger.info("daily backup: %s, %d old backup(s) deleted", report.backup.path, len(report.deleted))
