"""Create an alert source or give it a new token from the server's shell (recorded in the audit log as a command)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from sopdesk.accounts.models import Team
from sopdesk.alerts.choices import SourceKind
from sopdesk.alerts.config import SourceSettings, create_alert_source, rotate_alert_source_token
from sopdesk.alerts.models import AlertSource
from sopdesk.core.errors import ActionError
from sopdesk.tickets.choices import Priority


class Command(BaseCommand):
    help = (
        "Create a monitoring alert source (`create NAME --kind alertmanager`) or replace its token "
        "(`rotate-token NAME`). The token is printed once on standard output and stored only as a hash."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        create = commands.add_parser("create", help="Create a source and print its token.")
        create.add_argument("name")
        create.add_argument("--kind", required=True, choices=SourceKind.values)
        create.add_argument("--team", help="Code of the team that gets the incident tickets.")
        create.add_argument("--default-priority", choices=Priority.values, default=Priority.P3)
        create.add_argument("--auto-resolve", action="store_true", help="Resolve tickets when alerts resolve.")
        rotate = commands.add_parser("rotate-token", help="Give a source a new token (the old one stops working).")
        rotate.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        try:
            if options["command"] == "create":
                team = None
                if options["team"]:
                    team = Team.objects.filter(code=options["team"]).first()
                    if team is None:
                        raise CommandError(f"No team with the code {options['team']!r}.")
                settings_ = SourceSettings(
                    name=options["name"],
                    kind=options["kind"],
                    team=team,
                    default_priority=options["default_priority"],
                    auto_resolve=options["auto_resolve"],
                )
                source, token = create_alert_source(settings=settings_, actor=None, now=now)
            else:
                found = AlertSource.objects.filter(name=options["name"]).first()
                if found is None:
                    raise CommandError(f"No alert source named {options['name']!r}.")
                source, token = found, rotate_alert_source_token(found, actor=None, now=now)
        except ActionError as error:
            raise CommandError(error.message) from error
        self.stderr.write(f"Alert source {source.name!r} (id {source.pk}): POST /api/v1/alerts/{source.pk}")
        self.stdout.write(token)
