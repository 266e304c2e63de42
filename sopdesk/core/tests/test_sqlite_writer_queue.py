"""The SQLite writer queue: one transaction at a time across threads and processes, in turn."""

from __future__ import annotations

import multiprocessing
import signal
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.db.utils import OperationalError
from pytest_django.fixtures import Settings

from sopdesk.core.sqlite.base import WriterQueue, writer_queue
from sopdesk.lib import inuse
from sopdesk.lib.env import EnvError


def _hold(path: str, held: multiprocessing.synchronize.Event, release: multiprocessing.synchronize.Event) -> None:
    queue = WriterQueue(path)
    queue.acquire(timeout=5)
    held.set()
    release.wait(10)
    queue.release()


def _holding_process(path: str) -> tuple[multiprocessing.process.BaseProcess, multiprocessing.synchronize.Event]:
    context = multiprocessing.get_context("spawn")
    held, release = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(path, held, release))
    holder.start()
    assert held.wait(20)
    return holder, release


def test_threads_take_turns(tmp_path: Path) -> None:
    queue = WriterQueue(str(tmp_path / "db-writers.lock"))
    inside = 0
    most_inside = 0
    guard = threading.Lock()

    def work() -> None:
        nonlocal inside, most_inside
        for _ in range(20):
            queue.acquire(timeout=5)
            with guard:
                inside += 1
                most_inside = max(most_inside, inside)
            time.sleep(0.0005)
            with guard:
                inside -= 1
            queue.release()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert most_inside == 1


def test_another_process_holding_the_turn_makes_us_wait_and_then_time_out(tmp_path: Path) -> None:
    path = str(tmp_path / "db-writers.lock")
    holder, release = _holding_process(path)
    try:
        queue = WriterQueue(path)
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"):
            queue.acquire(timeout=0.3)
        assert time.monotonic() - started >= 0.3
        release.set()
        queue.acquire(timeout=10)  # the turn comes as soon as the other process lets go
        queue.release()
    finally:
        release.set()
        holder.join(10)


def test_a_timed_out_waiter_leaves_the_queue_usable(tmp_path: Path) -> None:
    queue = WriterQueue(str(tmp_path / "db-writers.lock"))
    queue.acquire(timeout=1)
    failed: list[Exception] = []

    def wait_too_short() -> None:
        try:
            queue.acquire(timeout=0.05)
        except OperationalError as exc:
            failed.append(exc)

    waiter = threading.Thread(target=wait_too_short)
    waiter.start()
    waiter.join()
    queue.release()

    assert len(failed) == 1
    queue.acquire(timeout=1)
    queue.release()


def test_a_waiter_waits_in_the_kernel_instead_of_polling(tmp_path: Path) -> None:
    path = str(tmp_path / "db-writers.lock")
    holder, release = _holding_process(path)
    try:
        queue = WriterQueue(path)
        cpu_before = time.thread_time()
        with pytest.raises(OperationalError, match="database is locked"):
            queue.acquire(timeout=0.5)
        # Polling the file every 0.1 ms cost about 20 µs of CPU per attempt: 50 ms over this wait.
        assert time.thread_time() - cpu_before < 0.01
    finally:
        release.set()
        holder.join(10)


def test_the_turn_a_waiter_gave_up_goes_to_the_next_waiter_and_then_to_other_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "db-writers.lock")
    holder, release = _holding_process(path)
    queue = WriterQueue(path)
    try:
        with pytest.raises(OperationalError):
            queue.acquire(timeout=0.05)  # the process's locker still waits for this turn
        got_turn = threading.Event()

        def next_waiter() -> None:
            queue.acquire(timeout=10)
            got_turn.set()

        waiter = threading.Thread(target=next_waiter)
        waiter.start()
        time.sleep(0.1)
        assert not got_turn.is_set()
        release.set()
        waiter.join(10)
        assert got_turn.is_set()
    finally:
        release.set()
        holder.join(10)
    queue.release()

    # Released for good: another process gets the turn at once.
    other, release_other = _holding_process(path)
    release_other.set()
    other.join(10)
    assert other.exitcode == 0


class _Interrupted(Exception):
    pass


def test_a_waiter_interrupted_by_a_signal_leaves_the_turn_to_others(tmp_path: Path) -> None:
    path = str(tmp_path / "db-writers.lock")
    holder, release = _holding_process(path)
    queue = WriterQueue(path)

    def interrupt(signum: int, frame: object) -> None:
        raise _Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(_Interrupted):
            queue.acquire(timeout=10)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        release.set()
        holder.join(10)

    # The interrupted waiter's late turn is handed back: another process gets it.
    other, release_other = _holding_process(path)
    release_other.set()
    other.join(10)
    assert other.exitcode == 0


@pytest.mark.django_db(transaction=True)
def test_a_transaction_holds_the_turn_until_it_ends(settings: Settings) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the writer queue is SQLite's")
    settings.SOPDESK_SQLITE_QUEUE_WRITERS = True
    queue = writer_queue(str(connection.settings_dict["NAME"]))

    with transaction.atomic():
        assert connection._writer_turn is queue  # type: ignore[attr-defined]
        assert not queue._thread_lock.acquire(blocking=False)
    assert connection._writer_turn is None  # type: ignore[attr-defined]
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        1 / 0  # noqa: B018
    assert connection._writer_turn is None  # type: ignore[attr-defined]
    assert queue._thread_lock.acquire(blocking=False)
    queue._thread_lock.release()


@pytest.mark.django_db(transaction=True)
def test_the_queue_is_on_by_default_and_can_be_switched_off(settings: Settings) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the writer queue is SQLite's")
    assert settings.SOPDESK_SQLITE_QUEUE_WRITERS is True

    settings.SOPDESK_SQLITE_QUEUE_WRITERS = False

    with transaction.atomic():
        assert connection._writer_turn is None  # type: ignore[attr-defined]


@pytest.mark.django_db(transaction=True)
def test_a_process_with_the_database_open_is_recorded_as_its_user() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the users lock is SQLite's")
    connection.ensure_connection()

    # The restore's exclusive turn: refused while this process holds the file open.
    with pytest.raises(inuse.DatabaseInUse), inuse.exclusive(str(connection.settings_dict["NAME"])):
        pass


@pytest.mark.django_db
def test_connections_checkpoint_the_log_every_4000_pages_by_default() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the write-ahead log settings are SQLite's")
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert cursor.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
        assert cursor.execute("PRAGMA wal_autocheckpoint").fetchone() == (4000,)


def test_the_checkpoint_size_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from sopdesk import settings as service_settings

    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("SOPDESK_SQLITE_WAL_AUTOCHECKPOINT", "16000")
    assert "PRAGMA wal_autocheckpoint=16000;" in service_settings._databases()["default"]["OPTIONS"]["init_command"]

    monkeypatch.setenv("SOPDESK_SQLITE_WAL_AUTOCHECKPOINT", "10")
    with pytest.raises(EnvError, match="SOPDESK_SQLITE_WAL_AUTOCHECKPOINT"):
        service_settings._databases()
