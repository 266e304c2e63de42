"""Prepare a filled bench database for the workspace pages (run by workspace_bench.py in a child).

The bulk fill (bench/fill.py) writes tickets without clocks or timeline events. The pages read
both, so this gives the newest tickets their SLA clocks (replayed as the upgrade command does)
and one open ticket of the agent's team a timeline of 50 entries written through the actions.
Prints one JSON line: the long ticket's number and how many clock rows were added.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sopdesk.settings")

import django

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from sopdesk.accounts.models import User  # noqa: E402
from sopdesk.sla.backfill import replay  # noqa: E402
from sopdesk.sla.models import TicketSla  # noqa: E402
from sopdesk.tickets import actions  # noqa: E402
from sopdesk.tickets.choices import Status  # noqa: E402
from sopdesk.tickets.models import Ticket  # noqa: E402
from sopdesk.tickets.querysets import team_ids_of  # noqa: E402

EVENTS = 50


def give_clocks(ids: list[int]) -> int:
    """Replay clocks for the tickets `ids` that have none, in batches; return how many were added."""
    added = 0
    for start in range(0, len(ids), 500):
        with transaction.atomic():
            tickets = Ticket.objects.filter(pk__in=ids[start : start + 500], sla__isnull=True).select_related(
                "organization"
            )
            rows = [replay(ticket, []) for ticket in tickets]
            TicketSla.objects.bulk_create(rows)
            added += len(rows)
    return added


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agent", required=True)
    parser.add_argument(
        "--newest", type=int, default=5_000, help="newest tickets (overall and the agent's) to give clocks"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    agent = User.objects.get(username=args.agent)
    teams = team_ids_of(agent)
    newest = list(Ticket.objects.order_by("-created_at", "-id").values_list("pk", flat=True)[: args.newest])
    newest_of_team = list(
        Ticket.objects.filter(team_id__in=teams)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[: args.newest]
    )
    mine = list(
        Ticket.objects.filter(assignee=agent).order_by("-updated_at", "-id").values_list("pk", flat=True)[: args.newest]
    )
    added = give_clocks(sorted(set(newest) | set(newest_of_team) | set(mine)))
    ticket = (
        Ticket.objects.filter(team_id__in=teams, status=Status.IN_PROGRESS, assignee=agent)
        .order_by("-created_at")
        .first()
        or Ticket.objects.filter(team_id__in=teams, status__in=[Status.NEW, Status.ASSIGNED])
        .order_by("-created_at")
        .first()
    )
    if ticket is None:
        print("no open ticket in the agent's team", file=sys.stderr)
        return 1
    existing = ticket.events.count()
    for index in range(max(EVENTS - existing, 0)):
        body = (
            f"诊断记录 {index}: checked the printer queue and the driver version."
            if index % 2
            else f"回复 {index}: 正在处理。"
        )
        actions.add_comment(ticket, actor=agent, body=body, is_internal=index % 2 == 1, now=timezone.now())
    print(
        json.dumps(
            {
                "long_ticket": ticket.number,
                "events": ticket.events.count(),
                "clock_rows_added": added,
                "setup_seconds": round(time.perf_counter() - started, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
