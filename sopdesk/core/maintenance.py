"""Database housekeeping that keeps query plans good as the data grows."""

from __future__ import annotations

from django.db import connection


def refresh_planner_statistics() -> bool:
    """Refresh SQLite's query-planner statistics; return False on engines that do it themselves.

    Without statistics SQLite picks poor plans for the ticket lists once tables hold many rows;
    PostgreSQL's autovacuum keeps its own statistics current.
    """
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return True
