from __future__ import annotations

import pytest
from django.db import connection

from sopdesk.core.maintenance import refresh_planner_statistics
from sopdesk.core.tasks import refresh_planner_statistics_hourly

pytestmark = pytest.mark.django_db


def test_refreshing_statistics_fills_sqlite_stat_tables_and_is_a_no_op_elsewhere() -> None:
    refreshed = refresh_planner_statistics()
    if connection.vendor != "sqlite":
        assert refreshed is False
        return
    assert refreshed is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert cursor.fetchone()[0] == 1


def test_the_hourly_job_refreshes_the_statistics_on_sqlite() -> None:
    refresh_planner_statistics_hourly.call_local()
    if connection.vendor != "sqlite":
        return  # nothing to do there (PostgreSQL's autovacuum keeps statistics); the job must just not fail
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert cursor.fetchone()[0] == 1
