"""`manage.py reindex_search`: progress, and the same index as the one kept after each change."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from sopdesk.accounts.models import User
from sopdesk.kb import actions
from sopdesk.search.backends import backend
from sopdesk.search.indexing import index_pending
from sopdesk.search.models import PendingArticle, PendingTicket
from sopdesk.search.tests.conftest import NOW, Committed, publish, write
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
    assert "Done: 6 tickets indexed" in lines[3]
    assert lines[4:] == ["Done: 0 articles indexed."]
    rebuilt = backend().dump()
    assert len(rebuilt) == 6
    assert {pk: rebuilt[pk] for pk in kept} == kept
    assert not PendingTicket.objects.exists()


def test_reindex_rebuilds_the_article_index_too(agent: User, kb_admin: User, committed: Committed) -> None:
    with committed():
        for number in range(3):
            publish(write(agent, None, title=f"打印机 {number}", solution="重启"), author=agent, approver=kb_admin)
        draft = write(agent, None, title="草稿", solution="未发布")
    kept = backend().dump_articles()
    assert len(kept) == 3
    backend().clear_articles()
    PendingArticle.objects.create(article_id=draft.pk, noted_at=NOW)
    actions.update_article(draft, actor=agent, changes={"notes": "x"}, now=NOW)  # no commit hook here: noted above

    out = StringIO()
    call_command("reindex_search", "--batch-size", "2", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[-3:] == ["2/4 articles indexed", "4/4 articles indexed", "Done: 4 articles indexed."]
    assert backend().dump_articles() == kept
    assert not PendingArticle.objects.exists()
