"""The search index on each database behind one interface: store documents, match, rank.

Tickets — SQLite: an FTS5 table (`search_ticket_fts`, rowid = ticket id) holding the segmented
text in three columns (title, body, internal), ranked with BM25. PostgreSQL: `search_ticket_index`
with two `tsvector` columns of the 'simple' configuration (what everybody may read, and that plus
the internal notes), each under a GIN index, ranked with ts_rank.
Articles (their live version only) — SQLite: `search_article_fts` (rowid = article id; title,
body); PostgreSQL: `search_article_index` with one `tsvector` (title weighted A) under a GIN index.
Both receive text that
`sopdesk.search.segment` already cut into lower-case words, so neither needs a Chinese parser;
queries are built here from those words only (letters and digits), never from the raw input,
so no user text reaches the FTS or tsquery syntax.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connection

from sopdesk.search.segment import QueryWord

SQLITE_TABLE = "search_ticket_fts"
POSTGRES_TABLE = "search_ticket_index"
SQLITE_ARTICLE_TABLE = "search_article_fts"
POSTGRES_ARTICLE_TABLE = "search_article_index"


@dataclass(frozen=True)
class TicketDocument:
    """A ticket's searchable text, already segmented (space-separated words)."""

    ticket_id: int
    title: str
    body: str  # description and public replies
    internal: str  # internal notes: matched only for viewers who may read them
    # The ticket's visibility keys (tickets.querysets.ticket_keys); PostgreSQL stores them in both
    # vectors, so that the index narrows matches to a viewer's tickets (`visible_match_ids`).
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArticleDocument:
    """The searchable text of an article's live version, already segmented."""

    article_id: int
    title: str
    body: str  # problem, diagnosis steps, solution, notes, applies to, tags


class SearchBackend(Protocol):
    def store(self, documents: Sequence[TicketDocument]) -> None:
        """Insert or replace the documents."""
        ...

    def remove(self, ticket_ids: Iterable[int]) -> None: ...

    def clear(self) -> None: ...

    def match_sql(
        self, words: Sequence[QueryWord], *, internal: bool, match_any: bool = False
    ) -> tuple[str, list[object]]:
        """Return `SELECT <ticket id> ...` of the tickets with every word (any word if `match_any`;
        internal notes too if `internal`)."""
        ...

    def ranked_ticket_ids(
        self,
        words: Sequence[QueryWord],
        *,
        internal: bool,
        match_any: bool = False,
        newer_than: int | None = None,
        keys: Sequence[str] | None = None,
        limit: int,
    ) -> list[tuple[int, float]]:
        """Return the best `limit` matching tickets (id above `newer_than`, when given) as (id, score),
        best first; higher scores are better. One pass over the index, never a query per ticket.
        `keys`: only tickets with one of these visibility keys, where the index stores keys (else ignored)."""
        ...

    def visible_match_ids(
        self,
        words: Sequence[QueryWord],
        *,
        internal: bool,
        match_any: bool = False,
        keys: Sequence[str] | None,
        exclude: Sequence[int] = (),
        limit: int,
    ) -> list[int] | None:
        """Return the newest `limit` matches (ids, newest first, none of `exclude`) whose tickets have one
        of `keys` (None: any ticket), or None when this index does not store keys."""
        ...

    def dump(self) -> dict[int, tuple[str, ...]]:
        """Return every stored document's indexed form (for checks: incremental equals rebuilt)."""
        ...

    def store_articles(self, documents: Sequence[ArticleDocument]) -> None: ...

    def remove_articles(self, article_ids: Iterable[int]) -> None: ...

    def clear_articles(self) -> None: ...

    def article_match_sql(self, words: Sequence[QueryWord], *, match_any: bool = False) -> tuple[str, list[object]]:
        """Return `SELECT <article id> ...` of the indexed articles with every word (any if `match_any`)."""
        ...

    def ranked_article_ids(
        self, words: Sequence[QueryWord], *, match_any: bool = False, limit: int
    ) -> list[tuple[int, float]]:
        """Return the best `limit` matching articles as (id, score), best first (higher is better)."""
        ...

    def dump_articles(self) -> dict[int, tuple[str, ...]]: ...


def _quoted(word: str, quote: str) -> str:
    return quote + word.replace(quote, quote * 2) + quote


def _term(word: QueryWord, *, quote: str, prefix: str, either: str) -> str:
    """One query word in the FTS5 or tsquery syntax: the word (as a prefix), or its stem exactly."""
    term = _quoted(word.text, quote) + (prefix if word.prefix else "")
    if word.stem is None:
        return term
    return f"({term}{either}{_quoted(word.stem, quote)})"


