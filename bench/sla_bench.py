"""Benchmark the SLA scanner: a sweep over many open tickets of which a share is due.

    python bench/sla_bench.py [--quick] [--database sqlite|postgres|both] [--postgres-url URL]
                              [--tickets N] [--due-share 0.01] [--rounds N] [--profile]

For each database the script migrates a fresh database in a temporary data directory, fills it with
open tickets and one SLA clock row each (bench/sla_fill.py: the rows the clock functions would have
left, a share of them due at the sweep instant, planner statistics refreshed), then measures in a
child process with that database configured:

- the due-row lookup alone: `scanner.due_clocks()` batch after batch over the whole due set (each
  batch moved out of the way as a sweep would), and its query plan;
- a full `scanner.sweep()` at the sweep instant: wall time, CPU time of the process (and, on
  PostgreSQL, of its server backend: the figures that a shared, loaded machine distorts least),
  rows per second, SQL statements by kind with the time spent in them, events, escalation records
  and notifications written;
- the sweep right after, with nothing due (the every-minute case when nothing fell due);
- correctness: nothing due is left, every clock row is exactly what the clock model predicts,
  every fired escalation is recorded once, the events match the sweep's report.

The due rows are re-armed between rounds (their clock columns restored, the rows the sweep wrote
deleted, PostgreSQL vacuumed), so every round sweeps the same rows; medians are reported. With
`--profile` (always in full mode) one more sweep runs under cProfile. The script prints a table and
a JSON line and writes everything to bench/results/sla-<mode>-<database>-<time>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import platform
import pstats
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from api_bench import (
    BenchError,
    _version,
    child_env,
    cpu_model,
    load_average,
    postgres_database,
    postgres_size,
    postgres_target,
    run_step,
)
from sla_fill import (
    DEFAULT_SWEEP_AT,
    clock_columns,
    differences,
    load_policy_clocks,
    row_columns,
    sweep_outcome,
    to_us,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
DEFAULT_POSTGRES_URL = "postgres://sopdesk:sopdesk@127.0.0.1:5432/slabench_scanner"
TARGET_SECONDS = 1.0
# The code a run measures; other work may change it meanwhile, so the results name its version.
MEASURED_FILES = (
    "sopdesk/sla/scanner.py",
    "sopdesk/sla/clocks.py",
    "sopdesk/sla/models.py",
    "sopdesk/sla/calendars.py",
    "sopdesk/lib/businesstime.py",
    "sopdesk/notifications/outbox.py",
    "sopdesk/tickets/models.py",
    "sopdesk/core/bulk.py",
)


@dataclass(frozen=True)
class Mode:
    name: str
    tickets: int
    rounds: int  # sweeps of the whole due set (and as many lookup walks)
    idle_sweeps: int  # sweeps with nothing due after each round
    profile: bool
    check_sample: int  # rows of each kind the fill replays with the real clock functions


FULL = Mode(name="full", tickets=1_000_000, rounds=5, idle_sweeps=5, profile=True, check_sample=1000)
QUICK = Mode(name="quick", tickets=100_000, rounds=3, idle_sweeps=3, profile=False, check_sample=300)


# --- measuring (the child process with the database configured) ----------------------------------


class QueryLog:
    """Count the SQL statements Django executes, by kind and table, with the time spent in them."""

    def __init__(self) -> None:
        self.count = 0
        self.kinds: Counter[str] = Counter()
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.captured: list[tuple[str, Any]] | None = None

    def reset(self) -> None:
        self.count = 0
        self.kinds.clear()
        self.seconds.clear()

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            kind = statement_kind(sql)
            self.count += 1
            self.kinds[kind] += 1
            self.seconds[kind] += elapsed
            if self.captured is not None:
                self.captured.append((sql, params))

    def summary(self) -> dict[str, Any]:
        return {
            "queries": self.count,
            "sql_seconds": round(sum(self.seconds.values()), 4),
            "by_kind": {
                kind: {"count": count, "seconds": round(self.seconds[kind], 4)}
                for kind, count in self.kinds.most_common()
            },
        }


_TABLE = re.compile(r"""\b(?:FROM|INTO|UPDATE)\s+["`]?(\w+)""", re.IGNORECASE)


def statement_kind(sql: str) -> str:
    """Return 'VERB table' for a statement, e.g. 'UPDATE sla_ticketsla'."""
    verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
    match = _TABLE.search(sql)
    return f"{verb} {match.group(1)}" if match else verb


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


