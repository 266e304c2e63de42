"""Placeholder replaced by the demo-data generator."""

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load demo organisations, teams, users and tickets."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("no demo data yet")
