"""Benchmark the sopdesk REST API: tickets created per second and ticket-list latency.

    python bench/api_bench.py [--quick] [--database sqlite|postgres|both] [--postgres-url URL]

For each database the script migrates a fresh database in a temporary data directory, fills it
with bench users, teams and many tickets (bench/fill.py, which bypasses the actions on purpose),
records the query plans of the measured lists (bench/explain.py, full mode), starts the real
service (`sopdesk serve`: gunicorn plus the job worker) on a free loopback port, logs in through
the API, and measures

- list latency: a few realistic list queries, as an agent who sees one team's tickets and as a
  manager who sees all, each requested sequentially (bounded by a count and a time budget);
- ticket creation: first one client alone, then CONCURRENCY clients at once, each with its own
  connection, for a fixed number of tickets; every answer must be 201 with a unique number.

It then stops the service (the whole process tree, in every case), drops what it created, prints
a table and writes the results, with plans and machine facts, as JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import platform
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from any directory, like the other benches

from sopdesk.cli import DEFAULT_WEB_THREADS, default_web_workers  # noqa: E402

RESULTS_DIR = ROOT / "bench" / "results"
HOST = "127.0.0.1"
CONCURRENCY = 8
DEFAULT_POSTGRES_URL = "postgres://sopdesk:sopdesk@127.0.0.1:5432/sopdesk_bench"
# Databases the bench must never create or drop, whatever URL it is given.
PROTECTED_DATABASES = frozenset({"postgres", "template0", "template1", "sopdesk", "sopdesk_h2", "sopdesk_h3"})
AGENT_TEAM = "service-desk"


@dataclass(frozen=True)
class Mode:
    name: str
    tickets: int  # bulk-filled before the service starts
    creates: int  # created through the API by CONCURRENCY clients
    single_creates: int  # created by one client first: the uncontended latency
    list_samples: int  # timed requests per list query and persona at most ...
    list_min_samples: int  # ... stopping after `list_seconds` once this many are in
    list_seconds: float
    warmup: int  # untimed requests before each list series
    plans: bool  # collect query plans for the results file


FULL = Mode(
    name="full",
    tickets=100_000,
    creates=2_000,
    single_creates=100,
    list_samples=40,
    list_min_samples=8,
    list_seconds=5.0,
    warmup=2,
    plans=True,
)
QUICK = Mode(
    name="quick",
    tickets=10_000,
    creates=300,
    single_creates=30,
    list_samples=15,
    list_min_samples=5,
    list_seconds=4.0,
    warmup=1,
    plans=False,
)

# What a creating agent types in; the server computes number, priority and team.
NEW_TICKETS = [
    ("打印机无法连接，显示脱机", "hardware-printer", "从早上开始打印机一直脱机，重启后仍然无法打印。"),
    ("VPN 登录提示证书错误", "network-vpn", "出差在酒店，VPN 客户端提示证书无效。"),
    ("Outlook keeps asking for the password", "software-office", "Started after the password change."),
    ("ERP 月结报表导出失败", "software-business", "导出 Excel 时报错：超时。月底结账急用。"),
    ("Wi-Fi drops in meeting room 5", "network-wifi", "Laptops lose the connection every few minutes."),
    ("账号被锁定，请解锁", "account-password", "多次输错密码后被锁定。"),
    ("Server disk almost full", "system", "Monitoring reports 93% usage on the file server."),
    ("笔记本电脑开机很慢", "hardware-pc", "开机需要五分钟以上，风扇一直在转。"),
]
IMPACTS = ["single_user"] * 6 + ["multiple_users"] * 2 + ["department", "organization"]
URGENCIES = ["low"] * 2 + ["medium"] * 5 + ["high"] * 2 + ["critical"]


class BenchError(RuntimeError):
    """A step of the benchmark failed; the message says which and why."""


# --- helpers -------------------------------------------------------------------------------


def percentile(values: list[float], share: int) -> float:
    """Return the nearest-rank percentile (`share` in 1..100) of `values`."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (share * len(ordered) + 99) // 100  # ceil(share/100 × n) in integers
    return ordered[max(rank, 1) - 1]


