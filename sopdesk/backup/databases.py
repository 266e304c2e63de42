"""Consistent copies of the database and restoring them, per engine (SQLite and PostgreSQL).

A snapshot is taken in one read transaction, and the list of attachments and applied
migrations is read from that same snapshot, so an archive never refers to a file it lacks.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from sopdesk.backup.archive import DATABASE_PREFIX
from sopdesk.lib import inuse

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
ENGINE_NAMES = {SQLITE: "SQLite", POSTGRESQL: "PostgreSQL"}
SQLITE_MEMBER = f"{DATABASE_PREFIX}sopdesk.sqlite3"
POSTGRESQL_MEMBER = f"{DATABASE_PREFIX}sopdesk.pgdump"
SQLITE_FILE_NAME = "sopdesk.sqlite3"
_SQLITE_BUSY_SECONDS = 60.0
# libpq connection keywords that may appear in a DATABASE_URL's options and matter to pg_dump.
_LIBPQ_OPTIONS = {
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslcrl",
    "connect_timeout",
    "options",
    "application_name",
    "target_session_attrs",
    "service",
    "passfile",
}


class DatabaseError(Exception):
    """A database could not be copied or restored; the message says why (translated)."""


@dataclass(frozen=True)
class Snapshot:
    """A consistent copy of the database in a file, and what it contains."""

    engine: str
    member_name: str
    path: Path
    schema: dict[str, list[str]]
    attachment_names: list[str]


def engine_of(settings_dict: dict[str, Any]) -> str:
    """Return `sqlite` or `postgresql` for a Django database settings entry; refuse others."""
    engine = str(settings_dict["ENGINE"])
    if engine in {"django.db.backends.sqlite3", "sopdesk.core.sqlite"}:
        return SQLITE
    if engine.startswith("django.db.backends.postgresql"):
        return POSTGRESQL
    raise DatabaseError(_("Backups support SQLite and PostgreSQL databases, not %(engine)s.") % {"engine": engine})


def snapshot(settings_dict: dict[str, Any], workdir: Path) -> Snapshot:
    """Copy the database described by `settings_dict` into `workdir` while the service keeps running."""
    try:
        if engine_of(settings_dict) == SQLITE:
            return _snapshot_sqlite(Path(settings_dict["NAME"]), workdir / SQLITE_FILE_NAME)
        return _snapshot_postgresql(settings_dict, workdir / "sopdesk.pgdump")
    except (sqlite3.Error, psycopg.Error) as exc:
        raise DatabaseError(_("Cannot copy the database: %(reason)s") % {"reason": str(exc).strip()}) from None


def _snapshot_sqlite(source_path: Path, target_path: Path) -> Snapshot:
    if not source_path.is_file():
        raise DatabaseError(_("The SQLite database %(path)s does not exist.") % {"path": source_path})
    with (
        closing(sqlite3.connect(source_path, timeout=_SQLITE_BUSY_SECONDS)) as source,
        closing(sqlite3.connect(target_path)) as target,
    ):
        # One step (pages=-1) copies every page inside a single read transaction: in WAL mode
        # writers carry on meanwhile, whereas a stepwise copy restarts whenever they write.
        source.backup(target, pages=-1)
        # A self-contained file: no -wal beside it. The service switches back to WAL on open.
        target.execute("PRAGMA journal_mode=DELETE")
        schema = _applied_migrations(target.execute("SELECT app, name FROM django_migrations").fetchall())
        attachments = [row[0] for row in target.execute("SELECT file FROM tickets_attachment ORDER BY id")]
    return Snapshot(SQLITE, SQLITE_MEMBER, target_path, schema, attachments)


def _snapshot_postgresql(settings_dict: dict[str, Any], target_path: Path) -> Snapshot:
    pg_dump = _client_program("pg_dump")
    with connect_postgresql(settings_dict) as connection, connection.cursor() as cursor:
        # pg_dump joins this exported snapshot, so the dump and the attachment list agree exactly.
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot_id = _one(cursor.fetchone())
        cursor.execute("SELECT app, name FROM django_migrations")
        schema = _applied_migrations(cursor.fetchall())
        cursor.execute("SELECT file FROM tickets_attachment ORDER BY id")
        attachments = [row[0] for row in cursor.fetchall()]
        _run_client([pg_dump, "--format=custom", f"--snapshot={snapshot_id}", f"--file={target_path}"], settings_dict)
        cursor.execute("ROLLBACK")
    return Snapshot(POSTGRESQL, POSTGRESQL_MEMBER, target_path, schema, attachments)


def _applied_migrations(rows: list[tuple[Any, ...]]) -> dict[str, list[str]]:
    schema: dict[str, list[str]] = {}
    for app, name in rows:
        schema.setdefault(str(app), []).append(str(name))
    return {app: sorted(names) for app, names in sorted(schema.items())}


def _one(row: tuple[Any, ...] | None) -> str:
    if row is None:  # pragma: no cover - the function always returns a row
        raise DatabaseError(_("PostgreSQL returned no snapshot."))
    return str(row[0])


def member_name_for(engine: str) -> str:
    return SQLITE_MEMBER if engine == SQLITE else POSTGRESQL_MEMBER


# --- schema versions -------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaComparison:
    """How an archive's applied migrations relate to the ones this version of sopdesk has."""

    unknown: list[str]
    pending: list[str]


