"""Backup fixtures: a restore target on the engine under test, and whole-database comparisons."""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from sopdesk.accounts.models import User
from sopdesk.backup.actions import RestoreTarget
from sopdesk.backup.databases import connect_postgresql
from sopdesk.testing import factories
from sopdesk.tickets.actions import add_attachment
from sopdesk.tickets.models import Ticket

# Every table as a multiset of rows (each row as canonical JSON, so JSON columns compare too).
Contents = dict[str, Counter[str]]

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def restore_target(tmp_path: Path) -> Iterator[RestoreTarget]:
    """A fresh data directory, plus a scratch PostgreSQL database when the suite runs on PostgreSQL."""
    data_dir = tmp_path / "restored"
    if not is_postgresql():
        yield RestoreTarget(data_dir)
        return
    missing = [program for program in ("pg_dump", "pg_restore") if shutil.which(program) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: PostgreSQL backups need the client programs")
    scratch = {**connection.settings_dict, "NAME": f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"}
    with connect_postgresql(connection.settings_dict) as admin:
        admin.execute(f'CREATE DATABASE "{scratch["NAME"]}"')
    try:
        yield RestoreTarget(data_dir, scratch)
    finally:
        with connect_postgresql(connection.settings_dict) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch["NAME"]}" WITH (FORCE)')


def source_contents() -> Contents:
    """Return every table of the database under test."""
    if is_postgresql():
        return _postgresql_contents(connection.settings_dict)
    return _sqlite_contents(Path(connection.settings_dict["NAME"]))


def restored_contents(target: RestoreTarget) -> Contents:
    """Return every table of the database a restore wrote into `target`."""
    if target.database is not None:
        return _postgresql_contents(target.database)
    return _sqlite_contents(target.data_dir / "sopdesk.sqlite3")


def _canonical(row: tuple[Any, ...]) -> str:
    return json.dumps(list(row), default=str, sort_keys=True, ensure_ascii=False)


def _sqlite_contents(path: Path) -> Contents:
    with closing(sqlite3.connect(path)) as database:
        tables = [
            name
            for (name,) in database.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {table: Counter(map(_canonical, database.execute(f'SELECT * FROM "{table}"'))) for table in tables}  # noqa: S608


def _postgresql_contents(settings_dict: dict[str, Any]) -> Contents:
    with connect_postgresql(settings_dict) as database, database.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [name for (name,) in cursor.fetchall()]
        contents: Contents = {}
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608  (names from the catalogue)
            contents[table] = Counter(map(_canonical, cursor.fetchall()))
        return contents


def query_restored(target: RestoreTarget, sql: str) -> list[tuple[Any, ...]]:
    """Run `sql` on the database a restore wrote into `target`; return its rows."""
    if target.database is not None:
        with connect_postgresql(target.database) as database, database.cursor() as cursor:
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]
    with closing(sqlite3.connect(target.data_dir / "sopdesk.sqlite3")) as database:
        return list(database.execute(sql))


def create_ticket_with_attachments(requester: User, number: int, *, with_image: bool = False) -> Ticket:
    """Create a ticket and its attachments through the real actions, in one transaction."""
    now = timezone.now()
    with transaction.atomic():
        ticket = factories.make_ticket(requester, title=f"VPN drops every hour ({number})", now=now)
        log = "".join(f"{number}: 连接超时 line {line}\n" for line in range(200)).encode()
        add_attachment(
            ticket, actor=requester, upload=SimpleUploadedFile(f"vpn-{number}.log", log), is_internal=False, now=now
        )
        if with_image:
            add_attachment(
                ticket, actor=requester, upload=SimpleUploadedFile("screen.png", PNG), is_internal=False, now=now
            )
    return ticket


def media_file(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / name
