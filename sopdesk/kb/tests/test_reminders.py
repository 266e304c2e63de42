"""Review-due reminders: once per article, due date and owner, in the owner's language, by the hourly job."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sopdesk.accounts.models import User
from sopdesk.kb import actions
from sopdesk.kb.models import Article
from sopdesk.kb.reminders import remind_review_due
from sopdesk.kb.tasks import remind_review_due_articles
from sopdesk.kb.tests.conftest import NOW, publish
from sopdesk.notifications.models import Notification, OutboxMessage

pytestmark = pytest.mark.django_db

DUE = date(2026, 6, 1)
# 2026-06-01 00:30 in Shanghai is still May 31st in UTC: the desk's date decides.
JUST_AFTER_MIDNIGHT = datetime(2026, 5, 31, 16, 30, tzinfo=UTC)
THE_DAY_BEFORE = datetime(2026, 5, 31, 15, 30, tzinfo=UTC)


def _published(author: User, approver: User, title: str, due: date | None = DUE) -> Article:
    article = actions.create_article(
        actor=author,
        values={"title": title, "solution": "Do this.", "visibility": "public", "review_due_on": due},
        now=NOW,
    )
    publish(article, author=author, approver=approver)
    return article


def test_each_owner_is_told_once_per_due_date(agent: User, kb_admin: User, engineer: User) -> None:
    agent.language = "zh-hans"
    agent.save(update_fields=["language"])
    due = _published(agent, kb_admin, "VPN 断开")
    _published(agent, kb_admin, "Not yet", due=date(2026, 7, 1))
    _published(agent, kb_admin, "No date", due=None)
    draft = actions.create_article(
        actor=engineer, values={"title": "Draft", "review_due_on": DUE, "solution": "x"}, now=NOW
    )
    assert remind_review_due(now=THE_DAY_BEFORE) == 0
    assert remind_review_due(now=JUST_AFTER_MIDNIGHT) == 1
    assert remind_review_due(now=JUST_AFTER_MIDNIGHT) == 0  # the next hourly run tells nobody twice
    (notice,) = Notification.objects.filter(recipient=agent)
    assert notice.kind == "kb_review_due"
    assert "VPN 断开" in notice.subject
    assert "复审" in notice.subject
    assert f"/desk/kb/{due.pk}/" in notice.body
    assert "2026-06-01" in notice.body
    assert OutboxMessage.objects.filter(recipient=agent).count() == 1
    assert not Notification.objects.filter(recipient=engineer).exists()
    assert draft.pk

    # The owner checks it and sets a new date; when that one comes, a new reminder.
    actions.update_article(due, actor=agent, changes={"review_due_on": date(2026, 9, 1)}, now=NOW)
    publish(due, author=agent, approver=kb_admin)
    assert remind_review_due(now=datetime(2026, 9, 1, 1, 0, tzinfo=UTC)) == 2  # "Not yet" is due by then too
    assert Notification.objects.filter(recipient=agent).count() == 3


def test_withdrawn_articles_and_english_owners(agent: User, kb_admin: User) -> None:
    outdated = _published(agent, kb_admin, "Old")
    actions.mark_outdated(outdated, actor=kb_admin, now=NOW)
    _published(kb_admin, kb_admin, "Printer")
    assert remind_review_due(now=JUST_AFTER_MIDNIGHT) == 1
    (notice,) = Notification.objects.all()
    assert notice.recipient == kb_admin
    assert notice.subject == "Article due for review: Printer"


def test_the_hourly_job_reminds_at_the_current_time(agent: User, kb_admin: User) -> None:
    _published(agent, kb_admin, "VPN")
    with time_machine.travel(THE_DAY_BEFORE, tick=False):
        remind_review_due_articles.call_local()
    assert not Notification.objects.exists()
    with time_machine.travel(JUST_AFTER_MIDNIGHT, tick=False):
        remind_review_due_articles.call_local()
        remind_review_due_articles.call_local()
    assert Notification.objects.count() == 1
    assert OutboxMessage.objects.filter(recipient=agent).count() == 1


def test_many_due_articles_cost_no_more_statements_than_one(agent: User, kb_admin: User) -> None:
    _published(agent, kb_admin, "One")
    with CaptureQueriesContext(connection) as one:
        remind_review_due(now=JUST_AFTER_MIDNIGHT)
    for index in range(5):
        _published(agent, kb_admin, f"More {index}")
    with CaptureQueriesContext(connection) as many:
        remind_review_due(now=JUST_AFTER_MIDNIGHT)
    assert len(many) == len(one)
