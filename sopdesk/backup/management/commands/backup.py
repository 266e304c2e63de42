"""Write a backup archive (database, attachments, manifest), or check one with --verify."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from sopdesk.backup.actions import BackupError, create_backup, default_backup_path, verify_backup
from sopdesk.backup.databases import ENGINE_NAMES


class Command(BaseCommand):
    help = (
        "Back up the database (online, while the service runs) and every attachment into one archive with "
        "a manifest of checksums; with --verify FILE, check an archive without restoring it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, help="Archive to write (default: a new file in SOPDESK_BACKUP_DIR).")
        parser.add_argument("--verify", type=Path, metavar="FILE", help="Check this archive; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["verify"] is not None:
                if options["output"] is not None:
                    raise CommandError(_("Use either --output or --verify, not both."))
                self._verify(options["verify"])
            else:
                now = timezone.now()
                create_backup(output=options["output"] or default_backup_path(now), now=now, progress=self._say)
        except BackupError as exc:
            raise CommandError(str(exc)) from None

    def _verify(self, path: Path) -> None:
        report = verify_backup(path, progress=self._say)
        manifest = report.manifest
        self._say(
            _(
                "The backup is intact: %(engine)s database, %(attachments)d attachments, %(size)s, made %(when)s "
                "by sopdesk %(version)s."
            )
            % {
                "engine": ENGINE_NAMES.get(manifest.engine, manifest.engine),
                "attachments": manifest.attachment_count,
                "size": filesizeformat(report.archive_bytes),
                "when": manifest.created_at.isoformat(timespec="seconds"),
                "version": manifest.sopdesk_version,
            }
        )
        if manifest.missing_attachments:
            self.stderr.write(
                _("Warning: %(count)d attachment file(s) were already missing when it was made, e.g. %(name)s.")
                % {"count": len(manifest.missing_attachments), "name": manifest.missing_attachments[0]}
            )

    def _say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()
