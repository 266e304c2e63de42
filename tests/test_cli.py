"""The `sopdesk` command as operators use it: a fresh data directory, readable errors."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sopdesk import cli
from sopdesk.cli import web_command
from sopdesk.lib.env import EnvError

REPO = Path(__file__).resolve().parent.parent


def run_sopdesk(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    environment.update(SOPDESK_DATA_DIR=str(data_dir), SOPDESK_LANGUAGE="en", **env)
    return subprocess.run(  # noqa: S603  (our own command line)
        [sys.executable, "-m", "sopdesk.cli", *args],
        env=environment,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_help_lists_the_operator_commands(tmp_path: Path) -> None:
    result = run_sopdesk("--help", data_dir=tmp_path)
    assert result.returncode == 0
    for command in ("serve", "worker", "demo"):
        assert command in result.stdout


@pytest.mark.slow
def test_demo_without_serving_sets_up_everything_inside_the_data_directory(tmp_path: Path) -> None:
    result = run_sopdesk("demo", "--no-serve", "--tickets", "12", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "sopdesk-demo" in result.stdout
    for login in ("admin", "agent", "engineer", "lead", "manager", "alice", "bob"):
        assert login in result.stdout
    with sqlite3.connect(tmp_path / "sopdesk.sqlite3") as connection:
        # The story tickets; the demo's phone calls and alerts open a few more.
        (ticket_count,) = connection.execute(
            "SELECT count(*) FROM tickets_ticket WHERE id NOT IN (SELECT ticket_id FROM alerts_alert)"
            " AND id NOT IN (SELECT ticket_id FROM calls_phonecall WHERE created_ticket)"
        ).fetchone()
    assert ticket_count == 12
    assert (tmp_path / "secret_key").exists()


def test_loading_demo_accounts_outside_demo_mode_is_refused_with_a_readable_message(tmp_path: Path) -> None:
    assert run_sopdesk("migrate", "-v0", data_dir=tmp_path).returncode == 0
    result = run_sopdesk("loaddemo", data_dir=tmp_path, SOPDESK_DEMO_MODE="false")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "demo" in result.stderr.lower()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SOPDESK_WORKERS", "two", "SOPDESK_WORKERS must be an integer"),
        ("SOPDESK_DEBUG", "maybe", "SOPDESK_DEBUG must be a boolean"),
        ("SOPDESK_QUEUE", "rabbit", "SOPDESK_QUEUE must be sqlite, redis or postgres"),
    ],
)
def test_a_malformed_setting_stops_the_command_with_its_name(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    result = run_sopdesk("check", data_dir=tmp_path, **{variable: value})
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_runs_a_process_per_request_in_flight_and_no_access_log_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("SOPDESK_WEB_WORKERS", "SOPDESK_WEB_THREADS", "SOPDESK_ACCESS_LOG"):
        monkeypatch.delenv(name, raising=False)
    cpus = len(os.sched_getaffinity(0))
    monkeypatch.setattr(cli, "_on_sqlite", lambda: True)
    command = web_command("python", "127.0.0.1:8000").split()
    assert command[command.index("--workers") + 1] == str(cpus)  # one per CPU: SQLite's writers take turns
    assert command[command.index("--threads") + 1] == "1"
    assert "--access-logfile" not in command

    monkeypatch.setattr(cli, "_on_sqlite", lambda: False)
    command = web_command("python", "127.0.0.1:8000").split()
    assert command[command.index("--workers") + 1] == str(2 * cpus)  # a process waiting for the server lends its CPU


def test_serve_takes_workers_threads_and_the_access_log_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOPDESK_WEB_WORKERS", "3")
    monkeypatch.setenv("SOPDESK_WEB_THREADS", "2")
    monkeypatch.setenv("SOPDESK_ACCESS_LOG", "/var/log/sopdesk access.log")
    command = web_command("python", "127.0.0.1:8000")
    assert " --workers 3 --threads 2 " in command
    assert command.endswith(" --access-logfile '/var/log/sopdesk access.log'")
    monkeypatch.setenv("SOPDESK_WEB_THREADS", "0")
    with pytest.raises(EnvError, match="SOPDESK_WEB_THREADS must be at least 1"):
        web_command("python", "127.0.0.1:8000")


@pytest.mark.django_db
def test_serve_knows_which_database_it_runs_on() -> None:
    from django.db import connection

    assert cli._on_sqlite() is (connection.vendor == "sqlite")
