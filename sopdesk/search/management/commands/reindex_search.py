"""Rebuild the search index batch by batch, printing progress; safe while the desk is running."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sopdesk.search.indexing import BATCH_SIZE, index_pending, reindex


class Command(BaseCommand):
    help = "Rebuild the search index of every ticket (the desk may keep running)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(done: int, total: int) -> None:
            self.stdout.write(f"{done}/{total} tickets indexed")

        done = reindex(batch_size=max(1, options["batch_size"]), progress=progress)
        caught_up = index_pending()
        self.stdout.write(self.style.SUCCESS(f"Done: {done} tickets indexed, {caught_up} changed meanwhile."))
