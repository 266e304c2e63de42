"""Print the database's plan for each list query the bench measures, built as the API builds it.

Run by api_bench.py in a child process whose environment selects the database; prints one
JSON document. On PostgreSQL the plans come from EXPLAIN ANALYZE (the queries really run); on
SQLite from EXPLAIN QUERY PLAN, with the query timed separately.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any


def _plan(sql: str) -> list[str]:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        return [f"{row[0]} {row[1]} {row[3]}" for row in rows]
    return [row[0] for row in rows]


def _run(label: str, action: Any) -> dict[str, Any]:
    """Run `action` once, timing it; explain its first SQL statement (the ticket query itself)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        action()
        elapsed_ms = (time.perf_counter() - started) * 1000
    statements = [query["sql"] for query in captured.captured_queries]
    return {
        "part": label,
        "elapsed_ms": round(elapsed_ms, 1),
        "statements": len(statements),
        "sql": statements[0],
        "plan": _plan(statements[0]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, required=True, help="tickets in the database (sets the deep offset)")
    parser.add_argument("--user", action="append", required=True, help="persona=username, repeatable")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sopdesk.settings")
    import django

    django.setup()
    from api_bench import list_queries
    from django.http import QueryDict

    from sopdesk.accounts.models import User
    from sopdesk.core.pagination import bounded_count
    from sopdesk.tickets.filters import TicketFilterSet
    from sopdesk.tickets.models import Ticket
    from sopdesk.tickets.queries import TICKET_KEYSETS, ticket_list_rows

    results = []
    for persona_user in args.user:
        persona, _, username = persona_user.partition("=")
        user = User.objects.get(username=username)
        for label, params in list_queries(args.tickets):
            offset = int(params.get("offset", 0))
            cursor_after_row = int(params.get("cursor_after_row", 0))
            data = QueryDict(mutable=True)
            for key, value in params.items():
                if key not in {"offset", "cursor_after_row"}:
                    data.setlist(key, value if isinstance(value, list) else [str(value)])
            data.setdefault("ordering", "-created_at")
            # The same steps as the list endpoint (keep them in step with tickets.queries.
            # ticket_list_page): visibility, the shared filter set, the keyset order and the
            # list shape for the page (51 rows: one tells whether more follow), the bounded count.
            filterset = TicketFilterSet(data=data, queryset=Ticket.objects.visible_to(user))
            if not filterset.is_valid():
                raise SystemExit(f"{label}: {filterset.errors}")
            tickets = filterset.qs
            keyset = TICKET_KEYSETS[data["ordering"]]
            rows = keyset.resume(ticket_list_rows(tickets), None)
            if cursor_after_row:
                rows = keyset.resume(rows, keyset.encode(rows[cursor_after_row - 1]))
            page = _run("page", lambda rows=rows, offset=offset: list(rows[offset : offset + 51]))
            count = _run("count", lambda tickets=tickets: bounded_count(tickets).value)
            results.append({"persona": persona, "query": label, "parts": [page, count]})
    json.dump({"plans": results}, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