class Workbench:
    """The due set of the filled database: its saved state, re-arming, predictions and checks."""

    def __init__(self, *, now: datetime, batch_size: int) -> None:
        import random

        from django.db import connection
        from django.db.models import Max

        from sopdesk.notifications.models import Notification, OutboxMessage
        from sopdesk.sla.models import SlaEscalation, TicketSla
        from sopdesk.tickets.models import TicketEvent

        self.now = now
        self.batch_size = batch_size
        self.vendor = connection.vendor
        self.quote = connection.ops.quote_name
        self.table = TicketSla._meta.db_table
        fields = [field for field in TicketSla._meta.concrete_fields if not field.primary_key]
        self.columns = [field.column for field in fields]
        # The due rows exactly as stored, to put back between rounds.
        select = (
            f"SELECT {self.quote('ticket_id')}, {', '.join(self.quote(column) for column in self.columns)}"  # noqa: S608
            f" FROM {self.quote(self.table)} WHERE {self.quote('next_check_at')} <= %s"
            f" ORDER BY {self.quote('ticket_id')}"
        )
        with connection.cursor() as cursor:
            cursor.execute(select, [connection.ops.adapt_datetimefield_value(now)])
            self.saved = [(*row[1:], row[0]) for row in cursor.fetchall()]
        self.due_ids = [row[-1] for row in self.saved]
        self.before = {sla.pk: row_columns(sla) for sla in TicketSla.objects.filter(pk__in=self.due_ids)}
        # What the sweep must leave: the clock model with everything up to `now` fired.
        policies = {
            clock.policy_id: clock for clock in load_policy_clocks(center=to_us(now), rng=random.Random(1)).values()
        }
        self.after: dict[int, dict[str, Any]] = {}
        self.expected: Counter[str] = Counter()
        for pk, before in self.before.items():
            after = clock_columns(
                policies[before["policy_id"]],
                created=before["started_at"],
                assigned=before["assignment_met_at"],
                responded=before["first_response_met_at"],
                scanned=to_us(now),
            )
            after["version"] = before["version"] + 1  # one sweep, one claim
            self.after[pk] = after
            self.expected.update(sweep_outcome(before, after))
        self.expected_escalations = {
            (pk, rule_id)
            for pk, after in self.after.items()
            for rule_id in after["escalations_fired"][len(self.before[pk]["escalations_fired"]) :]
        }
        self.written = [TicketEvent, SlaEscalation, Notification, OutboxMessage]
        self.baseline = {model: model.objects.aggregate(highest=Max("id"))["highest"] or 0 for model in self.written}

    def due_count(self) -> int:
        from sopdesk.sla.models import TicketSla

        return TicketSla.objects.filter(next_check_at__isnull=False, next_check_at__lte=self.now).count()

    def rearm(self) -> None:
        """Put the due rows back as they were and remove what the sweep wrote."""
        from django.db import connection, transaction

        assignments = ", ".join(f"{self.quote(column)} = %s" for column in self.columns)
        update = f"UPDATE {self.quote(self.table)} SET {assignments} WHERE {self.quote('ticket_id')} = %s"  # noqa: S608
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(update, self.saved)
            for model in self.written:
                table = self.quote(model._meta.db_table)
                cursor.execute(f"DELETE FROM {table} WHERE {self.quote('id')} > %s", [self.baseline[model]])  # noqa: S608
        if self.vendor == "postgresql":
            # What autovacuum would have done since: no dead versions of the due rows in the indexes.
            with connection.cursor() as cursor:
                for table in [self.table, *(model._meta.db_table for model in self.written)]:
                    cursor.execute(f"VACUUM ANALYZE {self.quote(table)}")
        if (due := self.due_count()) != len(self.saved):
            raise BenchError(f"re-arming left {due} due rows instead of {len(self.saved)}")

    def check(self, report: Any) -> dict[str, Any]:
        """Compare the database and the sweep's report with the prediction; return counts and failures."""
        from django.db.models import Count

        from sopdesk.notifications.models import Notification, OutboxMessage
        from sopdesk.sla.choices import SlaEventKind
        from sopdesk.sla.models import SlaEscalation, TicketSla
        from sopdesk.tickets.models import TicketEvent

        failures: list[str] = []
        new = {model: model.objects.filter(pk__gt=self.baseline[model]) for model in self.written}
        kinds = dict(new[TicketEvent].values_list("kind").annotate(count=Count("id")).order_by())
        events = {
            "warnings": kinds.get(SlaEventKind.SLA_WARNING, 0),
            "breaches": kinds.get(SlaEventKind.SLA_BREACHED, 0),
            "escalations": kinds.get(SlaEventKind.SLA_ESCALATED, 0),
        }
        escalations = list(new[SlaEscalation].values_list("ticket_id", "rule_id"))
        notifications = new[Notification].count()
        outbox = new[OutboxMessage].count()
        remaining = self.due_count()
        if remaining:
            failures.append(f"{remaining} rows are still due after the sweep")
        for name in ("warnings", "breaches", "escalations"):
            if not events[name] == getattr(report, name) == self.expected[name]:
                failures.append(
                    f"{name}: {events[name]} events written, {getattr(report, name)} reported,"
                    f" {self.expected[name]} expected"
                )
        if sum(kinds.values()) != sum(events.values()):
            failures.append(f"unexpected event kinds: {kinds}")
        if len(escalations) != len(set(escalations)):
            failures.append(f"{len(escalations) - len(set(escalations))} escalations recorded twice")
        if set(escalations) != self.expected_escalations:
            missing = len(self.expected_escalations - set(escalations))
            extra = len(set(escalations) - self.expected_escalations)
            failures.append(f"escalation records differ from the prediction: {missing} missing, {extra} extra")
        if not report.examined == report.claimed == len(self.due_ids) or report.lost:
            failures.append(f"examined {report.examined}, claimed {report.claimed}, lost {report.lost}")
        if notifications != report.notifications or outbox != notifications:
            failures.append(
                f"notifications: {notifications} written, {report.notifications} reported, {outbox} e-mails"
            )
        wrong = 0
        for sla in TicketSla.objects.filter(pk__in=self.due_ids):
            if found := differences(self.after[sla.pk], row_columns(sla)):
                wrong += 1
                if wrong <= 3:
                    failures.append(f"clock row {sla.pk} differs from the prediction: {found}")
        if wrong:
            failures.append(f"{wrong} clock rows differ from the prediction")
        return {
            "events": events,
            "escalation_records": len(escalations),
            "notifications": notifications,
            "outbox_emails": outbox,
            "due_after": remaining,
            "failures": failures,
        }


