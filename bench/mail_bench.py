"""Benchmark inbound mail: messages per second one worker stores and processes.

    python bench/mail_bench.py [--quick] [--database sqlite|postgres|both] [--postgres-url URL] [--messages N]

For each database the script migrates a fresh database in a temporary data directory and, in a
child process with that database configured:

1. prepares an intake team, 50 requesters and a mailbox, and generates the messages: each a
   multipart mail with a ~50 KB HTML body (Chinese and English) and a small text attachment,
   from one of the requesters, with its own Message-ID;
2. stores them one by one with `mail.intake.receive_raw` (its own committed transaction each, the
   processing job queued after the commit: what the IMAP poller or the SMTP receiver does);
3. processes them one by one with `mail.processing.process_mail` (parse, sanitise, loop checks,
   threading, a new ticket through `create_ticket` with its acknowledgement, the attachment
   through `add_attachment`): what one queue worker does.

It prints messages per second for each step and for both together (one worker), and writes
everything to bench/results/mail-<mode>-<database>-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api_bench import BenchError, child_env, cpu_model, load_average, postgres_database, run_step

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
DEFAULT_POSTGRES_URL = "postgres://sopdesk:sopdesk@127.0.0.1:5432/sopdesk_mail_bench"
REQUESTERS = 50


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(values_ms: list[float]) -> dict[str, float]:
    total_s = sum(values_ms) / 1000
    return {
        "count": len(values_ms),
        "per_second": round(len(values_ms) / total_s, 1) if total_s else 0.0,
        "p50_ms": round(percentile(values_ms, 0.50), 2),
        "p95_ms": round(percentile(values_ms, 0.95), 2),
        "max_ms": round(max(values_ms), 2),
        "mean_ms": round(statistics.fmean(values_ms), 2),
    }


# --- the child: measure with Django set up ------------------------------------------------------


def _measure(args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    from django.utils import timezone

    from sopdesk.accounts.models import Team, User
    from sopdesk.mail.choices import MailSource, MailState
    from sopdesk.mail.intake import receive_raw
    from sopdesk.mail.models import InboundMail, Mailbox
    from sopdesk.mail.processing import process_mail
    from sopdesk.testing import mailcorpus

    Team.objects.create(code="service-desk", name="Service desk", is_intake=True)
    senders = []
    for index in range(REQUESTERS):
        user = User.objects.create_user(username=f"user{index}", email=f"user{index}@customer.example")
        senders.append(f"User {index} <{user.email}>")
    mailbox = Mailbox.objects.create(name="Help", address="help@desk.example")
    template = mailcorpus.bench_message(html_bytes=50_000)
    messages = []
    for index in range(args.messages):
        raw = template.replace(
            b"From: Li Lei <lilei@customer.example>", f"From: {senders[index % REQUESTERS]}".encode()
        )
        messages.append(raw.replace(b"Message-ID: <", f"Message-ID: <bench{index}.".encode(), 1))
    sizes = [len(raw) for raw in messages]

    stored_ms: list[float] = []
    ids = []
    for raw in messages:
        started = time.perf_counter()
        ids.append(receive_raw(mailbox=mailbox, raw=raw, source=MailSource.IMAP, now=timezone.now()).pk)
        stored_ms.append((time.perf_counter() - started) * 1000)
    processed_ms: list[float] = []
    for mail_id in ids:
        started = time.perf_counter()
        process_mail(mail_id, now=timezone.now())
        processed_ms.append((time.perf_counter() - started) * 1000)
    states = {
        state: InboundMail.objects.filter(state=state).count()
        for state in (MailState.PROCESSED, MailState.QUARANTINED, MailState.RECEIVED)
    }
    if states[MailState.PROCESSED] != args.messages:
        raise SystemExit(f"not every message was processed: {states}")
    both = [a + b for a, b in zip(stored_ms, processed_ms, strict=True)]
    return {
        "messages": args.messages,
        "message_bytes": round(statistics.fmean(sizes)),
        "store": summary(stored_ms),
        "process": summary(processed_ms),
        "store_and_process": summary(both),
        "states": states,
    }


# --- the parent: one fresh database per engine -------------------------------------------------


@contextmanager
def database_for(database: str, args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    if database == "postgres":
        with postgres_database(args.postgres_url, keep=False) as facts:
            yield facts
    else:
        yield {"sqlite_version": sqlite3.sqlite_version}


def run_database(database: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"\n[{database}] {args.messages:,} messages", flush=True)
    result: dict[str, Any] = {"database": database, "load_average_before": load_average()}
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="sopdesk-mailbench-") as temp, database_for(database, args) as facts:
        data_dir = Path(temp) / "data"
        data_dir.mkdir()
        env = child_env(data_dir, args.postgres_url if database == "postgres" else None, {})
        env["DJANGO_SETTINGS_MODULE"] = "sopdesk.settings"
        run_step("migrate", [python, "-m", "sopdesk.cli", "migrate", "--no-input", "-v0"], env, timeout=600)
        command = [python, str(Path(__file__).resolve()), "--measure", "--messages", str(args.messages)]
        result["measured"] = json.loads(run_step("store and process", command, env, timeout=3600))
        result["database_facts"] = facts
    result["load_average_after"] = load_average()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark inbound mail on SQLite and PostgreSQL.")
    parser.add_argument("--quick", action="store_true", help="200 messages (default 2,000)")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="database to create and drop")
    parser.add_argument("--messages", type=int, help="messages stored and processed")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    args.messages = args.messages or (200 if args.quick else 2_000)
    sys.path.insert(0, str(ROOT))
    if args.measure:
        print(json.dumps(_measure(args)))
        return 0
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    report: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "started_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version()},
        "runs": [],
    }
    for database in databases:
        run = run_database(database, args)
        report["runs"].append(run)
        measured = run["measured"]
        print(
            f"  message size {measured['message_bytes']:,} bytes\n"
            f"  store (receive_raw):     {measured['store']['per_second']} msg/s,"
            f" p95 {measured['store']['p95_ms']} ms\n"
            f"  process (process_mail):  {measured['process']['per_second']} msg/s,"
            f" p95 {measured['process']['p95_ms']} ms\n"
            f"  both, one worker:        {measured['store_and_process']['per_second']} msg/s",
            flush=True,
        )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"mail-{report['mode']}-{args.database}-{stamp}.json"
    path.write_text(json.dumps(report, indent=2))
    print(json.dumps({run["database"]: run["measured"]["store_and_process"] for run in report["runs"]}))
    print(f"results: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"mail bench: {error}", file=sys.stderr)
        sys.exit(2)
