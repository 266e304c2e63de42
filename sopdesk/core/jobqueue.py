"""The embedded job queue: huey on its own SQLite file, committed without an fsync per job.

Every after-commit job (mail delivery today) is enqueued by the request that caused it, so the
queue's commit sits on the request path. Huey's SQLite storage keeps SQLite's default in WAL mode,
`synchronous=FULL`: an fsync of the write-ahead log per enqueued job, under a lock shared by the
process's threads. `NORMAL` is what SQLite recommends with WAL: the file stays consistent after a
crash or power loss, and only the last jobs before a power loss can be lost. Those jobs are
nudges: the outbox rows they point at are committed in the main database, and the every-minute
delivery job sends whatever a lost nudge did not.
"""

from __future__ import annotations

import sqlite3

from huey import SqliteHuey
from huey.storage import SqliteStorage


class NormalSyncSqliteStorage(SqliteStorage):  # type: ignore[misc]
    def _create_connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection = super()._create_connection()
        connection.execute("pragma synchronous=NORMAL")
        return connection


class EmbeddedHuey(SqliteHuey):  # type: ignore[misc]
    storage_class = NormalSyncSqliteStorage
