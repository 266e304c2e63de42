"""The followers of search: note each ticket or article whose searchable text may have changed."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone

from sopdesk.search.indexing import note_article, note_ticket

if TYPE_CHECKING:
    from sopdesk.accounts.models import User
    from sopdesk.kb.choices import ArticleChange
    from sopdesk.tickets.models import Ticket


class SearchIndexFollower:
    """Notes the ticket in the change's transaction and starts the indexing job after commit.

    Text changes and changes of who may see the ticket (team, assignee: its visibility keys) are noted.
    """

    def _note(self, ticket: Ticket, now: datetime) -> None:
        from sopdesk.search.tasks import schedule_indexing

        note_ticket(ticket.pk, now=now)
        # One job start per transaction, however many tickets it changed (the demo loader's thousands).
        if not any(entry[1] is schedule_indexing for entry in connection.run_on_commit):
            transaction.on_commit(schedule_indexing)

    def ticket_created(self, ticket: Ticket, *, now: datetime) -> None:
        self._note(ticket, now)

    def ticket_assigned(self, ticket: Ticket, *, now: datetime) -> None:
        self._note(ticket, now)  # the index stores who may see the ticket (its visibility keys)

    def team_changed(self, ticket: Ticket, *, from_team_id: int | None, now: datetime) -> None:
        self._note(ticket, now)

    def public_reply_added(self, ticket: Ticket, *, now: datetime) -> None:
        return None  # every reply and note is reported through text_changed

    def status_changed(self, ticket: Ticket, *, from_status: str, actor: User | None, now: datetime) -> None:
        return None

    def classification_changed(self, ticket: Ticket, *, actor: User | None, now: datetime) -> None:
        return None

    def text_changed(self, ticket: Ticket, *, now: datetime) -> None:
        """Title, description, a reply or an internal note changed."""
        self._note(ticket, now)


def follow_article(article_id: int, change: ArticleChange) -> None:
    """The kb change hook (called after commit): note the article and start the coalesced indexing job.

    Every kind of change is noted, even a saved working copy (which leaves the live version as it
    was): re-indexing one article is cheap, and the index never depends on which changes touch it.
    """
    from sopdesk.search.tasks import schedule_article_indexing

    note_article(article_id, now=timezone.now())
    schedule_article_indexing()
