"""Restore a backup archive into a data directory (SQLite) or into DATABASE_URL (PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from sopdesk.backup.actions import BackupError, restore_backup, target_for_settings


class Command(BaseCommand):
    help = (
        "Restore a backup archive after checking every checksum: the database into the data directory "
        "(SQLite) or into DATABASE_URL (PostgreSQL), the attachments into the data directory. Stop the "
        "service first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, metavar="FILE", help="The archive to restore.")
        parser.add_argument("--data-dir", type=Path, help="Data directory to restore into (default: SOPDESK_DATA_DIR).")
        parser.add_argument(
            "--force", action="store_true", help="Replace the database and attachments the target already holds."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            target = target_for_settings(options["data_dir"])
            report = restore_backup(options["archive"], target=target, replace=options["force"], progress=self._say)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if report.pending_migrations:
            self._say(
                _("The backup predates %(count)d migration(s) of this version: run `sopdesk migrate` next.")
                % {"count": len(report.pending_migrations)}
            )
        if report.manifest.missing_attachments:
            self.stderr.write(
                _("Warning: %(count)d attachment file(s) were already missing when the backup was made, e.g. %(name)s.")
                % {"count": len(report.manifest.missing_attachments), "name": report.manifest.missing_attachments[0]}
            )

    def _say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()
