"""Ranking of similar past tickets (pure) and the fragment on the ticket page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from sopdesk.accounts.models import User
from sopdesk.testing import factories
from sopdesk.tickets import actions
from sopdesk.tickets.choices import Status
from sopdesk.workspace.similar import rank, words_of


def test_words_are_latin_words_and_chinese_pairs() -> None:
    assert words_of("VPN drops every hour") == {"vpn", "drops", "every", "hour"}
    assert words_of("打印机卡纸") == {"打印", "印机", "机卡", "卡纸"}
    assert words_of("网络") == {"网络"}
    assert words_of("Outlook 无法同步") == {"outlook", "同步"}  # 无法 says nothing


def test_rank_orders_by_shared_pieces_and_drops_unrelated() -> None:
    candidates = [
        ("T-3", "Scanner jams", "closed"),
        ("T-2", "打印机卡纸，三楼", "resolved"),
        ("T-1", "三楼打印机", "closed"),
    ]

    found = rank("三楼打印机卡纸", candidates)

    assert [item.number for item in found] == ["T-2", "T-1"]
    assert found[0].score > found[1].score
    assert rank("", candidates) == []


@pytest.mark.django_db
def test_the_fragment_shows_resolved_lookalikes_the_viewer_may_see(requester: User, agent: User) -> None:
    now = timezone.now()
    past = factories.make_ticket(requester, title="VPN drops every hour")
    actions.assign_ticket(past, team=None, assignee=agent, actor=agent, now=now)
    actions.change_status(past, to_status=Status.IN_PROGRESS, actor=agent, now=now)
    summary = actions.ClosureSummary(problem="p", diagnosis="d", solution="s")
    actions.change_status(past, to_status=Status.RESOLVED, actor=agent, now=now, closure=summary)
    unrelated = factories.make_ticket(requester, title="Printer jams")
    current = factories.make_ticket(requester, title="VPN drops again")
    client = Client()
    client.force_login(agent)

    html = client.get(f"/desk/tickets/{current.number}/similar/").content.decode()

    assert past.number in html
    assert unrelated.number not in html
    assert current.number not in html
