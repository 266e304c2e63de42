"""Keeping the index in step with tickets and articles: note changes, index them after commit, rebuild.

A ticket change notes the ticket in `PendingTicket` inside its own transaction (so a rolled-back
change notes nothing and a committed one is never forgotten, even if the job queue is down);
after commit a job drains the notes (`index_pending`). `reindex` rebuilds everything in batches
while the desk runs: each batch is its own transaction, and changes made meanwhile are noted and
drained as usual, so the result equals an index built change by change.

Articles follow the same pattern with `PendingArticle`, except that the note is written when the
knowledge base announces a committed change (`kb.hooks`; kb may not import search, so search cannot
write inside kb's transaction). Only an article's live version is indexed; an article without one
is removed from the index. Indexing locks the article rows, so it reads and writes the index in
step with the kb actions (which lock the same row): two jobs can never store an older version last.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from sopdesk.core.config_cache import consistent
from sopdesk.kb.models import Article
from sopdesk.search.backends import ArticleDocument, TicketDocument, backend
from sopdesk.search.models import PendingArticle, PendingTicket
from sopdesk.search.segment import index_text
from sopdesk.tickets.choices import EventKind
from sopdesk.tickets.models import Ticket, TicketEvent
from sopdesk.tickets.querysets import ticket_keys

BATCH_SIZE = 500


def note_ticket(ticket_id: int, *, now: datetime) -> None:
    """Remember that `ticket_id`'s searchable text may have changed (call inside the change's transaction)."""
    PendingTicket.objects.create(ticket_id=ticket_id, noted_at=now)


def ticket_documents(ticket_ids: Sequence[int]) -> list[TicketDocument]:
    """Return the segmented documents of the tickets that exist among `ticket_ids`."""
    public: dict[int, list[str]] = defaultdict(list)
    internal: dict[int, list[str]] = defaultdict(list)
    replies = (
        TicketEvent.objects.filter(ticket_id__in=ticket_ids, kind__in=[EventKind.PUBLIC_REPLY, EventKind.INTERNAL_NOTE])
        .order_by("created_at", "id")
        .values_list("ticket_id", "is_internal", "body")
    )
    for ticket_id, is_internal, body in replies:
        (internal if is_internal else public)[ticket_id].append(body)
    rows = (
        Ticket.objects.filter(pk__in=ticket_ids)
        .order_by("pk")
        .values_list(
            "pk", "number", "title", "description", "requester_id", "organization_id", "team_id", "assignee_id"
        )
    )
    return [
        TicketDocument(
            ticket_id=pk,
            title=index_text(f"{number} {title}"),
            body=index_text("\n".join([description, *public[pk]])),
            internal=index_text("\n".join(internal[pk])),
            keys=tuple(
                ticket_keys(
                    requester_id=requester_id, organization_id=organization_id, team_id=team_id, assignee_id=assignee_id
                )
            ),
        )
        for pk, number, title, description, requester_id, organization_id, team_id, assignee_id in rows
    ]


def index_tickets(ticket_ids: Iterable[int]) -> int:
    """Index (or re-index) the given tickets now; return how many were written or removed."""
    return len(_index_tickets(ticket_ids))


def _index_tickets(ticket_ids: Iterable[int], *, in_transaction: Callable[[set[int]], None] | None = None) -> set[int]:
    """Index the given tickets; return the ids whose index entry now matches the ticket (stored or removed).

    The text is read and segmented outside any transaction: on SQLite a write transaction holds
    the database's one write lock, and segmenting a batch while holding it made ticket creations
    wait up to 0.8 s. The short write transaction then stores only the documents of tickets that
    did not change meanwhile (`Ticket.version`, which every action bumps); a changed ticket is left
    out, and its notes with it, so the next batch reads its new text. `in_transaction` runs inside
    that transaction with the ids handled (the drain deletes their notes there).
    """
    ids = sorted(set(ticket_ids))
    read_versions = dict(Ticket.objects.filter(pk__in=ids).values_list("pk", "version"))
    with consistent():  # one read of the dictionary's stamp for the whole batch
        documents = ticket_documents(ids)
    index = backend()
    with transaction.atomic():
        versions = dict(Ticket.objects.filter(pk__in=ids).values_list("pk", "version"))
        unchanged = [d for d in documents if versions.get(d.ticket_id) == read_versions.get(d.ticket_id)]
        index.store(unchanged)
        gone = [pk for pk in ids if pk not in versions]  # never for real tickets (not deleted), kept safe
        index.remove(gone)
        handled = {document.ticket_id for document in unchanged} | set(gone)
        if in_transaction is not None:
            in_transaction(handled)
    return handled


def _drain(notes: QuerySet[Any], noted: str, index: Callable[[Iterable[int]], int], *, limit: int) -> int:
    """Index what `notes` name (field `noted`), `limit` notes per batch, until none is left; return the count."""
    total = 0
    while True:
        with transaction.atomic():
            batch = list(notes.order_by("id").values_list("id", noted)[:limit])
            if not batch:
                return total
            total += index(object_id for _, object_id in batch)
            # Only the notes read: a change noted meanwhile keeps its note for the next batch.
            notes.filter(id__in=[note_id for note_id, _ in batch]).delete()


def index_pending(*, limit: int = BATCH_SIZE) -> int:
    """Index the noted tickets, `limit` notes per batch, until none is left; return how many tickets.

    Unlike `_drain`, the notes are read and the text segmented outside the write transaction
    (`_index_tickets`); a ticket that changed meanwhile keeps its notes for the next batch.
    """
    notes = PendingTicket.objects.all()
    total = 0
    stalled = 0
    while True:
        batch = list(notes.order_by("id").values_list("id", "ticket_id")[:limit])
        if not batch:
            return total

        def forget(handled: set[int], batch: list[tuple[int, int]] = batch) -> None:
            # Only the notes read, of the tickets stored: a change noted meanwhile keeps its note.
            notes.filter(id__in=[note_id for note_id, ticket_id in batch if ticket_id in handled]).delete()

        handled = _index_tickets([ticket_id for _, ticket_id in batch], in_transaction=forget)
        total += len(handled)
        # Every ticket of the batch changed while it was read: try again, but not for ever (the
        # change's own job, or the five-minute catch-up, indexes it).
        stalled = 0 if handled else stalled + 1
        if stalled >= 3:
            return total


def _rebuild(
    rows: QuerySet[Any],
    index: Callable[[Iterable[int]], int],
    *,
    batch_size: int,
    progress: Callable[[int, int], None] | None,
) -> int:
    """Index every row of `rows` in id order, `batch_size` per call (each its own transaction); return the count."""
    total = rows.count()
    done = 0
    last_id = 0
    while True:
        ids = list(rows.filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return done
        index(ids)
        done += len(ids)
        last_id = ids[-1]
        if progress is not None:
            progress(done, max(total, done))


def reindex(*, batch_size: int = BATCH_SIZE, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the whole index batch by batch (tickets in id order); return how many tickets.

    Tickets are never deleted (NoDeleteModel), so re-storing every ticket leaves nothing stale.
    """
    return _rebuild(Ticket.objects.all(), index_tickets, batch_size=batch_size, progress=progress)