def explain(sql: str, params: Any) -> dict[str, Any]:
    """Return the plan of a captured statement (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            lines = [row[0] for row in cursor.fetchall()]
            full_scans = [line.strip() for line in lines if "Seq Scan" in line]
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            lines = [row[3] for row in cursor.fetchall()]
            full_scans = [line for line in lines if line.startswith("SCAN ")]
    return {
        "sql": sql,
        "plan": lines,
        "uses_partial_index": any("sla_scanner_due" in line for line in lines),
        "full_scans": full_scans,
    }


def server_cpu_seconds() -> float | None:
    """Return the CPU time of this connection's PostgreSQL backend so far (None elsewhere or unreadable)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:  # only where the server runs on this machine and its processes are readable
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_lookup(bench: Workbench, log: QueryLog, *, sql: str, params: Any, repeats: int) -> dict[str, Any]:
    """Time due_clocks() alone: the first batch repeatedly, then batch after batch over the whole due set."""
    from django.db import connection, transaction

    from sopdesk.sla.models import TicketSla
    from sopdesk.sla.scanner import due_clocks

    first: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        rows = due_clocks(now=bench.now, limit=bench.batch_size)
        first.append(time.perf_counter() - started)
    # The same statement without model instances: the database and the driver, rows fetched included.
    sql_only: list[float] = []
    with connection.cursor() as cursor:
        for _ in range(repeats):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            sql_only.append(time.perf_counter() - started)
    if len(rows) != min(bench.batch_size, len(bench.due_ids)):
        raise BenchError(f"due_clocks returned {len(rows)} rows")
    # As in a sweep: each batch in its own transaction, its rows moved past `now` before the next.
    later = bench.now + timedelta(days=3650)
    batches: list[float] = []
    batches_sql: list[float] = []
    found = 0
    log.reset()
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            batches_sql.append(time.perf_counter() - started)
            started = time.perf_counter()
            rows = due_clocks(now=bench.now, limit=bench.batch_size)
            batches.append(time.perf_counter() - started)
            if not rows:
                break
            found += len(rows)
            TicketSla.objects.filter(pk__in=[row.sla.pk for row in rows]).update(next_check_at=later)
    if found != len(bench.due_ids):
        raise BenchError(f"the lookup walk found {found} due rows, expected {len(bench.due_ids)}")
    return {
        "first_batch_ms": round(median(first) * 1000, 2),
        "first_batch_sql_ms": round(median(sql_only) * 1000, 2),
        "walk_ms": round(sum(batches) * 1000, 1),
        "walk_sql_ms": round(sum(batches_sql) * 1000, 1),
        "walk_lookups": len(batches),
        "walk_batch_median_ms": round(median(batches) * 1000, 2),
        "walk_batch_max_ms": round(max(batches) * 1000, 2),
    }


