"""End to end: `sopdesk serve` runs the real web server and the real job worker together."""

from __future__ import annotations

import email
import email.policy
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
SOPDESK = [sys.executable, "-m", "sopdesk.cli"]

SETUP_USERS = """
from sopdesk.accounts.choices import Role
from sopdesk.testing import factories
desk = factories.make_team("service-desk", is_intake=True)
factories.make_user("agent", role=Role.AGENT, teams=[desk])
factories.make_user("alice", organization=factories.make_organization("Org A"))
"""


def _service_env() -> dict[str, str]:
    """This process's environment without the test settings: the service's commands use their own.

    The mail backend is left at its default: files in the data directory until SMTP is configured.
    """
    unset = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SOPDESK_EMAIL_BACKEND"}
    return {key: value for key, value in os.environ.items() if key not in unset}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def production_database() -> Iterator[dict[str, str]]:
    """On a PostgreSQL run, give the service a fresh database of its own and the PostgreSQL job queue.

    That is the production configuration; on SQLite runs the embedded defaults are used.
    """
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield {}
        return
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    name = f"sopdesk_e2e_{os.getpid()}"
    admin_dsn = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_dsn, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}" OWNER "{config["USER"]}"')
    try:
        yield {"DATABASE_URL": url.rsplit("/", 1)[0] + f"/{name}", "SOPDESK_QUEUE": "postgres"}
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory, production_database: dict[str, str]
) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path_factory.mktemp("service-data")
    port = _free_port()
    env = _service_env()
    env.update(production_database)
    env.update(
        SOPDESK_DATA_DIR=str(data_dir),
        PORT=str(port),
        SOPDESK_LANGUAGE="en",
        SOPDESK_WEB_WORKERS="1",
    )
    subprocess.run([*SOPDESK, "migrate", "-v0"], env=env, check=True, cwd=REPO)  # noqa: S603
    subprocess.run([*SOPDESK, "shell", "-c", SETUP_USERS], env=env, check=True, cwd=REPO)  # noqa: S603
    log = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen(  # noqa: S603  (our own command line)
        [*SOPDESK, "serve"], env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/login/", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("sopdesk serve did not answer within 90 s")
        yield base, data_dir
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=20)
        log.close()


def _token(base: str, username: str) -> str:
    response = httpx.post(
        f"{base}/api/v1/auth/token", json={"username": username, "password": "correct-horse-battery"}, timeout=10
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def _text(message: email.message.EmailMessage) -> str:
    body = message.get_body()
    assert body is not None
    return str(body.get_content())


def test_served_api_creates_a_ticket_and_the_worker_mails_the_requester(service: tuple[str, Path]) -> None:
    base, data_dir = service
    alice = {"Authorization": f"Bearer {_token(base, 'alice')}"}
    agent = {"Authorization": f"Bearer {_token(base, 'agent')}"}
    created = httpx.post(f"{base}/api/v1/tickets", json={"title": "打印机卡纸"}, headers=alice, timeout=10)
    assert created.status_code == 201, created.text
    number = created.json()["number"]

    reply = httpx.post(
        f"{base}/api/v1/tickets/{number}/comments",
        json={"body": "We are sending a technician."},
        headers=agent,
        timeout=10,
    )
    assert reply.status_code == 201, reply.text

    # The acknowledgement and the reply are mailed by the separate worker process, after the web
    # requests committed. The file backend ends each message with a line of dashes.
    mail_dir = data_dir / "sent-mail"
    deadline = time.monotonic() + 30
    messages: list[email.message.EmailMessage] = []
    while time.monotonic() < deadline and len(messages) < 2:
        found = [p.read_text(encoding="utf-8") for p in mail_dir.glob("*.log")] if mail_dir.exists() else []
        parts = [part for text in found for part in text.split("-" * 79)[:-1] if part.strip()]
        messages = [email.message_from_string(part.lstrip("\n"), policy=email.policy.default) for part in parts]
        time.sleep(0.3)
    log = (data_dir / "serve.log").read_text("utf-8")[-3000:]
    assert len(messages) == 2, "the worker did not send both mails:\n" + log
    assert f"outgoing mail is written to files in {mail_dir}, not sent" in (data_dir / "serve.log").read_text("utf-8")
    bodies = {_text(message): message for message in messages}
    reply_mail = next(message for body, message in bodies.items() if "We are sending a technician." in body)
    acknowledgement = next(message for body, message in bodies.items() if f"/portal/requests/{number}/" in body)
    for message in (reply_mail, acknowledgement):
        assert message["To"] == "alice@example.com"
        assert number in str(message["Subject"])
        assert "打印机卡纸" in str(message["Subject"])


def test_served_pages_are_translated_and_static_files_are_served(service: tuple[str, Path]) -> None:
    base, _ = service
    page = httpx.get(f"{base}/login/", headers={"Accept-Language": "zh-hans"}, timeout=10)
    assert "登录" in page.text
    css = httpx.get(f"{base}/static/web/base.css", timeout=10)
    assert css.status_code == 200
    assert ".timeline-entry" in css.text
    # The allow-listed front-end files from the npm lock file are served too.
    for path in ("vendor/tabler/tabler.min.css", "vendor/tabler/tabler.min.js", "django_htmx/htmx-2.min.js"):
        assert httpx.get(f"{base}/static/{path}", timeout=10).status_code == 200, path


def test_the_service_keeps_its_state_where_it_was_configured(
    service: tuple[str, Path], production_database: dict[str, str]
) -> None:
    _, data_dir = service
    embedded = not production_database
    # Embedded: database and job queue are files in the data directory; production: in PostgreSQL.
    assert (data_dir / "sopdesk.sqlite3").exists() == embedded
    assert (data_dir / "jobs.sqlite3").exists() == embedded


MAKE_CLOCK_DUE = """
from datetime import timedelta
from django.utils import timezone
from sopdesk.sla.models import TicketSla
past = timezone.now() - timedelta(minutes=1)
TicketSla.objects.filter(ticket__number="{number}").update(first_response_due_at=past, next_check_at=past)
"""


def test_the_worker_runs_the_sla_scanner_every_minute(
    service: tuple[str, Path], production_database: dict[str, str]
) -> None:
    base, data_dir = service
    alice = {"Authorization": f"Bearer {_token(base, 'alice')}"}
    agent = {"Authorization": f"Bearer {_token(base, 'agent')}"}
    created = httpx.post(f"{base}/api/v1/tickets", json={"title": "VPN down"}, headers=alice, timeout=10)
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    assert created.json()["sla"]["state"] == "ok"
    # Pretend the first response ran out a minute ago; the next sweep of the real worker must see it.
    env = _service_env()
    env.update(production_database, SOPDESK_DATA_DIR=str(data_dir))
    script = MAKE_CLOCK_DUE.replace("{number}", number)
    subprocess.run([*SOPDESK, "shell", "-c", script], env=env, check=True, cwd=REPO)  # noqa: S603
    deadline = time.monotonic() + 90  # the periodic task runs at the start of every minute
    kinds: list[str] = []
    while time.monotonic() < deadline and "sla_breached" not in kinds:
        events = httpx.get(f"{base}/api/v1/tickets/{number}/events", headers=agent, timeout=10).json()["items"]
        kinds = [event["kind"] for event in events]
        time.sleep(1)
    assert "sla_breached" in kinds, (data_dir / "serve.log").read_text("utf-8")[-3000:]
    ticket = httpx.get(f"{base}/api/v1/tickets/{number}", headers=agent, timeout=10).json()
    assert ticket["sla"]["state"] == "breached"