class SqliteBackend:
    def store(self, documents: Sequence[TicketDocument]) -> None:
        if not documents:
            return
        self.remove(document.ticket_id for document in documents)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {SQLITE_TABLE} (rowid, title, body, internal) VALUES (%s, %s, %s, %s)",
                [(d.ticket_id, d.title, d.body, d.internal) for d in documents],
            )

    def remove(self, ticket_ids: Iterable[int]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(f"DELETE FROM {SQLITE_TABLE} WHERE rowid = %s", [(pk,) for pk in ticket_ids])

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {SQLITE_TABLE}")

    def _expression(self, words: Sequence[QueryWord], *, columns: str, match_any: bool) -> str:
        joiner = " OR " if match_any else " AND "
        terms = joiner.join(_term(w, quote='"', prefix="*", either=" OR ") for w in words)
        return f"{columns} : ({terms})"

    def _columns(self, internal: bool) -> str:
        return "{title body internal}" if internal else "{title body}"

    def match_sql(
        self, words: Sequence[QueryWord], *, internal: bool, match_any: bool = False
    ) -> tuple[str, list[object]]:
        return (
            f"SELECT rowid FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s",
            [self._expression(words, columns=self._columns(internal), match_any=match_any)],
        )

    def ranked_ticket_ids(
        self,
        words: Sequence[QueryWord],
        *,
        internal: bool,
        match_any: bool = False,
        newer_than: int | None = None,
        keys: Sequence[str] | None = None,
        limit: int,
    ) -> list[tuple[int, float]]:
        # bm25() is lower for better matches; negated so that higher is better on both databases.
        # The title weighs more than the body. FTS5 reads the id range from its own index.
        expression = self._expression(words, columns=self._columns(internal), match_any=match_any)
        newer = "" if newer_than is None else " AND rowid > %s"
        params: list[Any] = [expression] if newer_than is None else [expression, newer_than]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, -bm25({SQLITE_TABLE}, 5.0, 1.0, 1.0) AS score FROM {SQLITE_TABLE} "
                f"WHERE {SQLITE_TABLE} MATCH %s{newer} ORDER BY score DESC, rowid DESC LIMIT %s",
                [*params, limit],
            )
            return [(row[0], row[1]) for row in cursor.fetchall()]

    def visible_match_ids(
        self,
        words: Sequence[QueryWord],
        *,
        internal: bool,
        match_any: bool = False,
        keys: Sequence[str] | None,
        exclude: Sequence[int] = (),
        limit: int,
    ) -> list[int] | None:
        return None  # the FTS5 table holds no keys; SQLite's planner joins the visible tickets well enough

    def dump(self) -> dict[int, tuple[str, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT rowid, title, body, internal FROM {SQLITE_TABLE}")
            return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}

    def store_articles(self, documents: Sequence[ArticleDocument]) -> None:
        if not documents:
            return
        self.remove_articles(document.article_id for document in documents)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {SQLITE_ARTICLE_TABLE} (rowid, title, body) VALUES (%s, %s, %s)",
                [(d.article_id, d.title, d.body) for d in documents],
            )

    def remove_articles(self, article_ids: Iterable[int]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(f"DELETE FROM {SQLITE_ARTICLE_TABLE} WHERE rowid = %s", [(pk,) for pk in article_ids])

    def clear_articles(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {SQLITE_ARTICLE_TABLE}")

    def article_match_sql(self, words: Sequence[QueryWord], *, match_any: bool = False) -> tuple[str, list[object]]:
        return (
            f"SELECT rowid FROM {SQLITE_ARTICLE_TABLE} WHERE {SQLITE_ARTICLE_TABLE} MATCH %s",
            [self._expression(words, columns="{title body}", match_any=match_any)],
        )

    def ranked_article_ids(
        self, words: Sequence[QueryWord], *, match_any: bool = False, limit: int
    ) -> list[tuple[int, float]]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, -bm25({SQLITE_ARTICLE_TABLE}, 5.0, 1.0) AS score FROM {SQLITE_ARTICLE_TABLE} "
                f"WHERE {SQLITE_ARTICLE_TABLE} MATCH %s ORDER BY score DESC, rowid DESC LIMIT %s",
                [self._expression(words, columns="{title body}", match_any=match_any), limit],
            )
            return [(row[0], row[1]) for row in cursor.fetchall()]

    def dump_articles(self) -> dict[int, tuple[str, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT rowid, title, body FROM {SQLITE_ARTICLE_TABLE}")
            return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


class PostgresBackend:
    def store(self, documents: Sequence[TicketDocument]) -> None:
        if not documents:
            return
        # The keys are lexemes of their own (array_to_tsvector parses nothing): "team:3" stays whole.
        public = (
            "setweight(to_tsvector('simple', %s), 'A') || to_tsvector('simple', %s) || array_to_tsvector(%s::text[])"
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {POSTGRES_TABLE} (ticket_id, public_vector, all_vector) "
                f"VALUES (%s, {public}, {public} || to_tsvector('simple', %s)) "
                "ON CONFLICT (ticket_id) DO UPDATE SET public_vector = EXCLUDED.public_vector, "
                "all_vector = EXCLUDED.all_vector",
                [
                    (d.ticket_id, d.title, d.body, list(d.keys), d.title, d.body, list(d.keys), d.internal)
                    for d in documents
                ],
            )

    def remove(self, ticket_ids: Iterable[int]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {POSTGRES_TABLE} WHERE ticket_id = ANY(%s)", [list(ticket_ids)])

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {POSTGRES_TABLE}")

    def _keyed(self, query: str, keys: Sequence[str] | None) -> str:
        """Return `query` narrowed to tickets with one of `keys` (None: unchanged).

        The GIN index answers words and keys together, so only the viewer's matches reach the table.
        """
        if keys is None:
            return query
        return f"({query}) & (" + " | ".join(_quoted(key, "'") for key in keys) + ")"

    def _tsquery(self, words: Sequence[QueryWord], *, match_any: bool = False) -> str:
        # Written as a tsquery literal (quoted lexemes), so no parser sees the words again.
        joiner = " | " if match_any else " & "
        return joiner.join(_term(w, quote="'", prefix=":*", either=" | ") for w in words)

    def match_sql(
        self, words: Sequence[QueryWord], *, internal: bool, match_any: bool = False
    ) -> tuple[str, list[object]]:
        column = "all_vector" if internal else "public_vector"
        return (
            f"SELECT ticket_id FROM {POSTGRES_TABLE} WHERE {column} @@ %s::tsquery",
            [self._tsquery(words, match_any=match_any)],
        )

    def ranked_ticket_ids(
        self,
        words: Sequence[QueryWord],
        *,
        internal: bool,
        match_any: bool = False,
        newer_than: int | None = None,
        keys: Sequence[str] | None = None,
        limit: int,
    ) -> list[tuple[int, float]]:
        column = "all_vector" if internal else "public_vector"
        query = self._tsquery(words, match_any=match_any)
        if keys is not None and not keys:
            return []
        # Ranked by the words alone; the keys only narrow which tickets are ranked.
        newer = "" if newer_than is None else " AND ticket_id > %s"
        params: list[Any] = [query, self._keyed(query, keys)] + ([] if newer_than is None else [newer_than])
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT ticket_id, ts_rank({column}, %s::tsquery) AS score FROM {POSTGRES_TABLE} "
                f"WHERE {column} @@ %s::tsquery{newer} ORDER BY score DESC, ticket_id DESC LIMIT %s",
                [*params, limit],
            )
            return [(row[0], row[1]) for row in cursor.fetchall()]

    def visible_match_ids(
        self,
        words: Sequence[QueryWord],
        *,
        internal: bool,
        match_any: bool = False,
        keys: Sequence[str] | None,
        exclude: Sequence[int] = (),
        limit: int,
    ) -> list[int] | None:
        if keys is not None and not keys:
            return []
        column = "all_vector" if internal else "public_vector"
        query = self._keyed(self._tsquery(words, match_any=match_any), keys)
        # "+ 0": ordered by the id, the planner could walk the primary key backwards testing every
        # row's vector (seconds when the estimate of matches is low); this way the index finds the
        # matches and only they are sorted.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT ticket_id FROM {POSTGRES_TABLE} WHERE {column} @@ %s::tsquery "
                "AND NOT (ticket_id = ANY(%s::bigint[])) ORDER BY ticket_id + 0 DESC LIMIT %s",
                [query, list(exclude), limit],
            )
            return [row[0] for row in cursor.fetchall()]

    def dump(self) -> dict[int, tuple[str, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT ticket_id, public_vector::text, all_vector::text FROM {POSTGRES_TABLE}")
            return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}

    def store_articles(self, documents: Sequence[ArticleDocument]) -> None:
        if not documents:
            return
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {POSTGRES_ARTICLE_TABLE} (article_id, vector) "
                "VALUES (%s, setweight(to_tsvector('simple', %s), 'A') || to_tsvector('simple', %s)) "
                "ON CONFLICT (article_id) DO UPDATE SET vector = EXCLUDED.vector",
                [(d.article_id, d.title, d.body) for d in documents],
            )

    def remove_articles(self, article_ids: Iterable[int]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {POSTGRES_ARTICLE_TABLE} WHERE article_id = ANY(%s)", [list(article_ids)])

    def clear_articles(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {POSTGRES_ARTICLE_TABLE}")

    def article_match_sql(self, words: Sequence[QueryWord], *, match_any: bool = False) -> tuple[str, list[object]]:
        return (
            f"SELECT article_id FROM {POSTGRES_ARTICLE_TABLE} WHERE vector @@ %s::tsquery",
            [self._tsquery(words, match_any=match_any)],
        )

    def ranked_article_ids(
        self, words: Sequence[QueryWord], *, match_any: bool = False, limit: int
    ) -> list[tuple[int, float]]:
        query = self._tsquery(words, match_any=match_any)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT article_id, ts_rank(vector, %s::tsquery) AS score FROM {POSTGRES_ARTICLE_TABLE} "
                "WHERE vector @@ %s::tsquery ORDER BY score DESC, article_id DESC LIMIT %s",
                [query, query, limit],
            )
            return [(row[0], row[1]) for row in cursor.fetchall()]

    def dump_articles(self) -> dict[int, tuple[str, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT article_id, vector::text FROM {POSTGRES_ARTICLE_TABLE}")
            return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def backend() -> SearchBackend:
    """Return the backend of the configured database."""
    if connection.vendor == "postgresql":
        return PostgresBackend()
    return SqliteBackend()