# Functions whose cumulative time the profile reports (path suffix, function name).
PROFILED = [
    ("sopdesk/sla/scanner.py", "sweep_batch"),
    ("sopdesk/sla/scanner.py", "due_clocks"),
    ("sopdesk/sla/scanner.py", "_evaluate"),
    ("sopdesk/sla/scanner.py", "_apply"),
    ("sopdesk/sla/scanner.py", "_notify"),
    ("sopdesk/sla/scanner.py", "_message"),
    ("sopdesk/sla/scanner.py", "_claim"),
    ("sopdesk/sla/scanner.py", "_team_leads"),
    ("sopdesk/sla/calendars.py", "business_calendars"),
    ("sopdesk/sla/clocks.py", "pending_occurrences"),
    ("sopdesk/sla/clocks.py", "next_check_at"),
    ("sopdesk/sla/clocks.py", "warning_at"),
    ("sopdesk/sla/clocks.py", "rule_threshold_at"),
    ("sopdesk/lib/businesstime.py", "add"),
    ("sopdesk/lib/businesstime.py", "subtract"),
    ("sopdesk/sla/events.py", "build"),
    ("sopdesk/notifications/outbox.py", "enqueue_rows"),
    ("sopdesk/tickets/events.py", "record_rows"),
    ("sopdesk/core/bulk.py", "insert_rows"),
    ("django/db/models/query.py", "bulk_create"),
    ("django/db/models/manager.py", "manager_method"),
    ("django/db/models/query.py", "update"),
    ("django/db/models/query.py", "_fetch_all"),
    ("django/db/models/base.py", "__init__"),
    ("django/db/models/base.py", "from_db"),
    ("django/utils/translation/__init__.py", "__enter__"),
    ("django/utils/translation/__init__.py", "__exit__"),
    ("django/utils/formats.py", "date_format"),
    ("django/utils/timezone.py", "localtime"),
    ("django/db/models/sql/compiler.py", "as_sql"),
    ("django/db/models/sql/compiler.py", "execute_sql"),
    ("django/db/backends/utils.py", "execute"),
    ("django/db/backends/utils.py", "executemany"),
    ("django/db/transaction.py", "__exit__"),
]


def profile_summary(profiler: cProfile.Profile, *, top: int = 30) -> dict[str, Any]:
    """Return the top functions by own time and the cumulative time of the PROFILED functions."""
    stats = pstats.Stats(profiler)
    entries: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]

    def label(key: tuple[str, int, str]) -> str:
        path, line, name = key
        for marker in ("site-packages/", "/work/main/"):
            path = path.split(marker, 1)[-1]
        return f"{path}:{line}({name})" if line else name

    by_own = sorted(entries.items(), key=lambda item: item[1][2], reverse=True)[:top]
    focus = {}
    for suffix, name in PROFILED:
        calls, cumulative = 0, 0.0
        callers: Counter[str] = Counter()
        for key, (_, total_calls, _, cumulative_time, by_caller) in entries.items():
            if key[2] != name or not key[0].endswith(suffix):
                continue
            calls += total_calls
            # utils.py has two nested execute() wrappers: count the outer one only.
            cumulative = max(cumulative, cumulative_time) if name == "execute" else cumulative + cumulative_time
            for caller, (_, _, _, caller_cumulative) in by_caller.items():
                callers[label(caller)] += caller_cumulative
        if calls:
            focus[f"{suffix.rsplit('/', 1)[-1]}:{name}"] = {
                "calls": calls,
                "cumulative_s": round(cumulative, 3),
                "callers": {caller: round(seconds, 3) for caller, seconds in callers.most_common(3)},
            }
    total = sum(value[2] for value in entries.values())
    return {
        "total_s": round(total, 3),
        "top_own_time": [
            {"function": label(key), "calls": value[1], "own_s": round(value[2], 3), "cumulative_s": round(value[3], 3)}
            for key, value in by_own
        ],
        "cumulative": focus,
    }


