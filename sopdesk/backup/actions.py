"""Make, verify and restore backups: the database snapshot, every attachment and the secret key.

The commands and the daily job call these; `progress` receives one translated line per stage
(and per batch of attachments) so an operator sees a long backup advance.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sopdesk.backup import databases
from sopdesk.backup.archive import (
    ATTACHMENTS_PREFIX,
    DATA_PREFIX,
    DATABASE_PREFIX,
    ArchiveError,
    ArchiveWriter,
    Manifest,
    MemberSink,
    archive_name,
    archives_to_delete,
    read_archive,
)
from sopdesk.backup.databases import DatabaseError

Progress = Callable[[str], None]
ATTACHMENTS_PER_PROGRESS_LINE = 100
SECRET_KEY_FILE = "secret_key"  # noqa: S105  (a file name, not a secret)
SECRET_KEY_MEMBER = f"{DATA_PREFIX}{SECRET_KEY_FILE}"
ATTACHMENTS_DIR = "attachments"
_STAGING_PREFIX = ".sopdesk-restore-"


class BackupError(Exception):
    """A backup, check or restore that was refused or failed; the message is for the operator."""


def _quiet(message: str) -> None:
    """Discard progress lines."""


def _translated(error: ArchiveError) -> BackupError:
    return BackupError(_(error.template) % error.params if error.params else _(error.template))


def sopdesk_version() -> str:
    try:
        return metadata.version("sopdesk")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from an uninstalled checkout
        return "unknown"


# --- backing up --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupReport:
    path: Path
    manifest: Manifest
    size: int
    seconds: float


def default_backup_path(now: datetime) -> Path:
    """Return where an archive made at `now` goes when no --output is given."""
    return Path(settings.SOPDESK_BACKUP_DIR) / archive_name(now)


def create_backup(
    *, output: Path, now: datetime, database_alias: str = "default", progress: Progress = _quiet
) -> BackupReport:
    """Write an archive of the database, all attachments and the secret key to `output`.

    The database is copied online (SQLite's backup API, pg_dump on PostgreSQL) while the
    service keeps writing; the archive appears under its name only once it is complete.
    """
    started = time.monotonic()
    output = output.absolute()
    if output.exists():
        raise BackupError(_("%(path)s already exists; choose another --output.") % {"path": output})
    output.parent.mkdir(parents=True, exist_ok=True)
    settings_dict = connections[database_alias].settings_dict
    partial = output.with_name(f".{output.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix=".sopdesk-backup-", dir=output.parent) as workdir:
            progress(_("Copying the database (online, the service keeps running) …"))
            snapshot = databases.snapshot(settings_dict, Path(workdir))
            progress(
                _("Database copied: %(engine)s, %(size)s.")
                % {
                    "engine": databases.ENGINE_NAMES[snapshot.engine],
                    "size": filesizeformat(snapshot.path.stat().st_size),
                }
            )
            writer = ArchiveWriter(partial)
            try:
                writer.add_file(snapshot.member_name, snapshot.path)
                snapshot.path.unlink()
                missing = _add_attachments(writer, snapshot.attachment_names, progress)
                secret_key = Path(settings.DATA_DIR) / SECRET_KEY_FILE
                if secret_key.is_file():
                    writer.add_file(SECRET_KEY_MEMBER, secret_key)
                manifest = Manifest(
                    engine=snapshot.engine,
                    sopdesk_version=sopdesk_version(),
                    created_at=now,
                    schema=snapshot.schema,
                    members=tuple(writer.members),
                    missing_attachments=tuple(missing),
                )
                progress(_("Writing the manifest …"))
                writer.finish(manifest)
            except BaseException:
                writer.close()
                raise
        os.replace(partial, output)
    except ArchiveError as exc:
        raise _translated(exc) from None
    except DatabaseError as exc:
        raise BackupError(str(exc)) from None
    except OSError as exc:
        raise BackupError(_("Cannot write the backup: %(reason)s") % {"reason": exc}) from None
    finally:
        partial.unlink(missing_ok=True)
    report = BackupReport(output, manifest, output.stat().st_size, time.monotonic() - started)
    progress(
        _("Backup written: %(path)s (%(size)s, %(count)d attachments) in %(seconds).1f s.")
        % {
            "path": output,
            "size": filesizeformat(report.size),
            "count": manifest.attachment_count,
            "seconds": report.seconds,
        }
    )
    return report


def _add_attachments(writer: ArchiveWriter, names: list[str], progress: Progress) -> list[str]:
    """Add the attachment files the snapshot refers to; return those missing on disk."""
    media_root = Path(settings.MEDIA_ROOT).resolve()
    total = len(names)
    progress(ngettext("Copying %(count)d attachment …", "Copying %(count)d attachments …", total) % {"count": total})
    missing: list[str] = []
    for done, name in enumerate(names, start=1):
        source = (media_root / name).resolve()
        if not source.is_relative_to(media_root) or not source.is_file():
            missing.append(name)
            progress(_("Attachment file missing on disk, not in the backup: %(name)s") % {"name": name})
        else:
            writer.add_file(f"{ATTACHMENTS_PREFIX}{name}", source)
        if done % ATTACHMENTS_PER_PROGRESS_LINE == 0 or done == total:
            progress(_("Attachments: %(done)d/%(total)d") % {"done": done, "total": total})
    return missing


# --- verifying ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyReport:
    manifest: Manifest
    archive_bytes: int
    database_check: str


def verify_backup(path: Path, *, progress: Progress = _quiet) -> VerifyReport:
    """Check every member's checksum and that the database copy is sound, without restoring."""
    progress(_("Checking %(path)s …") % {"path": path})
    with tempfile.TemporaryDirectory(prefix=".sopdesk-verify-") as workdir:
        database_file = Path(workdir) / "database"

        def keep_database(name: str) -> Path | None:
            return database_file if name.startswith(DATABASE_PREFIX) else None

        report = _read(path, keep_database)
        progress(
            _("Checksums match: %(count)d members, %(size)s.")
            % {"count": len(report.manifest.members), "size": filesizeformat(report.archive_bytes)}
        )
        try:
            database_check = databases.check_copy(report.manifest.engine, database_file)
        except DatabaseError as exc:
            raise BackupError(str(exc)) from None
    progress(database_check)
    return VerifyReport(report.manifest, report.archive_bytes, database_check)


def _read(path: Path, sink: MemberSink) -> Any:
    try:
        return read_archive(path, sink)
    except ArchiveError as exc:
        raise _translated(exc) from None


# --- restoring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreTarget:
    """Where a restore goes: attachments (and SQLite) into `data_dir`; PostgreSQL into `database`."""

    data_dir: Path
    database: dict[str, Any] | None = None

    @property
    def engine(self) -> str:
        return databases.POSTGRESQL if self.database is not None else databases.SQLITE

    def describe(self) -> str:
        if self.database is not None:
            return _("the PostgreSQL database %(name)s") % {"name": self.database.get("NAME")}
        return _("the data directory %(path)s") % {"path": self.data_dir}


@dataclass(frozen=True)
class RestoreReport:
    manifest: Manifest
    pending_migrations: list[str]
    seconds: float


def target_for_settings(data_dir: Path | None) -> RestoreTarget:
    """Return the restore target the configuration names: DATABASE_URL, or SQLite in the data dir."""
    settings_dict = dict(settings.DATABASES["default"])
    directory = (data_dir or Path(settings.DATA_DIR)).resolve()
    try:
        engine = databases.engine_of(settings_dict)
    except DatabaseError as exc:
        raise BackupError(str(exc)) from None
    return RestoreTarget(directory, settings_dict if engine == databases.POSTGRESQL else None)


def restore_backup(
    path: Path, *, target: RestoreTarget, replace: bool = False, progress: Progress = _quiet
) -> RestoreReport:
    """Restore the archive at `path` into `target` after checking every checksum.

    Refuse a target that already holds data unless `replace`, an archive of the other engine,
    and one made by a newer sopdesk; nothing in the target changes until the archive checked out.
    """
    started = time.monotonic()
    try:
        if not replace and _target_has_data(target):
            raise BackupError(
                _("Not restored: %(target)s already holds data. Add --force to replace it.")
                % {"target": target.describe()}
            )
        target.data_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=target.data_dir))
    except DatabaseError as exc:
        raise BackupError(str(exc)) from None
    except OSError as exc:
        raise BackupError(_("Cannot prepare %(path)s: %(reason)s") % {"path": target.data_dir, "reason": exc}) from None
    try:
        progress(_("Checking and unpacking %(path)s …") % {"path": path})
        manifest = _read(path, lambda name: staging / name).manifest
        progress(
            _("Checksums match: %(count)d members (%(engine)s database, %(attachments)d attachments, made %(when)s).")
            % {
                "count": len(manifest.members),
                "engine": databases.ENGINE_NAMES.get(manifest.engine, manifest.engine),
                "attachments": manifest.attachment_count,
                "when": manifest.created_at.isoformat(timespec="seconds"),
            }
        )
        _check_compatible(manifest, target)
        schema = databases.compare_schema(manifest.schema)
        staged_database = staging / manifest.database_member.name
        progress(_("Restoring the database into %(target)s …") % {"target": target.describe()})
        if target.database is None:
            databases.check_copy(manifest.engine, staged_database)
            databases.install_sqlite(staged_database, target.data_dir)
        else:
            databases.restore_postgresql(staged_database, target.database, replace=replace)
        progress(
            ngettext("Restoring %(count)d attachment …", "Restoring %(count)d attachments …", manifest.attachment_count)
            % {"count": manifest.attachment_count}
        )
        _install_attachments(staging, target.data_dir)
        secret_key = staging / SECRET_KEY_MEMBER
        if secret_key.is_file():
            os.replace(secret_key, target.data_dir / SECRET_KEY_FILE)
    except DatabaseError as exc:
        raise BackupError(str(exc)) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report = RestoreReport(manifest, schema.pending, time.monotonic() - started)
    progress(_("Restore complete in %(seconds).1f s.") % {"seconds": report.seconds})
    return report