def compare_schema(schema: dict[str, list[str]]) -> SchemaComparison:
    """Compare applied migrations per app with the migrations this code base ships."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    applied = {(app, name) for app, names in schema.items() for name in names}
    return SchemaComparison(
        unknown=sorted(f"{app}.{name}" for app, name in applied - known),
        pending=sorted(f"{app}.{name}" for app, name in known - applied),
    )


# --- checking a copy ---------------------------------------------------------------------------


def check_copy(engine: str, path: Path) -> str:
    """Check that the database file of an archive opens and is sound; return what was checked."""
    if engine == SQLITE:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as database:
            try:
                (result,) = database.execute("PRAGMA integrity_check").fetchone()
                (tables,) = database.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
            except sqlite3.DatabaseError as exc:
                raise DatabaseError(
                    _("The archived SQLite database is damaged: %(reason)s") % {"reason": exc}
                ) from None
        if result != "ok":
            raise DatabaseError(_("The archived SQLite database is damaged: %(reason)s") % {"reason": result})
        return _("SQLite integrity check passed (%(count)d tables)") % {"count": tables}
    pg_restore = _client_program("pg_restore")
    listing = _run_program([pg_restore, "--list", str(path)], env=os.environ.copy())
    entries = sum(1 for line in listing.splitlines() if line and not line.startswith(";"))
    return _("pg_restore reads the dump (%(count)d entries)") % {"count": entries}


# --- restoring ---------------------------------------------------------------------------------


def sqlite_target_has_data(data_dir: Path) -> bool:
    """Return whether `data_dir` already holds a SQLite database."""
    return (data_dir / SQLITE_FILE_NAME).exists()


def postgresql_target_has_data(settings_dict: dict[str, Any]) -> bool:
    """Return whether the PostgreSQL database holds any table, view or sequence of its own."""
    with connect_postgresql(settings_dict) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
            " AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'"
        )
        return int(_one(cursor.fetchone())) > 0


def install_sqlite(staged: Path, data_dir: Path) -> None:
    """Move a checked SQLite copy into `data_dir`, replacing a database that is there.

    Refuse while another process (a running service, a worker, a shell) has the database open:
    its connections would go on writing to the replaced file (sopdesk.lib.inuse).
    """
    target = data_dir / SQLITE_FILE_NAME
    _close_own_connections(target)
    try:
        with inuse.exclusive(str(target)):
            # A write-ahead log left by the old database would be replayed onto the new one.
            for suffix in ("-wal", "-shm", "-journal"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            os.replace(staged, target)
    except inuse.DatabaseInUse:
        raise DatabaseError(
            _(
                "The database %(path)s is in use by another process (the service, a worker or a shell): "
                "stop them, then restore again."
            )
            % {"path": target}
        ) from None


def _close_own_connections(target: Path) -> None:
    for connection in connections.all(initialized_only=True):
        name = connection.settings_dict.get("NAME")
        if connection.vendor == "sqlite" and name and Path(str(name)).resolve() == target.resolve():
            connection.close()
    inuse.release_shared(str(target))


def restore_postgresql(dump: Path, settings_dict: dict[str, Any], *, replace: bool) -> None:
    """Load a custom-format dump into the database, all or nothing; with `replace`, drop what it holds first."""
    command = [
        _client_program("pg_restore"),
        "--single-transaction",
        "--exit-on-error",
        # The target's owner and grants are the operator's, not the ones of the backed-up server.
        "--no-owner",
        "--no-privileges",
    ]
    if replace:
        command += ["--clean", "--if-exists"]
    _run_client([*command, "--dbname", _conninfo(settings_dict), str(dump)], settings_dict, pass_dbname=False)


# --- PostgreSQL client programs and connections --------------------------------------------


def _client_program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise DatabaseError(
            _("%(program)s was not found on PATH: install the PostgreSQL client programs of the server's version.")
            % {"program": name}
        )
    return path


def _conninfo(settings_dict: dict[str, Any]) -> str:
    params: dict[str, Any] = {
        key: value for key, value in (settings_dict.get("OPTIONS") or {}).items() if key in _LIBPQ_OPTIONS
    }
    for key, setting in (("dbname", "NAME"), ("user", "USER"), ("host", "HOST"), ("port", "PORT")):
        if settings_dict.get(setting):
            params[key] = str(settings_dict[setting])
    return psycopg.conninfo.make_conninfo(**params)


def _client_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    environment = os.environ.copy()
    # The password goes through the environment: command lines are visible to other users.
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return environment


def _run_client(command: list[str], settings_dict: dict[str, Any], *, pass_dbname: bool = True) -> str:
    if pass_dbname:
        command = [*command, "--dbname", _conninfo(settings_dict)]
    return _run_program(command, env=_client_env(settings_dict))


def _run_program(command: list[str], *, env: dict[str, str]) -> str:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        detail = "\n".join(result.stderr.strip().splitlines()[-5:]) or f"exit status {result.returncode}"
        raise DatabaseError(_("%(program)s failed: %(detail)s") % {"program": Path(command[0]).name, "detail": detail})
    return result.stdout


@contextmanager
def connect_postgresql(settings_dict: dict[str, Any]) -> Iterator[psycopg.Connection[Any]]:
    """Open an autocommit connection to the database described by a Django settings entry."""
    try:
        connection = psycopg.connect(_conninfo(settings_dict), password=settings_dict.get("PASSWORD") or None)
    except psycopg.OperationalError as exc:
        raise DatabaseError(_("Cannot connect to PostgreSQL: %(reason)s") % {"reason": str(exc).strip()}) from None
    connection.autocommit = True
    with connection:
        yield connection
