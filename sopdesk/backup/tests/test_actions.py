"""Backups of a live instance restore table for table and byte for byte, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from pytest_django.fixtures import Settings

from sopdesk.accounts.models import User
from sopdesk.backup.actions import (
    BackupError,
    RestoreTarget,
    create_backup,
    restore_backup,
    run_scheduled_backup,
    verify_backup,
)
from sopdesk.backup.archive import archive_name
from sopdesk.backup.tasks import is_backup_due
from sopdesk.backup.tests.archives import repack, write_archive
from sopdesk.backup.tests.conftest import (
    create_ticket_with_attachments,
    is_postgresql,
    media_file,
    query_restored,
    restored_contents,
    source_contents,
)
from sopdesk.tickets.models import Attachment, Ticket

# pg_dump and the writer thread see committed rows only; the seeded rows come back after each test.
committed_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SEQUENCE_TABLE = "tickets_ticketnumbersequence"


class TicketWriter(threading.Thread):
    """Create tickets with attachments through the real actions until stopped."""

    def __init__(self, requester: User) -> None:
        super().__init__(daemon=True)
        self.requester_id = requester.pk
        self.created = 0
        self.errors: list[BaseException] = []
        self._stop_requested = threading.Event()
        self._changed = threading.Condition()

    def run(self) -> None:
        try:
            requester = User.objects.get(pk=self.requester_id)
            while not self._stop_requested.is_set():
                create_ticket_with_attachments(requester, 1000 + self.created)
                with self._changed:
                    self.created += 1
                    self._changed.notify_all()
        except BaseException as exc:
            self.errors.append(exc)
        finally:
            connection.close()

    def wait_for_more(self, count: int = 1) -> None:
        """Block until `count` more tickets are committed."""
        with self._changed:
            goal = self.created + count
            assert self._changed.wait_for(lambda: self.created >= goal or bool(self.errors), timeout=60)
        assert not self.errors, self.errors

    def stop(self) -> None:
        self._stop_requested.set()
        self.join(timeout=60)
        assert not self.errors, self.errors


def populate(requester: User, count: int) -> None:
    for number in range(count):
        create_ticket_with_attachments(requester, number, with_image=number % 3 == 0)


def assert_attachments_restored_byte_for_byte(target: RestoreTarget) -> int:
    rows = query_restored(target, "SELECT file, sha256 FROM tickets_attachment")
    for name, sha256 in rows:
        restored = (target.data_dir / "attachments" / name).read_bytes()
        assert restored == media_file(name).read_bytes(), name
        assert hashlib.sha256(restored).hexdigest() == sha256
    return len(rows)


CHANGED_LATER_BY_DESIGN = {"notifications_outboxmessage"}
# The search index and its queue of noted tickets are rewritten after each commit (FTS5 merges its
# segments, drained notes are deleted): checked below against the restored tickets instead.
SEARCH_INDEX = "search_ticket_fts"
SEARCH_QUEUE = "search_pendingticket"


def _search_tables(tables: set[str]) -> set[str]:
    return {name for name in tables if name.startswith((SEARCH_INDEX, "search_ticket_index", SEARCH_QUEUE))}


def _row_ids(rows: Counter[str]) -> set[Any]:
    return {json.loads(row)[0] for row in rows}


@committed_db
@pytest.mark.slow
def test_a_backup_taken_while_tickets_are_written_restores_a_consistent_snapshot(
    requester: User, agent: User, tmp_path: Path, restore_target: RestoreTarget
) -> None:
    # The index tables are no models, so the flush after other tests that committed leaves their
    # rows behind (tickets of ids this database no longer has): start from an empty index.
    from sopdesk.search.backends import backend

    backend().clear()
    populate(requester, 6)
    writer = TicketWriter(requester)
    writer.start()
    writer.wait_for_more()
    tickets_before = Ticket.objects.count()

    def progress(message: str) -> None:
        # Before the database copy and before the attachments: make sure writes land meanwhile.
        if message.startswith("Copying"):
            writer.wait_for_more()

    report = create_backup(output=tmp_path / "live.tar.gz", now=timezone.now(), progress=progress)
    writer.wait_for_more()
    writer.stop()
    restore_backup(report.path, target=restore_target)

    source, restored = source_contents(), restored_contents(restore_target)
    assert source.keys() == restored.keys()
    for table in source.keys() - {SEQUENCE_TABLE} - CHANGED_LATER_BY_DESIGN - _search_tables(set(source)):
        # Every restored row exists unchanged in the live database: a copy of one instant.
        assert not restored[table] - source[table], table
    for table in CHANGED_LATER_BY_DESIGN:
        # Each new ticket's acknowledgement e-mail is sent right after its commit, possibly after the
        # copy: the restored rows are live rows, their delivery state may have moved on since.
        assert _row_ids(restored[table]) <= _row_ids(source[table]), table
    ticket_ids = [row[0] for row in query_restored(restore_target, "SELECT id FROM tickets_ticket ORDER BY id")]
    # The tickets committed before that instant, without gaps, and none committed after it.
    assert ticket_ids == list(Ticket.objects.order_by("id").values_list("id", flat=True)[: len(ticket_ids)])
    assert tickets_before < len(ticket_ids) < Ticket.objects.count()
    # Whole transactions only: every restored ticket has its events and its attachments.
    for table in ("tickets_ticketevent", "tickets_attachment"):
        referenced = query_restored(restore_target, f"SELECT DISTINCT ticket_id FROM {table} ORDER BY ticket_id")  # noqa: S608
        assert [row[0] for row in referenced] == ticket_ids, table
    assert query_restored(restore_target, f"SELECT last_value FROM {SEQUENCE_TABLE}") == [(len(ticket_ids),)]  # noqa: S608
    # The index of the same instant: every restored ticket is indexed or noted for indexing.
    index = "search_ticket_index" if "search_ticket_index" in restored else SEARCH_INDEX
    key = "ticket_id" if index == "search_ticket_index" else "rowid"
    searchable = query_restored(
        restore_target,
        f"SELECT {key} FROM {index} UNION SELECT ticket_id FROM {SEARCH_QUEUE} ORDER BY 1",  # noqa: S608
    )
    assert [row[0] for row in searchable] == ticket_ids
    expected_attachments = Attachment.objects.filter(ticket_id__in=ticket_ids).count()
    assert assert_attachments_restored_byte_for_byte(restore_target) == expected_attachments


@committed_db
def test_a_quiet_instance_restores_table_for_table_and_byte_for_byte(
    requester: User, agent: User, tmp_path: Path, restore_target: RestoreTarget
) -> None:
    populate(requester, 5)

    report = create_backup(output=tmp_path / "quiet.tar.gz", now=timezone.now())
    restore_backup(report.path, target=restore_target)

    source, restored = source_contents(), restored_contents(restore_target)
    assert {table: sum(rows.values()) for table, rows in restored.items()} == {
        table: sum(rows.values()) for table, rows in source.items()
    }
    assert restored == source
    assert assert_attachments_restored_byte_for_byte(restore_target) == Attachment.objects.count() == 7
    assert report.manifest.attachment_count == 7
    assert report.manifest.schema["tickets"][0] == "0001_initial"
    secret_key = Path(django_settings.DATA_DIR) / "secret_key"
    assert (restore_target.data_dir / "secret_key").read_bytes() == secret_key.read_bytes()


@committed_db
def test_restore_refuses_a_target_that_holds_data_and_replaces_it_with_force(
    requester: User, tmp_path: Path, restore_target: RestoreTarget
) -> None:
    populate(requester, 2)
    report = create_backup(output=tmp_path / "b.tar.gz", now=timezone.now())
    restore_backup(report.path, target=restore_target)
    stray = restore_target.data_dir / "attachments" / "2020" / "01" / "left-over"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"from an older life")
    before = restored_contents(restore_target)

    with pytest.raises(BackupError, match=r"already holds data\. Add --force"):
        restore_backup(report.path, target=restore_target)
    assert restored_contents(restore_target) == before
    assert stray.exists()

    restore_backup(report.path, target=restore_target, replace=True)
    assert restored_contents(restore_target) == source_contents()
    assert not stray.exists()
    assert assert_attachments_restored_byte_for_byte(restore_target) == 3
    assert not [p for p in restore_target.data_dir.iterdir() if p.name.startswith(".sopdesk-restore-")]


_DATABASE_USER = """
import sqlite3, sys
from sopdesk.lib import inuse
inuse.hold_shared(sys.argv[1], timeout=5)
database = sqlite3.connect(sys.argv[1])
database.execute("SELECT count(*) FROM sqlite_master").fetchall()
print("open", flush=True)
sys.stdin.read()
"""


@committed_db
def test_restore_refuses_to_replace_a_sqlite_database_another_process_has_open(
    requester: User, tmp_path: Path, restore_target: RestoreTarget
) -> None:
    if restore_target.database is not None:
        pytest.skip("PostgreSQL's restore runs in the server, not on a file")
    populate(requester, 1)
    report = create_backup(output=tmp_path / "b.tar.gz", now=timezone.now())
    restore_backup(report.path, target=restore_target)
    database = restore_target.data_dir / "sopdesk.sqlite3"
    service = subprocess.Popen(  # noqa: S603  (our own interpreter and script)
        [sys.executable, "-c", _DATABASE_USER, str(database)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert service.stdout is not None
        assert service.stdout.readline() == "open\n"
        before = database.stat().st_ino
        with pytest.raises(BackupError, match=r"in use by another process"):
            restore_backup(report.path, target=restore_target, replace=True)
        assert database.stat().st_ino == before
    finally:
        service.communicate("", timeout=10)

    restore_backup(report.path, target=restore_target, replace=True)
    assert database.stat().st_ino != before
    assert restored_contents(restore_target) == source_contents()


@committed_db
def test_a_database_alone_counts_as_data_in_the_target(
    requester: User, tmp_path: Path, restore_target: RestoreTarget
) -> None:
    populate(requester, 1)
    report = create_backup(output=tmp_path / "b.tar.gz", now=timezone.now())
    restore_backup(report.path, target=restore_target)
    for path in (restore_target.data_dir / "attachments").rglob("*"):
        if path.is_file():
            path.unlink()

    with pytest.raises(BackupError, match=r"already holds data"):
        restore_backup(report.path, target=restore_target)


@committed_db
def test_a_tampered_archive_is_refused_and_the_target_stays_untouched(
    requester: User, tmp_path: Path, restore_target: RestoreTarget
) -> None:
    populate(requester, 2)
    report = create_backup(output=tmp_path / "b.tar.gz", now=timezone.now())
    attachment = next(m.name for m in report.manifest.members if m.name.startswith("attachments/"))
    tampered = tmp_path / "tampered.tar.gz"
    repack(report.path, tampered, replace={attachment: b"malware, politely"})

    with pytest.raises(BackupError, match=rf"altered or damaged.*{attachment}"):
        restore_backup(tampered, target=restore_target)
    with pytest.raises(BackupError, match=r"altered or damaged"):
        verify_backup(tampered)

    assert list(restore_target.data_dir.iterdir()) == []
    if restore_target.database is not None:
        assert restored_contents(restore_target) == {}


@committed_db
def test_a_truncated_archive_is_refused_by_verify_and_restore(
    requester: User, tmp_path: Path, restore_target: RestoreTarget
) -> None:
    populate(requester, 1)
    report = create_backup(output=tmp_path / "b.tar.gz", now=timezone.now())
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(report.path.read_bytes()[: report.size // 2])

    with pytest.raises(BackupError, match=r"is truncated"):
        verify_backup(truncated)
    with pytest.raises(BackupError, match=r"is truncated"):
        restore_backup(truncated, target=restore_target)
    assert list(restore_target.data_dir.iterdir()) == []


@committed_db
def test_verify_reports_the_archive_and_checks_the_database_inside(requester: User, tmp_path: Path) -> None:
    populate(requester, 1)
    report = create_backup(output=tmp_path / "b.tar.gz", now=timezone.now())
    lines: list[str] = []

    verified = verify_backup(report.path, progress=lines.append)

    assert verified.manifest == report.manifest
    expected = "pg_restore reads the dump" if is_postgresql() else "SQLite integrity check passed"
    assert expected in verified.database_check
    assert any("Checksums match" in line for line in lines)


def test_an_archive_of_the_other_engine_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    archive = tmp_path / "pg.tar.gz"
    write_archive(archive, {"database/sopdesk.pgdump": b"PGDMP..."}, engine="postgresql")

    with pytest.raises(BackupError, match=r"holds a PostgreSQL database, but the target is SQLite"):
        restore_backup(archive, target=RestoreTarget(tmp_path / "restored"))
    assert not (tmp_path / "restored" / "sopdesk.sqlite3").exists()


def test_an_archive_from_a_newer_sopdesk_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "future.tar.gz"
    write_archive(
        archive,
        {"database/sopdesk.sqlite3": b"SQLite format 3\x00"},
        schema={"tickets": ["0001_initial", "0099_from_the_future"]},
    )

    with pytest.raises(BackupError, match=r"newer sopdesk.*tickets\.0099_from_the_future"):
        restore_backup(archive, target=RestoreTarget(tmp_path / "restored"))


@committed_db
def test_an_attachment_missing_on_disk_is_reported_and_the_backup_still_completes(
    requester: User, tmp_path: Path
) -> None:
    populate(requester, 2)
    lost = Attachment.objects.first()
    assert lost is not None
    media_file(lost.file.name).unlink()
    lines: list[str] = []

    report = create_backup(output=tmp_path / "b.tar.gz", now=timezone.now(), progress=lines.append)

    assert report.manifest.missing_attachments == (lost.file.name,)
    assert report.manifest.attachment_count == 2
    assert any(lost.file.name in line and "missing" in line for line in lines)


def test_an_existing_output_file_is_never_overwritten(tmp_path: Path) -> None:
    existing = tmp_path / "b.tar.gz"
    existing.write_bytes(b"precious")

    with pytest.raises(BackupError, match=r"already exists"):
        create_backup(output=existing, now=timezone.now())
    assert existing.read_bytes() == b"precious"


@committed_db
def test_progress_shows_each_stage_and_the_attachments_copied(requester: User, tmp_path: Path) -> None:
    populate(requester, 1)
    lines: list[str] = []

    create_backup(output=tmp_path / "b.tar.gz", now=timezone.now(), progress=lines.append)

    assert [line.split(" ")[0] for line in lines] == [
        "Copying",
        "Database",
        "Copying",
        "Attachments:",
        "Writing",
        "Backup",
    ]
    assert "Attachments: 2/2" in lines


@committed_db
def test_the_daily_job_writes_a_backup_and_keeps_only_the_newest(
    requester: User, tmp_path: Path, settings: Settings
) -> None:
    settings.SOPDESK_BACKUP_DIR = tmp_path / "backups"
    settings.SOPDESK_BACKUP_KEEP = 3
    settings.SOPDESK_BACKUP_DIR.mkdir()
    start = datetime(2026, 11, 1, 19, tzinfo=UTC)
    old = [settings.SOPDESK_BACKUP_DIR / archive_name(start + timedelta(days=day)) for day in range(4)]
    for path in old:
        path.write_bytes(b"an older archive")
    unrelated = settings.SOPDESK_BACKUP_DIR / "keep-me.tar.gz"
    unrelated.write_bytes(b"an operator's own file")
    populate(requester, 1)

    report = run_scheduled_backup(now=start + timedelta(days=10))

    remaining = sorted(p.name for p in settings.SOPDESK_BACKUP_DIR.iterdir())
    assert remaining == sorted([old[2].name, old[3].name, report.backup.path.name, unrelated.name])
    assert sorted(report.deleted) == old[:2]
    assert verify_backup(report.backup.path).manifest.attachment_count == 2


@pytest.mark.parametrize(
    ("utc_time", "is_due"),
    [
        (datetime(2026, 11, 20, 19, 0), True),  # 03:00 in Shanghai
        (datetime(2026, 11, 20, 19, 1), False),
        (datetime(2026, 11, 21, 3, 0), False),  # 03:00 UTC is 11:00 in Shanghai
    ],
)
def test_the_daily_backup_is_due_at_the_configured_hour_of_the_local_time_zone(
    settings: Settings, utc_time: datetime, is_due: bool
) -> None:
    settings.TIME_ZONE = "Asia/Shanghai"
    settings.SOPDESK_BACKUP_HOUR = 3
    settings.SOPDESK_BACKUP_DAILY = True

    assert is_backup_due(utc_time) is is_due


def test_the_daily_backup_can_be_switched_off(settings: Settings) -> None:
    settings.TIME_ZONE = "UTC"
    settings.SOPDESK_BACKUP_HOUR = 3
    settings.SOPDESK_BACKUP_DAILY = False

    assert is_backup_due(datetime(2026, 11, 21, 3, 0)) is False


@committed_db
def test_the_backup_command_without_output_writes_into_the_backup_directory(
    requester: User, tmp_path: Path, settings: Settings
) -> None:
    settings.SOPDESK_BACKUP_DIR = tmp_path / "backups"
    populate(requester, 1)
    out = io.StringIO()

    call_command("backup", stdout=out)

    (written,) = settings.SOPDESK_BACKUP_DIR.iterdir()
    assert written.name.startswith("sopdesk-backup-")
    assert written.name.endswith(".tar.gz")
    assert f"Backup written: {written}" in out.getvalue()
    with pytest.raises(CommandError, match=r"either --output or --verify"):
        call_command("backup", "--verify", str(written), "--output", str(tmp_path / "x.tar.gz"))