def _target_has_data(target: RestoreTarget) -> bool:
    attachments = target.data_dir / ATTACHMENTS_DIR
    if attachments.is_dir() and any(path.is_file() for path in attachments.rglob("*")):
        return True
    if target.database is None:
        return databases.sqlite_target_has_data(target.data_dir)
    return databases.postgresql_target_has_data(target.database)


def _check_compatible(manifest: Manifest, target: RestoreTarget) -> None:
    if manifest.engine != target.engine:
        names = databases.ENGINE_NAMES
        hint = (
            _("Unset DATABASE_URL to restore it into a data directory.")
            if manifest.engine == databases.SQLITE
            else _("Set DATABASE_URL to the PostgreSQL database to restore it into.")
        )
        raise BackupError(
            _("This backup holds a %(archive)s database, but the target is %(target)s. %(hint)s")
            % {"archive": names.get(manifest.engine, manifest.engine), "target": names[target.engine], "hint": hint}
        )
    unknown = databases.compare_schema(manifest.schema).unknown
    if unknown:
        raise BackupError(
            _(
                "This backup was made by a newer sopdesk (%(version)s): migrations unknown here, e.g. %(name)s. "
                "Install that version or a later one to restore it."
            )
            % {"version": manifest.sopdesk_version, "name": unknown[0]}
        )


