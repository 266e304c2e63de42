"""Rebuild the search index batch by batch, printing progress; safe while the desk is running."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sopdesk.search.indexing import BATCH_SIZE, index_pending, index_pending_articles, reindex, reindex_articles


class Command(BaseCommand):
    help = "Rebuild the search index of every ticket and knowledge-base article (the desk may keep running)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = max(1, options["batch_size"])

        def progress(kind: str) -> Any:
            def report(done: int, total: int) -> None:
                self.stdout.write(f"{done}/{total} {kind} indexed")

            return report

        done = reindex(batch_size=batch_size, progress=progress("tickets"))
        caught_up = index_pending()
        self.stdout.write(self.style.SUCCESS(f"Done: {done} tickets indexed, {caught_up} changed meanwhile."))
        articles = reindex_articles(batch_size=batch_size, progress=progress("articles"))
        index_pending_articles()
        self.stdout.write(self.style.SUCCESS(f"Done: {articles} articles indexed."))
