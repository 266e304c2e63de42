"""The embedded job queue's SQLite file: write-ahead log, synced at checkpoints rather than per job."""

from __future__ import annotations

from pathlib import Path

from huey.contrib.djhuey import HUEY

from sopdesk.core.jobqueue import EmbeddedHuey


def test_the_queue_file_uses_the_write_ahead_log_with_normal_sync(tmp_path: Path) -> None:
    queue = EmbeddedHuey("test", filename=str(tmp_path / "jobs.sqlite3"))
    connection = queue.storage.conn
    assert connection.execute("pragma journal_mode").fetchone() == ("wal",)
    assert connection.execute("pragma synchronous").fetchone() == (1,)  # NORMAL, not FULL (2)

    queue.storage.enqueue(b"job")
    assert queue.storage.queue_size() == 1
    assert queue.storage.dequeue() == b"job"


def test_the_service_uses_it_for_the_default_sqlite_queue() -> None:
    assert isinstance(HUEY, EmbeddedHuey)
