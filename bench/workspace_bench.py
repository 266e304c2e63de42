"""Benchmark the agent workspace pages: server time of the queue and ticket pages.

    python bench/workspace_bench.py [--quick] [--tickets N] [--database sqlite|postgres|both]

For each database: migrate a fresh one, fill it (bench/fill.py), give the newest tickets their
SLA clocks and one ticket a 50-entry timeline (bench/workspace_setup.py), start the real service
(`sopdesk serve`), log in through the login form as the bench agent and manager, and time
sequential requests of each page (after a warm-up). Loopback HTTP, so the time is the server's
plus a fraction of a millisecond. Results are printed and written to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_bench import (
    DEFAULT_POSTGRES_URL,
    HOST,
    RESULTS_DIR,
    BenchError,
    Service,
    child_env,
    free_port,
    load_average,
    postgres_database,
    run_step,
    summary_ms,
)

ROOT = Path(__file__).resolve().parent.parent


def pages(long_ticket: str) -> dict[str, list[tuple[str, str]]]:
    """The measured pages per persona: (label, path)."""
    ticket = f"/desk/tickets/{long_ticket}/"
    return {
        "agent": [
            ("queue: my open tickets", "/desk/queues/mine/"),
            ("queue: my teams' open tickets", "/desk/queues/teams/"),
            ("queue: unassigned", "/desk/queues/unassigned/"),
            ("queue: everything, newest first", "/desk/queues/all/"),
            ("queue: about to breach", "/desk/queues/warning/"),
            ("queue: pending customer", "/desk/queues/pending/"),
            ("queue: recently updated", "/desk/queues/recent/"),
            ("queue counts (8 bounded counts)", "/desk/queues/counts/"),
            ("ticket page (50 events)", ticket),
            ("ticket live update poll", f"{ticket}updates/?after=0&version=1"),
        ],
        "manager": [
            ("queue: everything, newest first", "/desk/queues/all/"),
            ("queue: breached", "/desk/queues/breached/"),
            ("queue counts (8 bounded counts)", "/desk/queues/counts/"),
            ("ticket page (50 events)", ticket),
        ],
    }


def web_login(base_url: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=60, trust_env=False, follow_redirects=False)
    page = client.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if token is None:
        raise BenchError("no CSRF token on the login page")
    response = client.post(
        "/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token.group(1), "next": "/desk/"},
        headers={"Referer": f"{base_url}/login/"},
    )
    if response.status_code != 302:
        raise BenchError(f"login as {username} failed: {response.status_code}")
    return client


def measure(client: httpx.Client, path: str, *, samples: int, warmup: int, budget: float) -> dict[str, Any]:
    timings: list[float] = []
    started_series = time.perf_counter()
    for index in range(warmup + samples):
        if len(timings) >= 5 and time.perf_counter() - started_series > budget:
            break
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise BenchError(f"{path}: {response.status_code} {response.text[:300]}")
        if index >= warmup:
            timings.append(elapsed)
    return {"samples": len(timings), "bytes": len(response.content)} | summary_ms(timings)


def run_database(database: str, tickets: int, args: argparse.Namespace) -> dict[str, Any]:
    print(f"\n[{database}] {tickets:,} tickets", flush=True)
    password = "bench-" + os.urandom(12).hex()
    result: dict[str, Any] = {"database": database, "tickets": tickets, "load_average_before": load_average()}
    with tempfile.TemporaryDirectory(prefix="sopdesk-wsbench-") as temp:
        data_dir = Path(temp) / "data"
        data_dir.mkdir()
        port = free_port()
        settings = {"PORT": str(port), "SOPDESK_BIND": HOST}
        postgres = postgres_database(args.postgres_url, keep=False) if database == "postgres" else None
        facts = postgres.__enter__() if postgres is not None else {}
        try:
            env = child_env(data_dir, args.postgres_url if database == "postgres" else None, settings)
            python = sys.executable
            run_step("migrate", [python, "-m", "sopdesk.cli", "migrate", "--no-input", "-v0"], env, timeout=600)
            fill_command = [python, str(ROOT / "bench" / "fill.py"), "--tickets", str(tickets)]
            if database == "postgres":
                fill_command.append("--analyze")
            filled = json.loads(
                run_step(f"fill {tickets:,} tickets", fill_command, env | {"SOPDESK_BENCH_PASSWORD": password}, 3600)
            )
            if database == "sqlite":
                run_step("refresh planner statistics", [python, "-m", "sopdesk.cli", "refresh_statistics"], env, 900)
            setup_command = [python, str(ROOT / "bench" / "workspace_setup.py"), "--agent", filled["agent"]]
            setup = json.loads(run_step("clocks and a 50-entry timeline", setup_command, env, 1800))
            result["setup"] = setup | {"facts": facts}
            service = Service(env, Path(temp) / "service.log", port)
            try:
                service.start(timeout=300)
                rows = []
                for persona, measured in pages(setup["long_ticket"]).items():
                    username = filled[persona]
                    with closing(web_login(service.base_url, username, password)) as client:
                        for label, path in measured:
                            row = {"persona": persona, "page": label, "path": path}
                            row |= measure(client, path, samples=args.samples, warmup=2, budget=args.seconds)
                            rows.append(row)
                            print(
                                f"    {persona:8} {label:34} p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms"
                                f"  ({row['samples']} requests, {row['bytes']:,} bytes)",
                                flush=True,
                            )
                result["pages"] = rows
            except Exception:
                # The access lines drown the error: show the service's tracebacks first.
                lines = service.log_tail(5000).splitlines()
                errors = [line for line in lines if "Traceback" in line or "Error" in line or 'File "' in line]
                print("\n".join(errors[-60:]) or service.log_tail(), file=sys.stderr)
                raise
            finally:
                service.stop()
        finally:
            if postgres is not None:
                postgres.__exit__(None, None, None)
    result["load_average_after"] = load_average()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10,000 tickets and fewer requests")
    parser.add_argument("--tickets", type=int, help="tickets to fill (default 100,000; quick 10,000)")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="database to create and drop")
    parser.add_argument("--samples", type=int, help="timed requests per page at most")
    parser.add_argument("--seconds", type=float, default=8.0, help="time budget per page once 5 requests are in")
    args = parser.parse_args(argv)
    tickets = args.tickets or (10_000 if args.quick else 100_000)
    args.samples = args.samples or (10 if args.quick else 30)
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    report = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "runs": [run_database(database, tickets, args) for database in databases],
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"workspace-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
