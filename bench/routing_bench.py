"""Benchmark the routing decision of a new ticket: 500 agents in 50 teams, 100,000 open tickets.

    python bench/routing_bench.py [--quick] [--database sqlite|postgres|both] [--postgres-url URL]
                                  [--tickets N] [--rules N] [--decisions N] [--creations N]

For each database the script migrates a fresh database in a temporary data directory and, in a
child process with that database configured:

1. fills it: 50 teams over the four tiers, 500 agents (10 per team, one lead each), 50 routing
   rules with every kind of condition (category, type, channel, customer level, priority,
   difficulty, keywords), a specialist team for each top category, 300 requesters in three
   organisations (one VIP), and the open tickets (written in batches, bypassing the actions);
2. measures the routing decision for a few thousand new, unsaved tickets of a varied mix (about a
   third match no rule and fall through to the specialist, category or intake team): each
   decision as creation makes it, inside one configuration-stamp block (`config_cache.consistent`,
   whose stamp read is timed too), and the decision alone with the configuration cached;
3. creates tickets through `create_ticket` (routed, SLA clocks, acknowledgement), and counts
   the statements of one creation.

The target is a p95 under 5 ms per routing decision on both databases. The script prints a table
and a JSON line and writes everything to bench/results/routing-<mode>-<database>-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from api_bench import BenchError, child_env, cpu_model, load_average, postgres_database, run_step

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
DEFAULT_POSTGRES_URL = "postgres://sopdesk:sopdesk@127.0.0.1:5432/sopdesk_routing_bench"
TARGET_P95_MS = 5.0
TEAMS, AGENTS_PER_TEAM = 50, 10
NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timings(values_ms: list[float]) -> dict[str, float]:
    return {
        "count": len(values_ms),
        "p50_ms": round(percentile(values_ms, 0.50), 3),
        "p95_ms": round(percentile(values_ms, 0.95), 3),
        "p99_ms": round(percentile(values_ms, 0.99), 3),
        "max_ms": round(max(values_ms), 3),
        "mean_ms": round(statistics.fmean(values_ms), 3),
    }


# --- the child: fill and measure with Django set up -------------------------------------------


def _fill(*, tickets: int, rules: int, seed: int) -> dict[str, Any]:
    from sopdesk.accounts.choices import Role, TeamTier
    from sopdesk.accounts.models import CustomerLevel, Organization, Team, TeamMembership, User
    from sopdesk.core.bulk import insert_rows
    from sopdesk.routing import actions as routing
    from sopdesk.tickets.choices import Channel, Difficulty, Priority, Status, TicketType
    from sopdesk.tickets.models import Category, Ticket, TicketNumberSequence

    rng = random.Random(seed)
    started = time.perf_counter()
    tiers = [TeamTier.FIRST_LINE] * 10 + [TeamTier.SECOND_LINE] * 15 + [TeamTier.SPECIALIST] * 20
    tiers += [TeamTier.MANAGEMENT] * (TEAMS - len(tiers))
    teams = Team.objects.bulk_create(
        [
            Team(code=f"team-{index:02d}", name=f"Team {index:02d}", tier=tier, is_intake=index == 0)
            for index, tier in enumerate(tiers)
        ]
    )
    users = User.objects.bulk_create(
        [
            User(username=f"agent-{index:03d}", role=Role.TEAM_LEAD if index % AGENTS_PER_TEAM == 0 else Role.AGENT)
            for index in range(TEAMS * AGENTS_PER_TEAM)
        ]
    )
    TeamMembership.objects.bulk_create(
        [
            TeamMembership(team=teams[index // AGENTS_PER_TEAM], user=user, is_lead=index % AGENTS_PER_TEAM == 0)
            for index, user in enumerate(users)
        ]
    )
    admin = User.objects.create(username="bench-admin", role=Role.ADMIN)
    vip = CustomerLevel.objects.filter(code="vip").first() or CustomerLevel.objects.create(code="vip", name="VIP")
    organizations = [
        Organization.objects.create(name=f"Bench org {index}", customer_level=vip if index == 0 else None)
        for index in range(3)
    ]
    requesters = User.objects.bulk_create(
        [
            User(username=f"requester-{index:03d}", role=Role.REQUESTER, organization=organizations[index % 3])
            for index in range(300)
        ]
    )
    categories = list(Category.objects.all())
    top = [category for category in categories if category.parent_id is None]
    specialists = [team for team in teams if team.tier == TeamTier.SPECIALIST]
    for index, category in enumerate(top):
        routing.set_specialist_team(category, team=specialists[index % len(specialists)], actor=admin, now=NOW)
    words = ["vpn", "断网", "outage", "printer", "数据库", "login", "蓝屏", "license"]
    for position in range(1, rules + 1):
        kind = position % 7
        values: dict[str, Any] = {"position": position, "name": f"rule {position}", "team": rng.choice(teams[1:])}
        if kind == 0:
            values.update(category=rng.choice(categories), ticket_type=rng.choice(TicketType.values))
        elif kind == 1:
            values.update(category=rng.choice(top), priority=rng.choice(Priority.values))
        elif kind == 2:
            values.update(ticket_type=rng.choice(TicketType.values), channel=rng.choice(Channel.values))
        elif kind == 3:
            values.update(customer_level=vip, priority=rng.choice(Priority.values))
        elif kind == 4:
            values.update(min_difficulty=rng.choice([3, 4]), category=rng.choice(top))
        elif kind == 5:
            values["keywords"] = ", ".join(rng.sample(words, 2)) + f", term{position}"
        else:
            values.update(channel=rng.choice(Channel.values), priority=rng.choice(Priority.values), min_difficulty=2)
        routing.create_rule(actor=admin, values=values, now=NOW)
    accounts_seconds = time.perf_counter() - started

    started = time.perf_counter()
    open_statuses = [Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.PENDING_CUSTOMER]
    columns = (
        "number", "title", "description", "requester_id", "created_by_id", "contact_name", "contact_phone",
        "contact_email", "organization_id", "department_id", "requester_type", "channel", "category_id",
        "ticket_type", "impact", "urgency", "priority", "priority_is_overridden", "priority_override_reason",
        "difficulty", "occurred_at", "frequency", "steps_to_reproduce", "error_message", "attempted_measures",
        "business_module", "device_model", "software_version", "operating_system", "network_environment",
        "status", "team_id", "assignee_id", "created_at", "updated_at", "version", "reopened_count",
        "first_responded_at", "resolved_at", "closed_at", "closure_problem", "closure_diagnosis",
        "closure_solution", "closure_effect", "closure_recommendations",
    )  # fmt: skip
    known = {field.attname for field in Ticket._meta.concrete_fields if not field.primary_key}
    missing = known - set(columns)
    if missing:
        raise BenchError(f"the fill does not set these ticket columns: {sorted(missing)}")
    batch: list[tuple[Any, ...]] = []
    for index in range(tickets):
        requester = requesters[index % len(requesters)]
        team_index = rng.randrange(TEAMS)
        status = rng.choice(open_statuses)
        assignee = users[team_index * AGENTS_PER_TEAM + rng.randrange(AGENTS_PER_TEAM)].pk
        created = NOW - timedelta(minutes=rng.randrange(60 * 24 * 60))
        batch.append(
            (
                f"RB-2026-{index + 1:06d}", f"Open ticket {index}", "Bench", requester.pk, requester.pk, "", "", "",
                requester.organization_id, None, "internal", rng.choice(Channel.values), rng.choice(categories).pk,
                rng.choice(TicketType.values), "single_user", "medium", rng.choice(Priority.values), False, "",
                rng.choice(Difficulty.values), None, "", "", "", "", "", "", "", "", "",
                status, teams[team_index].pk, None if status == Status.NEW else assignee, created, created, 1, 0,
                None, None, None, "", "", "", "", "",
            )
        )  # fmt: skip
        if len(batch) == 5000:
            insert_rows(Ticket, columns, batch)
            batch = []
    insert_rows(Ticket, columns, batch)
    TicketNumberSequence.objects.update_or_create(prefix="RB", year=2026, defaults={"last_value": tickets})
    return {
        "teams": len(teams),
        "agents": len(users),
        "rules": rules,
        "specialist_teams": len(top),
        "open_tickets": Ticket.objects.filter(status__in=open_statuses).count(),
        "accounts_seconds": round(accounts_seconds, 1),
        "tickets_seconds": round(time.perf_counter() - started, 1),
    }


def _new_tickets(count: int, seed: int) -> list[Any]:
    """Unsaved tickets of a varied mix, classified and with their priority, as creation has them."""
    from sopdesk.accounts.models import User
    from sopdesk.tickets.actions import computed_priority
    from sopdesk.tickets.cached import ticket_config
    from sopdesk.tickets.choices import Channel, Difficulty, Impact, TicketType, Urgency
    from sopdesk.tickets.models import Ticket

    rng = random.Random(seed)
    requesters = list(
        User.objects.filter(username__startswith="requester-").select_related("organization__customer_level")
    )
    categories = [*ticket_config().categories.values(), None]
    titles = ["VPN 连不上", "Printer jams on floor 3", "数据库很慢", "Cannot log in", "电脑蓝屏", "Need a new license"]
    titles += ["系统报错", "Screen flickers", "邮件发不出去", "Slow laptop", "会议室投影不亮", "Access request"] * 2
    result = []
    for _ in range(count):
        requester = rng.choice(requesters)
        ticket = Ticket(
            requester=requester,
            created_by=requester,
            organization=requester.organization,
            category=rng.choice(categories),
            channel=rng.choice(Channel.values),
            ticket_type=rng.choice(TicketType.values),
            impact=rng.choice(Impact.values),
            urgency=rng.choice(Urgency.values),
            difficulty=rng.choice(Difficulty.values),
            title=f"{rng.choice(titles)} #{rng.randrange(10_000)}",
            description="It started this morning after the update.",
        )
        ticket.priority = computed_priority(ticket)
        result.append(ticket)
    return result


def _measure(args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from sopdesk.accounts.models import User
    from sopdesk.core import config_cache
    from sopdesk.routing.router import RuleRouter, decide, routing_config
    from sopdesk.tickets.actions import TicketDraft, create_ticket
    from sopdesk.tickets.cached import ticket_config
    from sopdesk.tickets.models import Ticket

    result: dict[str, Any] = {"fill": _fill(tickets=args.tickets, rules=args.rules, seed=args.seed)}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    tickets = _new_tickets(args.decisions, args.seed + 1)
    router = RuleRouter()
    for ticket in tickets[:50]:  # warm the caches (configuration, code paths)
        with config_cache.consistent():
            router.route(ticket)

    as_created: list[float] = []
    bases: Counter[str] = Counter()
    for ticket in tickets:
        started = time.perf_counter_ns()
        with config_cache.consistent():  # the stamp read, as one creation makes it
            router.route(ticket)
        as_created.append((time.perf_counter_ns() - started) / 1e6)
    config = routing_config()
    alone: list[float] = []
    with config_cache.consistent():
        for ticket in tickets:
            started = time.perf_counter_ns()
            decision = decide(ticket, config=config)
            alone.append((time.perf_counter_ns() - started) / 1e6)
            bases[decision.basis] += 1
    with CaptureQueriesContext(connection) as context, config_cache.consistent():
        router.route(tickets[0])
    decision_queries = len(context.captured_queries)

    requesters = list(User.objects.filter(username__startswith="requester-").select_related("organization"))
    categories = list(ticket_config().categories.values())
    rng = random.Random(args.seed + 2)
    creations: list[float] = []
    statements = 0
    for index in range(-10, args.creations):  # ten to warm up (the SLA policies, mail templates)
        requester = rng.choice(requesters)
        draft = TicketDraft(
            details={"title": f"VPN 连不上 {index}", "impact": "department", "urgency": "high"},
            category=rng.choice(categories),
        )
        started = time.perf_counter_ns()
        with CaptureQueriesContext(connection) as context, config_cache.consistent():
            create_ticket(actor=requester, requester=requester, draft=draft, now=NOW + timedelta(seconds=index + 10))
        if index >= 0:
            creations.append((time.perf_counter_ns() - started) / 1e6)
        statements = len(context.captured_queries)
        reset_queries()
    result.update(
        {
            "decision_as_created": timings(as_created),
            "decision_alone": timings(alone),
            "decision_queries": decision_queries,
            "bases": dict(bases),
            "create_ticket": timings(creations),
            "create_ticket_statements": statements,
            "open_tickets_after": Ticket.objects.exclude(status__in=["resolved", "closed"]).count(),
        }
    )
    return result


# --- the parent: one fresh database per engine -------------------------------------------------


@contextmanager
def database_for(database: str, args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    if database == "postgres":
        with postgres_database(args.postgres_url, keep=False) as facts:
            yield facts
    else:
        yield {"sqlite_version": sqlite3.sqlite_version}


def run_database(database: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"\n[{database}] {args.tickets:,} open tickets, {args.rules} rules, {args.decisions:,} decisions", flush=True)
    result: dict[str, Any] = {"database": database, "load_average_before": load_average()}
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="sopdesk-routingbench-") as temp, database_for(database, args) as facts:
        data_dir = Path(temp) / "data"
        data_dir.mkdir()
        env = child_env(data_dir, args.postgres_url if database == "postgres" else None, {})
        env["DJANGO_SETTINGS_MODULE"] = "sopdesk.settings"
        run_step("migrate", [python, "-m", "sopdesk.cli", "migrate", "--no-input", "-v0"], env, timeout=600)
        command = [python, str(Path(__file__).resolve()), "--measure", "--tickets", str(args.tickets)]
        command += ["--rules", str(args.rules), "--decisions", str(args.decisions), "--creations", str(args.creations)]
        command += ["--seed", str(args.seed)]
        result["measured"] = json.loads(run_step("fill and measure", command, env, timeout=3600))
        result["database_facts"] = facts
    result["load_average_after"] = load_average()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the routing decision on SQLite and PostgreSQL.")
    parser.add_argument("--quick", action="store_true", help="2,000 decisions and 100 creations (the fill is the same)")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="database to create and drop")
    parser.add_argument("--tickets", type=int, default=100_000, help="open tickets (default 100,000)")
    parser.add_argument("--rules", type=int, default=50, help="routing rules (default 50)")
    parser.add_argument("--decisions", type=int, help="routing decisions measured (default 20,000; quick 2,000)")
    parser.add_argument("--creations", type=int, help="tickets created through the action (default 500; quick 100)")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    args.decisions = args.decisions or (2_000 if args.quick else 20_000)
    args.creations = args.creations or (100 if args.quick else 500)
    sys.path.insert(0, str(ROOT))
    if args.measure:
        print(json.dumps(_measure(args)))
        return 0
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    report: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "started_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version()},
        "target_p95_ms": TARGET_P95_MS,
        "runs": [],
    }
    failed = False
    for database in databases:
        run = run_database(database, args)
        report["runs"].append(run)
        measured = run["measured"]
        p95 = measured["decision_as_created"]["p95_ms"]
        met = p95 < TARGET_P95_MS
        failed = failed or not met
        print(
            f"  routing decision (stamp read included): p50 {measured['decision_as_created']['p50_ms']} ms,"
            f" p95 {p95} ms, p99 {measured['decision_as_created']['p99_ms']} ms  {'OK' if met else 'OVER TARGET'}\n"
            f"  decision alone (configuration cached): p50 {measured['decision_alone']['p50_ms']} ms,"
            f" p95 {measured['decision_alone']['p95_ms']} ms;"
            f" {measured['decision_queries']} statement(s) per decision\n"
            f"  routed by: {measured['bases']}\n"
            f"  create_ticket (routed, clocks, acknowledgement): p50 {measured['create_ticket']['p50_ms']} ms,"
            f" p95 {measured['create_ticket']['p95_ms']} ms, {measured['create_ticket_statements']} statements",
            flush=True,
        )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"routing-{report['mode']}-{args.database}-{stamp}.json"
    path.write_text(json.dumps(report, indent=2))
    print(json.dumps({run["database"]: run["measured"]["decision_as_created"] for run in report["runs"]}))
    print(f"results: {path.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"routing bench: {error}", file=sys.stderr)
        sys.exit(2)
