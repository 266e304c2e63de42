"""Import China's public holidays and make-up working days of some years into a business calendar."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sopdesk.accounts.models import User
from sopdesk.core.errors import ActionError
from sopdesk.sla.choices import DateKind
from sopdesk.sla.config import import_calendar_dates, may_change_config
from sopdesk.sla.holidays import (
    FIRST_YEAR,
    LAST_YEAR,
    ImportReport,
    NoSecondSource,
    china_year,
    cross_check,
    days_of,
    make_up_days,
)
from sopdesk.sla.models import Calendar


class Command(BaseCommand):
    help = (
        "Import China's public holidays and make-up working days (调休) of the given years into a calendar, "
        "from the holidays package, cross-checked day by day with chinese_calendar."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--calendar", required=True, help="Code of the calendar, e.g. office.")
        parser.add_argument(
            "--year",
            type=int,
            action="append",
            dest="years",
            default=[],
            metavar="YEAR",
            help="Year to import; repeat for more.",
        )
        parser.add_argument(
            "--replace", action="store_true", help="Remove the calendar's other dates of these years first."
        )
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; write nothing.")
        parser.add_argument(
            "--actor",
            metavar="USERNAME",
            help="The administrator the audit log names for the change; without it, the command line.",
        )
        parser.add_argument(
            "--accept-disagreements",
            action="store_true",
            help="Write years where the holidays package and chinese_calendar disagree.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        calendar = self._calendar(options["calendar"])
        actor = self._actor(options["actor"])
        years: list[int] = sorted(set(options["years"]))
        if not years:
            raise CommandError(_("Name at least one --year."))
        outside = [year for year in years if not FIRST_YEAR <= year <= LAST_YEAR]
        if outside:
            raise CommandError(
                _("No holiday data for %(years)s: years from %(first)s to %(last)s are known.")
                % {"years": ", ".join(map(str, outside)), "first": FIRST_YEAR, "last": LAST_YEAR}
            )
        refused = [
            year
            for year in years
            if not self._import_year(
                calendar,
                year,
                actor=actor,
                replace=options["replace"],
                is_dry_run=options["dry_run"],
                accepts_disagreements=options["accept_disagreements"],
            )
        ]
        if refused:
            raise CommandError(
                _(
                    "Not imported: %(years)s, because the sources disagree. Check the State Council's notice, "
                    "then re-run with --accept-disagreements or enter the dates by hand."
                )
                % {"years": ", ".join(map(str, refused))}
            )

    def _calendar(self, code: str) -> Calendar:
        calendar: Calendar | None = Calendar.objects.filter(code=code).first()
        if calendar is None:
            known = ", ".join(Calendar.objects.order_by("code").values_list("code", flat=True))
            raise CommandError(_("Unknown calendar “%(code)s”. Known: %(known)s.") % {"code": code, "known": known})
        if calendar.is_24x7:
            raise CommandError(_("Calendar “%(code)s” is 24×7: holidays do not apply to it.") % {"code": calendar.code})
        return calendar

    def _actor(self, username: str | None) -> User | None:
        if username is None:
            return None
        user: User | None = User.objects.filter(username=username).first()
        if user is None or not may_change_config(user):
            raise CommandError(
                _("“%(username)s” is not an active administrator: only administrators change calendars.")
                % {"username": username}
            )
        return user

    def _import_year(
        self,
        calendar: Calendar,
        year: int,
        *,
        actor: User | None,
        replace: bool,
        is_dry_run: bool,
        accepts_disagreements: bool,
    ) -> bool:
        """Import one year; return False when it was refused because the sources disagree."""
        entries = china_year(year)
        make_up = make_up_days(entries)
        days_off = sum(1 for entry in entries if entry.kind == DateKind.HOLIDAY)
        self.stdout.write(
            _("%(year)s: %(holidays)s holidays, %(make_up)s make-up working days")
            % {"year": year, "holidays": days_off, "make_up": len(make_up)}
        )
        if not make_up:
            self.stderr.write(
                self.style.WARNING(
                    _(
                        "WARNING: %(year)s has no make-up working days in the holidays package: its dates are "
                        "computed by rule, not taken from the official schedule. Enter the make-up days (and check "
                        "the holidays) by hand once the State Council publishes them."
                    )
                    % {"year": year}
                )
            )
        try:
            disagreements = cross_check(year, entries)
        except NoSecondSource as missing:
            self.stdout.write(_("  cross-check: %(reason)s") % {"reason": missing})
        else:
            if not disagreements:
                self.stdout.write(
                    _("  cross-check with chinese_calendar: agrees on %(days)s days") % {"days": len(days_of(year))}
                )
            else:
                self.stderr.write(
                    self.style.ERROR(
                        ngettext(
                            "  cross-check with chinese_calendar: disagrees on %(count)s day:",
                            "  cross-check with chinese_calendar: disagrees on %(count)s days:",
                            len(disagreements),
                        )
                        % {"count": len(disagreements)}
                    )
                )
                for disagreement in disagreements:
                    self.stderr.write(f"    {disagreement}")
                if not accepts_disagreements:
                    self.stderr.write(self.style.ERROR(_("  %(year)s not written.") % {"year": year}))
                    return False
        try:
            with transaction.atomic():
                report = import_calendar_dates(calendar, entries, replace=replace, actor=actor, now=timezone.now())
                if is_dry_run:
                    transaction.set_rollback(True)
        except ActionError as refused:
            raise CommandError(refused.message) from refused
        self.stdout.write(self._summary(calendar, report, is_dry_run=is_dry_run))
        return True

    def _summary(self, calendar: Calendar, report: ImportReport, *, is_dry_run: bool) -> str:
        counts = {
            "calendar": calendar.code,
            "created": len(report.created),
            "updated": len(report.updated),
            "removed": len(report.removed),
            "unchanged": report.unchanged,
        }
        if is_dry_run:
            return (
                _(
                    "  %(calendar)s (dry run, nothing written): would create %(created)s, update %(updated)s, "
                    "remove %(removed)s; %(unchanged)s unchanged"
                )
                % counts
            )
        return (
            _("  %(calendar)s: %(created)s created, %(updated)s updated, %(removed)s removed, %(unchanged)s unchanged")
            % counts
        )