def _report_dict(report: Any) -> dict[str, int]:
    return {
        name: getattr(report, name)
        for name in ("batches", "examined", "claimed", "lost", "warnings", "breaches", "escalations", "notifications")
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Measure in this process (the database comes from the environment); return the results."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sopdesk.settings")
    import django

    django.setup()
    from django.db import connection

    from sopdesk.sla.scanner import due_clocks, sweep

    now = datetime.fromisoformat(args.sweep_at)
    log = QueryLog()
    result: dict[str, Any] = {
        "vendor": connection.vendor,
        "sweep_at": now.isoformat(),
        "batch_size": args.batch_size,
        # The scanner this process imported (right above): what was measured.
        "code": code_version(),
    }
    with connection.execute_wrapper(log):
        progress("    reading the due set and predicting the sweep …")
        bench = Workbench(now=now, batch_size=args.batch_size)
        result["due_rows"] = len(bench.due_ids)
        if not bench.due_ids:
            raise BenchError("nothing is due at the sweep instant: was the database filled for it?")
        result["expected"] = dict(bench.expected)
        log.captured = []
        due_clocks(now=now, limit=args.batch_size)
        lookup_sql, lookup_params = log.captured[0]
        log.captured = None
        result["plan_due"] = explain(lookup_sql, lookup_params)
        result["lookups"] = []
        for round_number in range(args.rounds):
            lookup = measure_lookup(bench, log, sql=lookup_sql, params=lookup_params, repeats=20)
            bench.rearm()
            result["lookups"].append(lookup)
            progress(
                f"    lookup round {round_number + 1}: first batch {lookup['first_batch_ms']} ms"
                f" (SQL alone {lookup['first_batch_sql_ms']} ms),"
                f" whole due set {lookup['walk_ms']} ms in {lookup['walk_lookups']} lookups"
                f" (SQL alone {lookup['walk_sql_ms']} ms)"
            )
        result["sweeps"], result["idle"] = [], []
        for round_number in range(args.rounds):
            server_before = server_cpu_seconds()
            log.reset()
            cpu_started, started = time.process_time(), time.perf_counter()
            report = sweep(now=now, batch_size=args.batch_size)
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
            queries = log.summary()
            server_after = server_cpu_seconds()
            server_cpu = None if server_before is None or server_after is None else server_after - server_before
            idle = []
            for _ in range(args.idle_sweeps):
                log.reset()
                idle_started = time.perf_counter()
                idle_report = sweep(now=now, batch_size=args.batch_size)
                idle.append(
                    {"seconds": time.perf_counter() - idle_started, "examined": idle_report.examined} | log.summary()
                )
            if round_number == 0:
                result["plan_idle"] = explain(lookup_sql, lookup_params)
            checks = bench.check(report)
            bench.rearm()
            result["sweeps"].append(
                {
                    "seconds": round(seconds, 3),
                    "cpu_seconds": round(cpu_seconds, 3),
                    "server_cpu_seconds": None if server_cpu is None else round(server_cpu, 2),
                    "load_average": os.getloadavg()[0],
                    "rows_per_second": round(report.examined / seconds, 1),
                    "report": _report_dict(report),
                    "checks": checks,
                }
                | queries
            )
            result["idle"].append(idle)
            progress(
                f"    sweep round {round_number + 1}: {seconds:.2f} s for {report.examined:,} rows"
                f" ({report.examined / seconds:,.0f} rows/s; CPU {cpu_seconds:.2f} s"
                f"{'' if server_cpu is None else f', server CPU {server_cpu:.2f} s'}, load {os.getloadavg()[0]:.1f}),"
                f" {queries['queries']:,} queries;"
                f" idle sweep {median([run['seconds'] for run in idle]) * 1000:.1f} ms;"
                f" checks {'failed' if checks['failures'] else 'passed'}"
            )
            for failure in checks["failures"]:
                progress(f"      {failure}")
        if args.profile:
            progress("    profiling one more sweep …")
            profiler = cProfile.Profile()
            log.reset()
            started = time.perf_counter()
            profiler.enable()
            report = sweep(now=now, batch_size=args.batch_size)
            profiler.disable()
            seconds = time.perf_counter() - started
            queries = log.summary()
            checks = bench.check(report)
            bench.rearm()
            result["profile"] = {"seconds": round(seconds, 3), "checks_failed": len(checks["failures"])}
            result["profile"] |= queries | profile_summary(profiler)
    return result


