"""Schedule the auto-close of tickets that were already waiting for confirmation before it existed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from sopdesk.closing.autoclose import schedule_waiting_tickets


class Command(BaseCommand):
    help = gettext_noop(
        "Schedule the auto-close of resolved tickets that have no schedule yet, counting from now "
        "(run once after upgrading)."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = _(self.help)
        return parser

    def handle(self, *args: Any, **options: Any) -> None:
        count = schedule_waiting_tickets(now=timezone.now())
        self.stdout.write(
            ngettext("%(count)d ticket scheduled for auto-close.", "%(count)d tickets scheduled for auto-close.", count)
            % {"count": count}
        )
