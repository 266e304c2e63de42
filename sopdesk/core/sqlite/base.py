"""Django's SQLite backend with a queue in front of SQLite's single write lock.

Every transaction here begins with `BEGIN IMMEDIATE` (settings.py), so transactions take SQLite's
one write lock in turn. SQLite lets a waiting writer sleep and retry in its busy handler, with
sleeps growing to 100 ms; under load some requests lose the race again and again, which made
the slowest ticket creations take half a second while the lock was free most of the time
(bench/README.md). Here a transaction first waits for its turn on a lock file next to the
database (one thread per process, then one process per database), and only then begins. The
lock is released when the transaction ends, and the kernel wakes the next waiter at once.

Every process that opens the file also records itself as its user (sopdesk.lib.inuse), so that
`sopdesk restore` refuses to replace a database a running service keeps open.

The queue only orders what SQLite would serialize anyway: SQLite's own lock and busy timeout stay
in force (statements outside a transaction, other programs), and a waiter that cannot get its
turn within the busy timeout fails as SQLite would, with "database is locked".
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from typing import Any

from django.conf import settings
from django.db.backends.sqlite3 import base as sqlite3_base
from django.db.backends.sqlite3.operations import DatabaseOperations as SqliteOperations
from django.db.utils import OperationalError

from sopdesk.lib import inuse


class _Locker:
    """A thread of one process that waits in the kernel for the lock file, for whichever thread wants it.

    `flock` can wait without polling but not with a time limit; a waiter here waits on a condition
    with its time limit instead, and a waiter that gives up leaves the locker to hand the lock back
    (or to the process's next waiter). Polling the file cost 20 µs of CPU per attempt and left the
    lock idle between attempts (bench/README.md). The locker has its own open file: flock locks
    belong to an open file, so its late turn cannot be confused with one taken on the fast path.
    """

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._changed = threading.Condition()
        self._wanted = False
        self._granted = False
        threading.Thread(target=self._run, name="sqlite-writer-queue", daemon=True).start()

    @property
    def fd(self) -> int:
        return self._fd

    def wait_for_turn(self, timeout: float) -> bool:
        """Return True once this process holds the lock file through the locker, False after `timeout`."""
        with self._changed:
            self._wanted, self._granted = True, False
            self._changed.notify_all()
            granted = False
            try:
                granted = self._changed.wait_for(lambda: self._granted, timeout=max(timeout, 0.0))
            finally:
                if self._granted and not granted:
                    # Interrupted (a signal's exception) just as the turn came: nobody takes it.
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                self._wanted = self._granted = False
            return granted

    def _run(self) -> None:
        while True:
            with self._changed:
                # After a grant, wait until the waiter has taken it, or the lock would be taken twice.
                self._changed.wait_for(lambda: self._wanted and not self._granted)
            fcntl.flock(self._fd, fcntl.LOCK_EX)  # waits in the kernel, without the interpreter lock
            with self._changed:
                if self._wanted:
                    self._granted = True
                    self._changed.notify_all()
                    continue
            fcntl.flock(self._fd, fcntl.LOCK_UN)  # the waiter gave up meanwhile


class WriterQueue:
    """Exclusive turns on one database for the threads of all processes (a lock file + a thread lock)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._locker: _Locker | None = None
        self._pid = 0
        self._held_fd: int | None = None

    def _file(self) -> int:
        # Opened per process: after a fork the parent's descriptor would share its lock with the
        # child, and the parent's locker thread does not exist in the child.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._locker = None
            self._pid = os.getpid()
        return self._fd

    def acquire(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        if not self._thread_lock.acquire(timeout=timeout):
            raise OperationalError("database is locked")
        try:
            fd = self._file()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._held_fd = fd
                return
            except BlockingIOError:
                pass
            if self._locker is None:
                self._locker = _Locker(self.path)
            if not self._locker.wait_for_turn(deadline - time.monotonic()):
                raise OperationalError("database is locked")
            self._held_fd = self._locker.fd
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self) -> None:
        try:
            held, self._held_fd = self._held_fd, None
            if held is not None and self._pid == os.getpid():
                fcntl.flock(held, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


_queues: dict[str, WriterQueue] = {}
_queues_lock = threading.Lock()


def writer_queue(database_path: str) -> WriterQueue:
    """The one queue of this process for the database file at `database_path`."""
    path = os.path.abspath(database_path) + "-writers.lock"
    with _queues_lock:
        queue = _queues.get(path)
        if queue is None:
            queue = _queues[path] = WriterQueue(path)
        return queue


class DatabaseOperations(SqliteOperations):
    # Single-row inserts keep their statement text per shape (compiler.py).
    compiler_module = "sopdesk.core.sqlite.compiler"


class DatabaseWrapper(sqlite3_base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_turn: WriterQueue | None = None

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        if not self.is_in_memory_db():
            # This process uses the file from now on: `sopdesk restore` refuses to replace it
            # meanwhile (connections are kept open between requests, settings.py).
            timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
            try:
                inuse.hold_shared(str(self.settings_dict["NAME"]), timeout=timeout)
            except TimeoutError:
                raise OperationalError("the database is being replaced (restore)") from None
        return super().get_new_connection(conn_params)

    def _queue(self) -> WriterQueue | None:
        if self.is_in_memory_db() or not getattr(settings, "SOPDESK_SQLITE_QUEUE_WRITERS", False):
            return None
        return writer_queue(str(self.settings_dict["NAME"]))

    def _start_transaction_under_autocommit(self) -> None:
        queue = self._queue()
        if queue is not None and self._writer_turn is None:
            queue.acquire(timeout=float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5)))
            self._writer_turn = queue
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._end_turn()
            raise

    def _end_turn(self) -> None:
        turn, self._writer_turn = self._writer_turn, None
        if turn is not None:
            turn.release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._end_turn()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._end_turn()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._end_turn()
