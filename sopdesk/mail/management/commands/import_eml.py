"""Import raw `.eml` files into a mailbox: each is stored as received, then processed like polled mail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sopdesk.mail.choices import MailSource, MailState
from sopdesk.mail.intake import receive_raw
from sopdesk.mail.models import Mailbox
from sopdesk.mail.processing import process_mail


class Command(BaseCommand):
    help = "Import raw .eml files into a mailbox; the same message imported twice is stored once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="An .eml file (the raw message).")
        parser.add_argument("--mailbox", required=True, help="Name or address of the mailbox.")

    def handle(self, *args: Any, **options: Any) -> None:
        mailbox = Mailbox.objects.filter(Q(name=options["mailbox"]) | Q(address__iexact=options["mailbox"])).first()
        if mailbox is None:
            raise CommandError(_("No mailbox named “%(name)s”.") % {"name": options["mailbox"]})
        files = [Path(name) for name in options["files"]]
        failed = 0
        for number, path in enumerate(files, start=1):
            prefix = f"[{number}/{len(files)}] {path}: "
            try:
                raw = path.read_bytes()
            except OSError as error:
                failed += 1
                self.stderr.write(prefix + _("cannot be read (%(error)s)") % {"error": error.strerror or error})
                continue
            mail = receive_raw(mailbox=mailbox, raw=raw, source=MailSource.UPLOAD, now=timezone.now())
            mail = process_mail(mail.pk, now=timezone.now())
            outcome = mail.get_state_display()
            if mail.ticket is not None:
                outcome += f" → {mail.ticket.number}"
            if mail.state in (MailState.QUARANTINED, MailState.IGNORED) and mail.error:
                outcome += f" ({mail.error})"
            if mail.state == MailState.QUARANTINED:
                failed += 1
                self.stderr.write(prefix + outcome)
            else:
                self.stdout.write(prefix + outcome)
        if failed:
            raise CommandError(
                _("%(failed)d of %(total)d files could not be imported (see above).")
                % {"failed": failed, "total": len(files)}
            )
