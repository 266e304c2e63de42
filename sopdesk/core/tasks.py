"""Periodic housekeeping jobs (schedules are declared here, in one place per app)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from sopdesk.core.maintenance import refresh_planner_statistics


@db_periodic_task(crontab(minute="23"))
@lock_task("refresh-planner-statistics")
def refresh_planner_statistics_hourly() -> None:
    refresh_planner_statistics()