def summary_ms(seconds: list[float]) -> dict[str, Any]:
    milliseconds = [value * 1000 for value in seconds]
    return {
        "p50_ms": round(percentile(milliseconds, 50), 1),
        "p95_ms": round(percentile(milliseconds, 95), 1),
        "p99_ms": round(percentile(milliseconds, 99), 1),
        "max_ms": round(max(milliseconds, default=float("nan")), 1),
        "timings_ms": [round(value, 1) for value in milliseconds],
    }


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def load_average() -> list[float]:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return []


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_cpu() -> tuple[int, int]:
    """Return (total, idle) clock ticks of all CPUs since boot, or zeros where unknown."""
    try:
        values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    except (OSError, ValueError, IndexError):
        return 0, 0
    return sum(values), values[3] + values[4]


def process_cpu_seconds(pids: set[int]) -> float:
    """Return the user + system CPU seconds the live processes among `pids` have used."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def child_env(data_dir: Path, database_url: str | None, extra: dict[str, str]) -> dict[str, str]:
    """Return a clean environment for the service: inherited sopdesk settings would skew the run."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SOPDESK_")}
    env.pop("DATABASE_URL", None)
    env.update({"SOPDESK_DATA_DIR": str(data_dir), "SOPDESK_LOG_LEVEL": "WARNING", **extra})
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def run_step(title: str, command: list[str], env: dict[str, str], timeout: float) -> str:
    started = time.perf_counter()
    print(f"  {title} …", end="", flush=True)
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{title} took longer than {timeout:.0f} s") from exc
    if done.returncode != 0:
        raise BenchError(f"{title} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    print(f" {time.perf_counter() - started:.1f} s", flush=True)
    return done.stdout


# --- databases -----------------------------------------------------------------------------


def postgres_target(url: str) -> tuple[str, str]:
    """Return (bench database URL, maintenance URL) after checking the URL is safe to drop."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise BenchError("--postgres-url must be a postgres:// URL")
    if not is_loopback(parts.hostname or ""):
        raise BenchError("the bench only talks to servers on this machine (loopback addresses)")
    name = parts.path.lstrip("/")
    if not name or name in PROTECTED_DATABASES or name.startswith("test_") or "bench" not in name:
        raise BenchError(
            f"refusing database {name!r}: the bench drops and recreates its database, "
            "so its name must contain 'bench' and not be a shared one"
        )
    maintenance = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    return url, maintenance


@contextmanager
def postgres_database(url: str, *, keep: bool) -> Iterator[dict[str, Any]]:
    """Create a fresh bench database, yield facts about the server, drop it afterwards."""
    import psycopg
    from psycopg import sql

    bench_url, maintenance_url = postgres_target(url)
    name = urlsplit(bench_url).path.lstrip("/")
    with psycopg.connect(maintenance_url, autocommit=True, connect_timeout=10) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        row = admin.execute("SHOW server_version").fetchone()
    facts = {"server_version": row[0] if row else "?", "database": name}
    try:
        yield facts
    finally:
        if keep:
            print(f"  kept PostgreSQL database {name}")
        else:
            with psycopg.connect(maintenance_url, autocommit=True, connect_timeout=10) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def postgres_size(url: str) -> int | None:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=10) as connection:
            row = connection.execute("SELECT pg_database_size(current_database())").fetchone()
            return int(row[0]) if row else None
    except psycopg.Error:
        return None


# --- the service ---------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    """Return the fields of /proc/<pid>/stat after the command name (state first), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _start_time(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def _descendants_of(pid: int) -> dict[int, int]:
    """Return {pid: start time} of every live descendant of `pid`."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))):
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found: dict[int, int] = {}
    pending = [pid]
    for _ in range(10_000):  # bounded walk of the process tree
        if not pending:
            break
        for child in parents.get(pending.pop(), []):
            if (started := _start_time(child)) is not None:
                found[child] = started
                pending.append(child)
    return found


class Service:
    """`sopdesk serve` in its own session; honcho starts web and worker in sessions of their own.

    Every process of the tree is remembered with its start time, so the last-resort kill can
    only ever reach those very processes, never a later process that reuses a number.
    """

    def __init__(self, env: dict[str, str], log_path: Path, port: int) -> None:
        self.env = env
        self.log_path = log_path
        self.base_url = f"http://{HOST}:{port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.known: dict[int, int] = {}

    def _remember_tree(self) -> None:
        if self.process is not None:
            self.known.update(_descendants_of(self.process.pid))

    def _still_ours(self) -> list[int]:
        return [pid for pid, started in self.known.items() if _start_time(pid) == started]

    def start(self, timeout: float = 90) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "sopdesk.cli", "serve"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.base_url, timeout=5, trust_env=False) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise BenchError(f"the service exited early:\n{self.log_tail()}")
                self._remember_tree()
                try:
                    if client.get("/api/v1/openapi.json").status_code == 200:
                        self._remember_tree()
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.25)
        raise BenchError(f"the service did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 30) -> None:
        """Ask the supervisor to stop (it stops web and worker), then kill whatever of ours is left."""
        if self.process is None:
            return
        self._remember_tree()
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self._still_ours():
            time.sleep(0.2)
        for pid in self._still_ours():
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process = None

    def pids(self) -> set[int]:
        """Return the live processes of the service (supervisor, web server, job worker)."""
        return set(self._still_ours()) | ({self.process.pid} if self.process else set())

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


# --- measurements --------------------------------------------------------------------------


def login(base_url: str, username: str, password: str) -> str:
    with httpx.Client(base_url=base_url, timeout=30, trust_env=False) as client:
        response = client.post("/api/v1/auth/token", json={"username": username, "password": password, "name": "bench"})
    if response.status_code != 201:
        raise BenchError(f"login as {username} failed: {response.status_code} {response.text[:300]}")
    return str(response.json()["token"])


def _client(base_url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=60, trust_env=False, headers={"Authorization": f"Bearer {token}"})


def list_queries(tickets: int) -> list[tuple[str, dict[str, Any]]]:
    """Return the measured list queries, (label, query parameters), for a database of `tickets`."""
    deep = min(tickets // 10, 10_000)  # the API refuses offsets above 10,000
    return [
        ("first page (newest first)", {}),
        (f"page at offset {deep:,}", {"offset": deep}),
        # `cursor_after_row` N: the bench first asks for row N (offset N - 1, limit 1) and then
        # measures the page its `next_cursor` names.
        (f"page after a cursor at row {deep:,}", {"cursor_after_row": deep}),
        ("open tickets of a team", {"status": ["new", "assigned", "in_progress"], "team": AGENT_TEAM}),
        ("closed tickets", {"status": "closed"}),
        ("text search q=打印机", {"q": "打印机"}),
        ("text search q=vpn", {"q": "vpn"}),
        ("ordered by priority", {"ordering": "priority"}),
    ]


def _cursor_after_row(client: httpx.Client, row: int) -> str:
    response = client.get("/api/v1/tickets", params={"limit": 1, "offset": row - 1})
    cursor = response.json().get("next_cursor") if response.status_code == 200 else None
    if not cursor:
        raise BenchError(f"no cursor after row {row}: {response.status_code} {response.text[:300]}")
    return str(cursor)


def measure_lists(
    base_url: str, personas: dict[str, str], mode: Mode, expected_counts: dict[str, int]
) -> list[dict[str, Any]]:
    """Time each query per persona with sequential requests (bounded by count and time); summarise."""
    results = []
    for persona, token in personas.items():
        with _client(base_url, token) as client:
            for label, params in list_queries(mode.tickets):
                query = {"limit": 50, **params}
                if "cursor_after_row" in query:
                    query["cursor"] = _cursor_after_row(client, query.pop("cursor_after_row"))
                timings: list[float] = []
                count = None
                series_started = time.perf_counter()
                for index in range(mode.warmup + mode.list_samples):
                    spent = time.perf_counter() - series_started
                    if len(timings) >= mode.list_min_samples and spent > mode.list_seconds:
                        break
                    started = time.perf_counter()
                    response = client.get("/api/v1/tickets", params=query)
                    elapsed = time.perf_counter() - started
                    if response.status_code != 200:
                        raise BenchError(f"{persona} {label}: {response.status_code} {response.text[:300]}")
                    body = response.json()
                    count = f"{body['count']:,}" + ("" if body["count_exact"] else "+")
                    if index >= mode.warmup:
                        timings.append(elapsed)
                expected = expected_counts[persona]
                # The API counts up to a bound: exact below it, "bound+" above.
                if not params and (body["count_exact"] != (expected <= body["count"]) or body["count"] > expected):
                    raise BenchError(f"{persona} sees {count} tickets, expected {expected:,}")
                row = {"persona": persona, "query": label, "params": query, "count": count, "samples": len(timings)}
                results.append(row | summary_ms(timings))
                print(
                    f"    {persona:8} {label:30} p50 {results[-1]['p50_ms']:7.1f} ms"
                    f"  p95 {results[-1]['p95_ms']:7.1f} ms  ({count} rows, {len(timings)} requests)",
                    flush=True,
                )
    return results


def _creation_payload(rng: random.Random, requesters: list[str], categories: list[str]) -> dict[str, Any]:
    title, category, description = rng.choice(NEW_TICKETS)
    if rng.random() < 0.3:
        category = rng.choice(categories)
    return {
        "title": f"{title} #{rng.randint(1, 9999)}",
        "description": description,
        "category": category,
        "impact": rng.choice(IMPACTS),
        "urgency": rng.choice(URGENCIES),
        "channel": "phone",
        "requester": rng.choice(requesters),
    }


def measure_creation(
    service: Service,
    token: str,
    *,
    total: int,
    concurrency: int,
    requesters: list[str],
    categories: list[str],
) -> dict[str, Any]:
    """Create `total` tickets with `concurrency` threads, each with its own connection.

    Each thread first creates two untimed tickets (connection set-up, warm caches); the clock
    runs from the moment all threads are ready until the last one has finished.
    """
    per_worker = [total // concurrency + (1 if index < total % concurrency else 0) for index in range(concurrency)]
    timings: list[list[float]] = [[] for _ in range(concurrency)]
    failures: list[Counter[str]] = [Counter() for _ in range(concurrency)]
    numbers: list[list[str]] = [[] for _ in range(concurrency)]
    samples: list[str] = []
    barrier = threading.Barrier(concurrency + 1)

    def run_worker(index: int) -> None:
        rng = random.Random(1000 * concurrency + index)
        with _client(service.base_url, token) as client:
            for _ in range(2):
                client.post("/api/v1/tickets", json=_creation_payload(rng, requesters, categories))
            barrier.wait(timeout=120)
            for _ in range(per_worker[index]):
                payload = _creation_payload(rng, requesters, categories)
                started = time.perf_counter()
                try:
                    response = client.post("/api/v1/tickets", json=payload)
                except httpx.HTTPError as exc:
                    failures[index][type(exc).__name__] += 1
                    continue
                timings[index].append(time.perf_counter() - started)
                if response.status_code == 201:
                    numbers[index].append(response.json()["number"])
                else:
                    failures[index][str(response.status_code)] += 1
                    if len(samples) < 5:
                        samples.append(response.text[:300])
            barrier.wait(timeout=900)

    def work(index: int) -> None:
        try:
            run_worker(index)
        except BaseException:
            barrier.abort()  # release the others instead of letting them wait for the timeout
            raise

    threads = [threading.Thread(target=work, args=(index,), daemon=True) for index in range(concurrency)]
    for thread in threads:
        thread.start()
    try:
        barrier.wait(timeout=300)
        started = time.perf_counter()
        cpu_before, service_before = machine_cpu(), process_cpu_seconds(service.pids())
        barrier.wait(timeout=900)
    except threading.BrokenBarrierError as exc:
        raise BenchError("a creating client failed; see the traceback above") from exc
    elapsed = time.perf_counter() - started
    cpu_after, service_after = machine_cpu(), process_cpu_seconds(service.pids())
    total_ticks, idle_ticks = cpu_after[0] - cpu_before[0], cpu_after[1] - cpu_before[1]
    for thread in threads:
        thread.join(timeout=30)
    errors: Counter[str] = Counter()
    for counter in failures:
        errors.update(counter)
    created = [number for worker in numbers for number in worker]
    if len(set(created)) != len(created):
        errors["duplicate numbers"] += len(created) - len(set(created))
    return {
        "requests": total,
        "concurrency": concurrency,
        "created": len(created),
        "seconds": round(elapsed, 2),
        "per_second": round(len(created) / elapsed, 1) if elapsed else 0.0,
        # How busy the whole machine was (all processes, ours or not) and what the web and job
        # processes spent per ticket; the database server's own CPU is in the former only.
        "machine_cpu_busy": round(1 - idle_ticks / total_ticks, 2) if total_ticks else None,
        "service_cpu_ms_per_ticket": round((service_after - service_before) * 1000 / max(len(created), 1), 1),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "error_samples": samples,
    } | summary_ms([value for worker in timings for value in worker])


# --- one database --------------------------------------------------------------------------


@contextmanager
def database_for(database: str, args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    """Yield facts about a fresh database of kind `database` (the SQLite one lives in the data dir)."""
    if database == "postgres":
        with postgres_database(args.postgres_url, keep=args.keep) as facts:
            yield facts
    else:
        yield {"sqlite_version": sqlite3.sqlite_version}


def run_database(database: str, mode: Mode, args: argparse.Namespace) -> dict[str, Any]:
    print(f"\n[{database}] {mode.name} mode: {mode.tickets:,} tickets", flush=True)
    password = "bench-" + os.urandom(12).hex()
    result: dict[str, Any] = {"database": database, "load_average_before": load_average()}
    with tempfile.TemporaryDirectory(prefix="sopdesk-bench-") as temp, database_for(database, args) as facts:
        data_dir = Path(temp) / "data"
        data_dir.mkdir()
        port = free_port()
        settings = {
            "PORT": str(port),
            "SOPDESK_BIND": HOST,
            # Unset: `sopdesk serve` chooses, as in a deployment.
            **({"SOPDESK_WEB_WORKERS": str(args.web_workers)} if args.web_workers else {}),
            **({"SOPDESK_WEB_THREADS": str(args.web_threads)} if args.web_threads else {}),
            **dict(setting.split("=", 1) for setting in args.setting),
        }
        env = child_env(data_dir, args.postgres_url if database == "postgres" else None, settings)
        python = sys.executable
        run_step("migrate", [python, "-m", "sopdesk.cli", "migrate", "--no-input", "-v0"], env, timeout=600)
        fill_command = [python, str(ROOT / "bench" / "fill.py"), "--tickets", str(mode.tickets)]
        if database == "postgres":
            # PostgreSQL's autovacuum vacuums and analyses a table after a load this size by
            # itself; doing it here makes the plans the same on every run, not timing-dependent.
            fill_command.append("--analyze")
        fill_env = env | {"SOPDESK_BENCH_PASSWORD": password}
        filled = json.loads(run_step(f"fill {mode.tickets:,} tickets", fill_command, fill_env, 1800))
        result["fill"] = {key: filled[key] for key in ("fill_seconds", "analyze_seconds", "distribution")}
        result["fill"]["statistics"] = "vacuum analyze" if database == "postgres" else "none"
        if database == "sqlite" and not args.no_statistics:
            # The service refreshes SQLite's planner statistics itself (an hourly job); do once
            # what that job would have done by the time a database holds this many tickets.
            statistics_command = [python, "-m", "sopdesk.cli", "refresh_statistics"]
            run_step("refresh planner statistics", statistics_command, env, timeout=600)
            result["fill"]["statistics"] = "refresh_statistics"
        if mode.plans or args.plans:
            explain_command = [python, str(ROOT / "bench" / "explain.py"), "--tickets", str(mode.tickets)]
            explain_command += ["--user", f"agent={filled['agent']}", "--user", f"manager={filled['manager']}"]
            result["plans"] = json.loads(run_step("query plans", explain_command, env, 900))["plans"]
        if database == "sqlite":
            facts["size_bytes"] = (data_dir / "sopdesk.sqlite3").stat().st_size
        else:
            facts["size_bytes"] = postgres_size(args.postgres_url)
        result["database_facts"] = facts
        service = Service(env, Path(temp) / "service.log", port)
        try:
            print(f"  starting the service on {service.base_url} …", flush=True)
            service.start()
            personas = {
                "agent": login(service.base_url, filled["agent"], password),
                "manager": login(service.base_url, filled["manager"], password),
            }
            expected = {"agent": filled["distribution"]["team"][filled["agent_team"]], "manager": mode.tickets}
            print("  list latency (sequential requests, limit 50):", flush=True)
            result["lists"] = measure_lists(service.base_url, personas, mode, expected)
            creations = [("create_single", mode.single_creates, 1), ("create", mode.creates, CONCURRENCY)]
            for key, total, concurrency in [] if args.lists_only else creations:
                print(f"  creating {total:,} tickets with {concurrency} concurrent client(s) …", flush=True)
                result[key] = create = measure_creation(
                    service,
                    personas["agent"],
                    total=total,
                    concurrency=concurrency,
                    requesters=filled["requesters"],
                    categories=filled["categories"],
                )
                print(
                    f"    {create['per_second']} tickets/s, p50 {create['p50_ms']} ms, p95 {create['p95_ms']} ms,"
                    f" errors {create['errors']}; machine CPU {create['machine_cpu_busy']:.0%} busy,"
                    f" service {create['service_cpu_ms_per_ticket']} CPU ms per ticket",
                    flush=True,
                )
        except Exception:
            print(service.log_tail(), file=sys.stderr)
            raise
        finally:
            service.stop()
        if args.keep:
            kept = Path(tempfile.mkdtemp(prefix="sopdesk-bench-kept-"))
            for item in data_dir.iterdir():
                if item.is_file():
                    item.rename(kept / item.name)
            print(f"  kept the data directory in {kept}")
    result["load_average_after"] = load_average()
    return result


# --- report --------------------------------------------------------------------------------


def print_report(report: dict[str, Any]) -> None:
    runs = report["runs"]
    print(
        f"\nsopdesk API bench, {report['mode']} mode: {report['tickets']:,} tickets in the database,"
        f" {report['web_workers']} web workers × {report['web_threads']} threads, {report['cpus']} CPUs"
    )
    header = f"{'database':10} {'created/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"
    print(f"\n{header} {'1 client/s':>11} {'p50 ms':>8}")
    for run in runs:
        if "create" not in run:
            continue
        create, single = run["create"], run["create_single"]
        print(
            f"{run['database']:10} {create['per_second']:10.1f} {create['p50_ms']:8.1f} {create['p95_ms']:8.1f}"
            f" {create['p99_ms']:8.1f} {create['errors']:7d} {single['per_second']:11.1f} {single['p50_ms']:8.1f}"
        )
    print(f"\n{'list, limit 50 (ms)':42}" + "".join(f"{run['database'] + ' p50 / p95 / p99':>27}" for run in runs))
    for position, row in enumerate(runs[0]["lists"]):
        cells = []
        for run in runs:
            other = run["lists"][position]
            cells.append(f"{other['p50_ms']:>8.1f} {other['p95_ms']:>8.1f} {other['p99_ms']:>8.1f}")
        print(f"{row['persona'] + ': ' + row['query']:42}" + "".join(f"{cell:>27}" for cell in cells))


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def _stop_on_signal(number: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {number}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark ticket creation and ticket lists through the API.")
    parser.add_argument("--quick", action="store_true", help="10,000 tickets and fewer requests")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="database to create and drop")
    parser.add_argument(
        "--web-workers", type=int, default=None, help="gunicorn workers (default: the service's, 2 per CPU)"
    )
    parser.add_argument("--web-threads", type=int, default=None, help="threads per worker (default: the service's, 1)")
    parser.add_argument(
        "--no-statistics",
        action="store_true",
        help="leave SQLite without planner statistics (skip the service's refresh_statistics)",
    )
    parser.add_argument("--plans", action="store_true", help="collect query plans in quick mode too")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and database afterwards")
    parser.add_argument("--tickets", type=int, help="tickets to fill instead of the mode's (e.g. 1000000)")
    parser.add_argument("--lists-only", action="store_true", help="measure the lists only, create nothing")
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="SOPDESK_NAME=VALUE",
        help="a service setting to measure instead of its default (repeatable)",
    )
    args = parser.parse_args(argv)
    for setting in args.setting:
        if not setting.startswith("SOPDESK_") or "=" not in setting:
            parser.error(f"--setting takes SOPDESK_NAME=VALUE, not {setting!r}")
    # Turn a polite stop into an exception, so the service is stopped and the database dropped.
    signal.signal(signal.SIGTERM, _stop_on_signal)
    mode = QUICK if args.quick else FULL
    if args.tickets:
        mode = replace(mode, tickets=args.tickets)
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    try:
        if "postgres" in databases:
            postgres_target(args.postgres_url)
    except BenchError as exc:
        parser.error(str(exc))
    started = time.perf_counter()
    on_sqlite, on_server = default_web_workers(on_sqlite=True), default_web_workers(on_sqlite=False)
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": mode.name,
        "tickets": mode.tickets,
        "creates": mode.creates,
        "concurrency": CONCURRENCY,
        "web_workers": args.web_workers or f"service default ({on_sqlite} on SQLite, {on_server} on PostgreSQL)",
        "web_threads": args.web_threads or f"service default ({DEFAULT_WEB_THREADS})",
        "settings": args.setting,
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in ("django", "django-ninja", "gunicorn", "psycopg", "httpx")},
        "runs": [],
    }
    try:
        for database in databases:
            report["runs"].append(run_database(database, mode, args))
    except BenchError as exc:
        print(f"\nbench failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench interrupted; the service was stopped and its database removed", file=sys.stderr)
        return 130
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    print_report(report)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    output = RESULTS_DIR / f"api-{mode.name}-{args.database}-{stamp}.json"
    output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults: {output.relative_to(ROOT)} (total {report['total_seconds']} s)")
    failed = [
        run["database"]
        for run in report["runs"]
        if "create" in run and (run["create"]["errors"] or run["create_single"]["errors"])
    ]
    if failed:
        print(f"creation errors on: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