# --- orchestration (the parent process) -------------------------------------------------------


def stream_step(title: str, command: list[str], env: dict[str, str], timeout: float) -> str:
    """Run a child whose progress (stderr) shows on the terminal; return its output."""
    started = time.perf_counter()
    print(f"  {title} …", flush=True)
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as child:
        try:
            output, _ = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            child.kill()
            child.communicate()
            raise BenchError(f"{title} took longer than {timeout:.0f} s") from exc
    if child.returncode != 0:
        raise BenchError(f"{title} failed ({child.returncode}); see the output above")
    print(f"  {title}: {time.perf_counter() - started:.1f} s", flush=True)
    return output


@contextmanager
def database_for(database: str, args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    if database == "postgres":
        with postgres_database(args.postgres_url, keep=args.keep) as facts:
            yield facts
    else:
        yield {"sqlite_version": sqlite3.sqlite_version}


def _table_sizes(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url, connect_timeout=10) as connection:
        rows = connection.execute(
            "SELECT relname, pg_relation_size(oid) FROM pg_class"
            " WHERE relname IN ('sla_ticketsla', 'sla_scanner_due', 'sla_ticketsla_pkey', 'tickets_ticket')"
        ).fetchall()
    return {str(name): int(size) for name, size in rows}


def run_database(database: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"\n[{database}] {args.tickets:,} open tickets, {args.due_share:.1%} due", flush=True)
    result: dict[str, Any] = {"database": database, "load_average_before": load_average()}
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="sopdesk-slabench-") as temp, database_for(database, args) as facts:
        data_dir = Path(temp) / "data"
        data_dir.mkdir()
        env = child_env(data_dir, args.postgres_url if database == "postgres" else None, {})
        run_step("migrate", [python, "-m", "sopdesk.cli", "migrate", "--no-input", "-v0"], env, timeout=600)
        fill_command = [python, str(ROOT / "bench" / "sla_fill.py"), "--tickets", str(args.tickets)]
        fill_command += ["--due-share", str(args.due_share), "--sweep-at", args.sweep_at, "--seed", str(args.seed)]
        fill_command += ["--check-sample", str(args.check_sample), "--analyze"]
        result["fill"] = json.loads(stream_step(f"fill {args.tickets:,} tickets with clocks", fill_command, env, 7200))
        measure_command = [python, str(Path(__file__).resolve()), "--measure", "--sweep-at", args.sweep_at]
        measure_command += ["--rounds", str(args.rounds), "--idle-sweeps", str(args.idle_sweeps)]
        measure_command += ["--batch-size", str(args.batch_size)] + (["--profile"] if args.profile else [])
        result["measured"] = json.loads(stream_step("measure", measure_command, env, 7200))
        if database == "sqlite":
            facts["size_bytes"] = (data_dir / "sopdesk.sqlite3").stat().st_size
        else:
            facts["size_bytes"] = postgres_size(args.postgres_url)
            facts["relation_bytes"] = _table_sizes(args.postgres_url)
        result["database_facts"] = facts
    result["load_average_after"] = load_average()
    return result