def _install_attachments(staging: Path, data_dir: Path) -> None:
    staged = staging / ATTACHMENTS_DIR
    staged.mkdir(exist_ok=True)
    target = data_dir / ATTACHMENTS_DIR
    if target.exists():
        # Moved aside into the staging folder, which is removed afterwards.
        os.replace(target, staging / "replaced-attachments")
    os.replace(staged, target)


# --- the daily job ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledBackupReport:
    backup: BackupReport
    deleted: list[Path]


def prune_backups(directory: Path, *, keep: int) -> list[Path]:
    """Delete the archives in `directory` beyond the `keep` newest; return the deleted paths."""
    if not directory.is_dir():
        return []
    doomed = [directory / name for name in archives_to_delete([p.name for p in directory.iterdir()], keep=keep)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def run_scheduled_backup(*, now: datetime, progress: Progress = _quiet) -> ScheduledBackupReport:
    """Write a backup into SOPDESK_BACKUP_DIR, then keep only the SOPDESK_BACKUP_KEEP newest."""
    report = create_backup(output=default_backup_path(now), now=now, progress=progress)
    deleted = prune_backups(Path(settings.SOPDESK_BACKUP_DIR), keep=settings.SOPDESK_BACKUP_KEEP)
    for path in deleted:
        progress(_("Deleted old backup %(path)s.") % {"path": path})
    return ScheduledBackupReport(report, deleted)
