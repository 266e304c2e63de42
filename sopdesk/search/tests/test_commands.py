"""`manage.py reindex_search`: progress, and the same index as the one kept after each change."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from sopdesk.accounts.models import User
from sopdesk.search.backends import backend
from sopdesk.search.indexing import index_pending
from sopdesk.search.models import PendingTicket
from sopdesk.testing import factories


def test_reindex_prints_progress_and_rebuilds_the_same_index(requester: User) -> None:
    for number in range(5):
        factories.make_ticket(requester, title=f"打印机 {number} 卡纸", description="纸盒 printer")
    index_pending()
    kept = backend().dump()
    backend().clear()
    factories.make_ticket(requester, title="邮箱无法登录")  # noted, not yet indexed: drained at the end

    out = StringIO()
    call_command("reindex_search", "--batch-size", "2", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[:3] == ["2/6 tickets indexed", "4/6 tickets indexed", "6/6 tickets indexed"]
    assert "Done: 6 tickets indexed" in lines[-1]
    rebuilt = backend().dump()
    assert len(rebuilt) == 6
    assert {pk: rebuilt[pk] for pk in kept} == kept
    assert not PendingTicket.objects.exists()