def summarise(run: dict[str, Any]) -> dict[str, Any]:
    """Return the medians of a database's rounds and whether each 1 s target is met."""
    measured = run["measured"]
    sweeps, lookups = measured["sweeps"], measured["lookups"]
    idle = [entry for series in measured["idle"] for entry in series]
    sweep_seconds = median([entry["seconds"] for entry in sweeps])
    lookup_seconds = median([entry["walk_ms"] for entry in lookups]) / 1000
    idle_seconds = median([entry["seconds"] for entry in idle])
    first = sweeps[0]
    return {
        "database": run["database"],
        "scanner_sha256": measured["code"]["files"]["sopdesk/sla/scanner.py"],
        "due_rows": measured["due_rows"],
        "lookup_first_batch_ms": median([entry["first_batch_ms"] for entry in lookups]),
        "lookup_first_batch_sql_ms": median([entry["first_batch_sql_ms"] for entry in lookups]),
        "lookup_whole_set_ms": round(lookup_seconds * 1000, 1),
        "lookup_whole_set_sql_ms": median([entry["walk_sql_ms"] for entry in lookups]),
        "lookup_uses_partial_index": measured["plan_due"]["uses_partial_index"],
        "lookup_full_scans": len(measured["plan_due"]["full_scans"]),
        "sweep_seconds": round(sweep_seconds, 3),
        "sweep_seconds_all": [entry["seconds"] for entry in sweeps],
        "sweep_cpu_seconds": median([entry["cpu_seconds"] for entry in sweeps]),
        "sweep_server_cpu_seconds": (
            median([entry["server_cpu_seconds"] for entry in sweeps])
            if all(entry["server_cpu_seconds"] is not None for entry in sweeps)
            else None
        ),
        "sweep_load_average": [entry["load_average"] for entry in sweeps],
        "sweep_rows_per_second": round(measured["due_rows"] / sweep_seconds, 1),
        "sweep_queries": first["queries"],
        "sweep_sql_seconds": round(median([entry["sql_seconds"] for entry in sweeps]), 3),
        "events": first["checks"]["events"],
        "escalation_records": first["checks"]["escalation_records"],
        "notifications": first["checks"]["notifications"],
        "idle_ms": round(idle_seconds * 1000, 2),
        "idle_queries": idle[0]["queries"],
        "checks_failed": sum(len(entry["checks"]["failures"]) for entry in sweeps),
        "target_met": {
            "lookup": lookup_seconds < TARGET_SECONDS,
            "sweep": sweep_seconds < TARGET_SECONDS,
            "idle": idle_seconds < TARGET_SECONDS,
        },
    }


def print_report(report: dict[str, Any]) -> None:
    print(
        f"\nsopdesk SLA scanner bench, {report['mode']} mode: {report['tickets']:,} open tickets,"
        f" {report['due_share']:.1%} due at {report['sweep_at']}, batches of {report['batch_size']},"
        f" {report['rounds']} rounds (medians), {report['cpus']} CPUs"
    )
    header = (
        f"{'database':10} {'due rows':>9} {'lookup 1st, SQL':>16} {'lookup all, SQL':>16} {'sweep s':>8}"
        f" {'CPU s':>6} {'server':>6} {'rows/s':>7}"
        f" {'queries':>8} {'SQL s':>6} {'events':>7} {'notices':>8} {'idle ms':>8} {'idle q':>7} {'checks':>7}"
    )
    print(f"\n{header}")
    for summary in report["summary"]:
        events = sum(summary["events"].values())
        first = f"{summary['lookup_first_batch_ms']:.1f} / {summary['lookup_first_batch_sql_ms']:.1f} ms"
        whole = f"{summary['lookup_whole_set_ms']:.0f} / {summary['lookup_whole_set_sql_ms']:.0f} ms"
        server_cpu = summary["sweep_server_cpu_seconds"]
        server = "–" if server_cpu is None else f"{server_cpu:.2f}"
        print(
            f"{summary['database']:10} {summary['due_rows']:9,} {first:>16} {whole:>16} {summary['sweep_seconds']:8.2f}"
            f" {summary['sweep_cpu_seconds']:6.2f} {server:>6} {summary['sweep_rows_per_second']:7,.0f}"
            f" {summary['sweep_queries']:8,}"
            f" {summary['sweep_sql_seconds']:6.2f}"
            f" {events:7,} {summary['notifications']:8,} {summary['idle_ms']:8.1f} {summary['idle_queries']:7}"
            f" {'failed' if summary['checks_failed'] else 'ok':>7}"
        )
    for run, summary in zip(report["runs"], report["summary"], strict=True):
        kinds = run["measured"]["sweeps"][0]["by_kind"]
        print(f"\n{summary['database']}: statements of one sweep (count, seconds)")
        for kind, entry in kinds.items():
            print(f"  {kind:40} {entry['count']:7,} {entry['seconds']:8.3f}")
        met = summary["target_met"]
        print(
            f"  1 s target: lookup {'met' if met['lookup'] else 'MISSED'}, sweep of {summary['due_rows']:,} due rows"
            f" {'met' if met['sweep'] else 'MISSED'}, idle sweep {'met' if met['idle'] else 'MISSED'};"
            f" plan uses sla_scanner_due: {summary['lookup_uses_partial_index']},"
            f" full scans: {summary['lookup_full_scans']}"
        )
        if profile := run["measured"].get("profile"):
            print(f"  profiled sweep ({profile['seconds']} s under cProfile), cumulative time of:")
            for name, entry in profile["cumulative"].items():
                print(f"    {entry['cumulative_s']:7.3f} s {entry['calls']:9,}  {name}")
            print("  top own time:")
            for entry in profile["top_own_time"][:12]:
                print(f"    {entry['own_s']:7.3f} s {entry['calls']:9,}  {entry['function']}")