# --- articles -------------------------------------------------------------------------------

# The live version's fields after the title, in reading order, then the tags.
ARTICLE_BODY_FIELDS = ("problem", "diagnosis", "solution", "notes", "applies_to")


def note_article(article_id: int, *, now: datetime) -> None:
    """Remember that `article_id`'s live version may have changed."""
    PendingArticle.objects.create(article_id=article_id, noted_at=now)


def _article_documents(article_ids: Sequence[int]) -> list[ArticleDocument]:
    """Return the documents of the live versions of the articles among `article_ids`, locking their rows."""
    fields = [f"live_version__{name}" for name in ("title", *ARTICLE_BODY_FIELDS, "tags")]
    rows = (
        Article.objects.select_for_update(of=("self",))
        .filter(pk__in=article_ids, live_version__isnull=False)
        .order_by("pk")
        .values_list("pk", *fields)
    )
    documents = []
    for pk, title, *texts, tags in rows:
        documents.append(
            ArticleDocument(
                article_id=pk,
                title=index_text(title),
                body=index_text("\n".join([*texts, " ".join(tags or [])])),
            )
        )
    return documents


def index_articles(article_ids: Iterable[int]) -> int:
    """Index the live versions of the given articles now, removing those without one; return how many stored."""
    ids = sorted(set(article_ids))
    index = backend()
    with transaction.atomic(), consistent():
        documents = _article_documents(ids)
        index.store_articles(documents)
        found = {document.article_id for document in documents}
        index.remove_articles(pk for pk in ids if pk not in found)
    return len(documents)


def index_pending_articles(*, limit: int = BATCH_SIZE) -> int:
    """Index the noted articles, `limit` notes per batch, until none is left; return how many stored."""
    return _drain(PendingArticle.objects.all(), "article_id", index_articles, limit=limit)


def reindex_articles(*, batch_size: int = BATCH_SIZE, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the article index batch by batch (every article in id order); return how many articles.

    Articles are never deleted (NoDeleteModel); one without a live version is removed from the index.
    """
    return _rebuild(Article.objects.all(), index_articles, batch_size=batch_size, progress=progress)
