"""Which processes use a SQLite database file: a shared lock each user holds, an exclusive one to replace it.

Every process that opens the database takes a shared lock on `<database>-users.lock` and keeps it
until it exits. Replacing the file under a running process is unsafe: a connection kept open goes
on writing to the old file, and closing it later removes the new file's write-ahead log by name.
A restore therefore takes the exclusive lock first, which only succeeds while nobody else holds
the shared one.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_POLL_SECONDS = 0.01

_held: dict[str, tuple[int, int]] = {}  # lock path -> (descriptor, process id) of this process
_held_lock = threading.Lock()


class DatabaseInUse(Exception):
    """Another process has the database open (or is replacing it)."""


def users_lock_path(database_path: str) -> str:
    """Return the lock file that records the users of the database at `database_path`."""
    return os.path.abspath(database_path) + "-users.lock"


def hold_shared(database_path: str, *, timeout: float) -> None:
    """Record this process as a user of the database until it exits; wait up to `timeout` s for a replacement to end."""
    path = users_lock_path(database_path)
    with _held_lock:
        held = _held.get(path)
        if held is not None and held[1] == os.getpid():
            return
        # Opened per process: after a fork the child takes its own lock (the inherited one is shared
        # with the parent and ends with whichever closes it last).
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock(descriptor, fcntl.LOCK_SH, timeout=timeout)
        except BaseException:
            os.close(descriptor)
            raise
        _held[path] = (descriptor, os.getpid())


def release_shared(database_path: str) -> None:
    """Stop recording this process as a user (its connections must be closed first)."""
    path = users_lock_path(database_path)
    with _held_lock:
        held = _held.pop(path, None)
        if held is not None and held[1] == os.getpid():
            os.close(held[0])


@contextmanager
def exclusive(database_path: str) -> Iterator[None]:
    """Hold the database for replacing it; raise DatabaseInUse at once if another process uses it."""
    descriptor = os.open(users_lock_path(database_path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            _lock(descriptor, fcntl.LOCK_EX, timeout=0)
        except TimeoutError:
            raise DatabaseInUse(database_path) from None
        yield
    finally:
        os.close(descriptor)


def _lock(descriptor: int, operation: int, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(descriptor, operation | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise TimeoutError from None
            time.sleep(_POLL_SECONDS)
