"""The SLA scanner's schedule: one sweep a minute (declared here, in one place)."""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from sopdesk.sla.scanner import sweep

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
@lock_task("sla-scanner")
def scan_sla_clocks() -> None:
    """Fire the warnings, breaches and escalations that fell due (catching up after downtime)."""
    report = sweep(now=timezone.now())
    if report.examined:
        logger.info("sla sweep: %s", report)
