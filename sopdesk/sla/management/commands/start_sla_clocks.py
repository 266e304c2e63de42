"""Start the SLA clocks of tickets created before the SLA engine existed."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from sopdesk.notifications.outbox import notifications_suppressed
from sopdesk.sla.backfill import start_missing_clocks
from sopdesk.sla.scanner import sweep


class Command(BaseCommand):
    help = gettext_noop(
        "Give every ticket without SLA clocks its clocks, replaying its timeline (run once after upgrading)."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = _(self.help)
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--batch-size", type=int, default=200, help=_("Tickets per transaction (default 200)."))
        parser.add_argument(
            "--catch-up-silently",
            action="store_true",
            help=_("Afterwards record the warnings and breaches the history ran into without notifying anyone."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = options["batch_size"]
        if not 1 <= batch_size <= 10_000:
            raise CommandError(_("--batch-size must be between 1 and 10000."))

        def progress(done: int, total: int) -> None:
            self.stdout.write(_("%(done)d/%(total)d tickets") % {"done": done, "total": total})

        count = start_missing_clocks(batch_size=batch_size, on_progress=progress)
        message = ngettext("Started the clocks of %(count)d ticket.", "Started the clocks of %(count)d tickets.", count)
        self.stdout.write(message % {"count": count})
        if options["catch_up_silently"]:
            with notifications_suppressed():
                report = sweep(now=timezone.now())
            self.stdout.write(
                _("Caught up: %(warnings)d warnings, %(breaches)d breaches, %(escalations)d escalations recorded.")
                % {"warnings": report.warnings, "breaches": report.breaches, "escalations": report.escalations}
            )
