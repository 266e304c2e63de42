"""Load the demo service desk and print its logins."""

from __future__ import annotations

import time
import unicodedata
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from sopdesk.demo import loader
from sopdesk.demo.directory import DEMO_LOGINS, DEMO_PASSWORD

PROGRESS_EVERY = 25


class Command(BaseCommand):
    # Marked here, translated when the parser is built so --help speaks the active language.
    help = gettext_noop(
        "Load demo organisations, teams, accounts and tickets. The accounts share a published "
        "password, so this only runs in demo mode (SOPDESK_DEMO_MODE) or with --force."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = _(self.help)
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--tickets",
            type=int,
            default=loader.DEFAULT_TICKET_COUNT,
            help=_("Number of tickets to create (default %(default)s)."),
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=loader.DEFAULT_SEED,
            help=_("Random seed; the same seed gives the same tickets."),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("Load even when demo mode is off. Never do this on a production system."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.SOPDESK_DEMO_MODE or options["force"]):
            raise CommandError(
                _(
                    "Refusing to load demo data: it creates accounts with the published password “%(password)s”. "
                    "Set SOPDESK_DEMO_MODE=1 (or pass --force) if this really is a demo system."
                )
                % {"password": DEMO_PASSWORD}
            )
        ticket_count: int = options["tickets"]
        if ticket_count < 0:
            raise CommandError(_("--tickets must be zero or more."))
        existing = loader.existing_demo_logins()
        if existing:
            self._report_existing(existing)
            return
        self.stdout.write(
            _("Loading demo data: organisations, teams, accounts and %(count)d tickets …") % {"count": ticket_count}
        )
        started = time.monotonic()
        channels = loader.load_demo(
            ticket_count=ticket_count, now=timezone.now(), seed=options["seed"], on_progress=self._progress
        )
        self.stdout.write(
            self.style.SUCCESS(
                _("Demo data loaded: %(count)d tickets in %(seconds).1f s.")
                % {"count": ticket_count, "seconds": time.monotonic() - started}
            )
        )
        self.stdout.write(
            _(
                "Channels: mailbox %(address)s (inactive, not polled), phone calls: %(calls)d, "
                "monitoring alerts from %(source)s: %(alerts)d."
            )
            % {
                "address": channels.mailbox.address,
                "calls": len(channels.calls),
                "source": channels.alert_source.name,
                "alerts": channels.alert_count,
            }
        )
        self._print_logins()

    def _report_existing(self, existing: list[str]) -> None:
        if len(existing) == len(DEMO_LOGINS):
            self.stdout.write(_("Demo data is already loaded; nothing to do."))
            self._print_logins()
        else:
            self.stdout.write(
                self.style.WARNING(
                    _("Demo data not loaded: these accounts already exist: %(names)s.") % {"names": ", ".join(existing)}
                )
            )

    def _progress(self, done: int, total: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == total:
            self.stdout.write(_("  tickets %(done)d/%(total)d") % {"done": done, "total": total})

    def _print_logins(self) -> None:
        logins = loader.demo_logins()
        name_width = max(_width(login.username) for login in logins)
        role_width = max(_width(login.role) for login in logins)
        self.stdout.write("")
        heading = _("Demo logins (password: %(password)s)") % {"password": DEMO_PASSWORD}
        self.stdout.write(self.style.MIGRATE_HEADING(heading))
        for login in logins:
            self.stdout.write(f"  {_pad(login.username, name_width)}  {_pad(login.role, role_width)}  {login.details}")


def _width(text: str) -> int:
    """Return how many terminal columns `text` takes (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