def code_version() -> dict[str, Any]:
    """Return the commit and a digest of each measured file (the working tree may differ from the commit)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    files = {}
    for name in MEASURED_FILES:
        path = ROOT / name
        files[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.exists() else None
    return {"commit": commit, "files": files}


def _stop_on_signal(number: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {number}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the SLA scanner on SQLite and PostgreSQL.")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK.tickets:,} tickets, {QUICK.rounds} rounds")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="database to create and drop")
    parser.add_argument("--tickets", type=int, help=f"open tickets (default {FULL.tickets:,}; quick {QUICK.tickets:,})")
    parser.add_argument("--due-share", type=float, default=0.01, help="share of the tickets due at the sweep")
    parser.add_argument("--rounds", type=int, help="sweeps (and lookup walks) per database")
    parser.add_argument("--idle-sweeps", type=int, help="sweeps with nothing due after each round")
    parser.add_argument("--batch-size", type=int, default=500, help="the scanner's batch size (its default)")
    parser.add_argument("--sweep-at", default=DEFAULT_SWEEP_AT, help="the sweep instant, ISO 8601 with offset")
    parser.add_argument("--seed", type=int, default=20261118)
    parser.add_argument("--profile", action="store_true", help="profile one more sweep (always in full mode)")
    parser.add_argument("--check-sample", type=int, help="rows of each kind the fill checks against the clocks")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    mode = QUICK if args.quick else FULL
    args.tickets = args.tickets or mode.tickets
    args.rounds = args.rounds or mode.rounds
    args.idle_sweeps = args.idle_sweeps or mode.idle_sweeps
    if args.measure:  # the parent passes every setting explicitly
        print(json.dumps(measure(args), ensure_ascii=False))
        return 0
    args.profile = args.profile or mode.profile
    args.check_sample = args.check_sample or mode.check_sample
    signal.signal(signal.SIGTERM, _stop_on_signal)
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    try:
        if "postgres" in databases:
            postgres_target(args.postgres_url)
        if not 0 < args.due_share < 1 or args.tickets < 1000:
            raise BenchError("--due-share must lie between 0 and 1 and --tickets be at least 1,000")
    except BenchError as exc:
        parser.error(str(exc))
    started = time.perf_counter()
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": mode.name,
        "tickets": args.tickets,
        "due_share": args.due_share,
        "sweep_at": args.sweep_at,
        "batch_size": args.batch_size,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in ("django", "psycopg")},
        "code": code_version(),
        "runs": [],
    }
    try:
        for database in databases:
            report["runs"].append(run_database(database, args))
    except BenchError as exc:
        print(f"\nbench failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench interrupted; its databases were removed", file=sys.stderr)
        return 130
    report["summary"] = [summarise(run) for run in report["runs"]]
    # Each measuring process records the code it imported; they and the code at the end must agree.
    versions = [run["measured"]["code"]["files"] for run in report["runs"]] + [code_version()["files"]]
    report["code"]["changed_during_run"] = [
        name for name in MEASURED_FILES if len({files[name] for files in versions}) > 1
    ]
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    print_report(report)
    print(json.dumps({"mode": mode.name, "tickets": args.tickets, "summary": report["summary"]}))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    output = RESULTS_DIR / f"sla-{mode.name}-{args.database}-{stamp}.json"
    output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults: {output.relative_to(ROOT)} (total {report['total_seconds']} s)")
    if changed := report["code"]["changed_during_run"]:
        print(f"warning: the measured code changed during the run: {', '.join(changed)}", file=sys.stderr)
    failed = [summary["database"] for summary in report["summary"] if summary["checks_failed"]]
    if failed:
        print(f"correctness checks failed on: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
