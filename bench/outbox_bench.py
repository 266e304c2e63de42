"""Benchmark the outbox delivery worker: deliveries per second to a webhook receiver and to an SMTP sink.

    python bench/outbox_bench.py [--quick] [--messages N] [--postgres-url URL]

Migrates a fresh database (SQLite in a temporary data directory, or the PostgreSQL database named by
--postgres-url, which is created and dropped; its name must contain `bench`), starts on 127.0.0.1 a
webhook receiver that checks each delivery's HMAC signature and a minimal SMTP sink, queues N pending
messages per channel, and times `deliver_new` (the after-commit job: claim a batch, send, record) until
all are sent. Each webhook delivery goes through the SSRF guard (address check, one lookup) and is
signed; each e-mail goes through Django's SMTP backend, one session per batch.
Prints a table and a JSON line and writes bench/results/outbox-<mode>-<database>-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socketserver
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept mail: every command answered, every message counted and dropped."""

    def handle(self) -> None:
        self.wfile.write(b"220 sink ESMTP\r\n")
        in_data = False
        while True:
            line = self.rfile.readline()
            if not line:
                return
            if in_data:
                if line in (b".\r\n", b".\n"):
                    in_data = False
                    self.server.received += 1  # type: ignore[attr-defined]
                    self.wfile.write(b"250 queued\r\n")
                continue
            command = line[:4].upper()
            if command in (b"EHLO", b"HELO"):
                self.wfile.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif command == b"DATA":
                in_data = True
                self.wfile.write(b"354 go on\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


class SmtpSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.received = 0


def _guard_postgres(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("--postgres-url must name a loopback database whose name contains 'bench'")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="500 messages per channel (default 5,000)")
    parser.add_argument("--messages", type=int, help="messages per channel")
    parser.add_argument("--postgres-url", help="measure on this PostgreSQL database (created and dropped)")
    args = parser.parse_args()
    count = args.messages or (500 if args.quick else 5000)
    data_dir = tempfile.mkdtemp(prefix="sopdesk-outbox-bench-")
    sink = SmtpSink()
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "sopdesk.settings",
            "SOPDESK_DATA_DIR": data_dir,
            "SOPDESK_OUTBOUND_ALLOW": "127.0.0.1",
            "SOPDESK_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "SOPDESK_EMAIL_HOST": "127.0.0.1",
            "SOPDESK_EMAIL_PORT": str(sink.server_address[1]),
            "SOPDESK_LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    if args.postgres_url:
        _guard_postgres(args.postgres_url)
        import psycopg

        parts = urlsplit(args.postgres_url)
        name = parts.path.lstrip("/")
        admin_url = args.postgres_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = args.postgres_url
    try:
        return _measure(count, sink, database="postgres" if args.postgres_url else "sqlite", quick=args.quick)
    finally:
        sink.shutdown()
        if args.postgres_url:
            import psycopg

            name = urlsplit(args.postgres_url).path.lstrip("/")
            with psycopg.connect(args.postgres_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _measure(count: int, sink: SmtpSink, *, database: str, quick: bool) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from sopdesk.accounts.choices import Role
    from sopdesk.integrations.actions import create_webhook
    from sopdesk.notifications.choices import DeliveryChannel, DeliveryStatus
    from sopdesk.notifications.delivery import deliver_new
    from sopdesk.notifications.models import OutboxMessage
    from sopdesk.testing import factories
    from sopdesk.testing.http_receiver import Receiver

    call_command("migrate", verbosity=0)
    now = datetime.now(UTC)
    admin = factories.make_user("bench-admin", role=Role.ADMIN)
    body = json.dumps(
        {
            "version": 1,
            "event": "ticket_created",
            "occurred_at": now.isoformat(),
            "ticket": {"number": "TS-2026-000001", "title": "VPN 每小时断线一次", "priority": "P2"},
            "data": {},
        },
        ensure_ascii=False,
    )
    results: dict[str, Any] = {}
    with Receiver("webhook", secret="bench-secret") as receiver:  # noqa: S106  (a bench receiver's key)
        hook = create_webhook(
            actor=admin,
            values={"name": "bench", "url": receiver.url, "secret": "bench-secret", "events": ["ticket_created"]},
            now=now,
        )
        for channel, address in (
            (DeliveryChannel.WEBHOOK, hook.address),
            (DeliveryChannel.EMAIL, "someone@example.com"),
        ):
            OutboxMessage.objects.bulk_create(
                [
                    OutboxMessage(
                        channel=channel,
                        address=address,
                        subject=f"Bench {index}",
                        body=body,
                        dedupe_key=f"bench:{channel}:{index}",
                        status=DeliveryStatus.PENDING,
                        next_attempt_at=now,
                        created_at=now,
                    )
                    for index in range(count)
                ],
                batch_size=500,
            )
            started = time.perf_counter()
            report = deliver_new(now=datetime.now(UTC))
            elapsed = time.perf_counter() - started
            sent = OutboxMessage.objects.filter(channel=channel, status=DeliveryStatus.SENT).count()
            results[str(channel)] = {
                "messages": count,
                "sent": sent,
                "seconds": round(elapsed, 3),
                "per_second": round(sent / elapsed, 1) if elapsed else None,
                "report": {"sent": report.sent_count, "retrying": report.retrying_count, "failed": report.failed_count},
            }
        results["webhook"]["receiver_signatures_ok"] = sum(1 for r in receiver.requests if r.signature_ok)
    results["email"]["smtp_sink_received"] = sink.received
    connections.close_all()
    facts = {
        "mode": "quick" if quick else "full",
        "database": database,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "at": now.isoformat(),
    }
    print(f"{'channel':<10} {'messages':>9} {'seconds':>9} {'per second':>11}")
    for channel in ("webhook", "email"):
        row = results[channel]
        print(f"{channel:<10} {row['sent']:>9} {row['seconds']:>9} {row['per_second']:>11}")
    line = json.dumps({**facts, "results": results})
    print(line)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%S")
    (RESULTS_DIR / f"outbox-{facts['mode']}-{database}-{stamp}.json").write_text(line + "\n", encoding="utf-8")
    ok = all(results[c]["sent"] == count for c in ("webhook", "email"))
    ok = ok and results["webhook"]["receiver_signatures_ok"] == count and sink.received == count
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
