"""Refresh the database's query-planner statistics (SQLite; PostgreSQL does this itself)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sopdesk.core.maintenance import refresh_planner_statistics


class Command(BaseCommand):
    help = "Refresh the query-planner statistics of the SQLite database."

    def handle(self, *args: Any, **options: Any) -> None:
        if refresh_planner_statistics():
            self.stdout.write("planner statistics refreshed")
        else:
            self.stdout.write("nothing to do: this database keeps its own statistics")
