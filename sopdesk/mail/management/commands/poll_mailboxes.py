"""Poll the IMAP mailboxes now (the worker does it every minute): fetch, store, then flag or move."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sopdesk.mail.imap import PollReport, poll_mailbox
from sopdesk.mail.models import Mailbox


class Command(BaseCommand):
    help = "Fetch new mail of the active IMAP mailboxes now (or of one, by name or address)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", help="Name or address of one mailbox (also an inactive one).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["mailbox"]:
            mailboxes = list(Mailbox.objects.filter(Q(name=options["mailbox"]) | Q(address__iexact=options["mailbox"])))
            if not mailboxes:
                raise CommandError(_("No mailbox named “%(name)s”.") % {"name": options["mailbox"]})
        else:
            mailboxes = list(Mailbox.objects.filter(is_active=True).exclude(imap_host="").order_by("pk"))
        failed = 0
        for mailbox in mailboxes:
            report: PollReport = poll_mailbox(mailbox, now=timezone.now())
            line = _("%(mailbox)s: %(fetched)d fetched, %(stored)d new") % {
                "mailbox": mailbox.name,
                "fetched": report.fetched_count,
                "stored": report.stored_count,
            }
            if report.error:
                failed += 1
                self.stderr.write(line + " — " + report.error)
            else:
                self.stdout.write(line + (" " + _("(more waiting)") if report.has_more else ""))
        if failed:
            raise CommandError(
                ngettext("%(count)d mailbox could not be polled.", "%(count)d mailboxes could not be polled.", failed)
                % {"count": failed}
            )
