"""Indexing jobs: a thin wrapper around indexing.py, started after commit and every few minutes."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from sopdesk.core.nudge import CoalescedJob
from sopdesk.search.indexing import index_pending, index_pending_articles


@db_task()
def index_pending_tickets() -> None:
    """Index every ticket noted by committed changes (however many transactions noted them)."""
    index_pending()


# After a commit that noted tickets: start an indexing job unless one already will index them.
schedule_indexing = CoalescedJob(index_pending_tickets)


@db_task()
def index_pending_articles_job() -> None:
    """Index every article noted by committed knowledge-base changes."""
    index_pending_articles()


# After an article change committed: the same coalescing as for tickets.
schedule_article_indexing = CoalescedJob(index_pending_articles_job)


@db_periodic_task(crontab(minute="*/5"))
@lock_task("search-index-pending")
def index_pending_every_five_minutes() -> None:
    """Catch up on notes whose job was lost (the queue was down when the change committed)."""
    index_pending()
    index_pending_articles()
