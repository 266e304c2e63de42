"""The producers: which ticket changes and SLA alerts become outbox messages for which robots and webhooks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sopdesk.accounts.models import Team, User
from sopdesk.integrations.actions import create_chat_robot, create_webhook
from sopdesk.notifications.choices import DeliveryChannel
from sopdesk.notifications.models import OutboxMessage
from sopdesk.sla.scanner import sweep
from sopdesk.testing.factories import make_ticket
from sopdesk.tickets.actions import assign_ticket, change_status
from sopdesk.tickets.choices import Status

pytestmark = pytest.mark.django_db
OPENED = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)  # Monday 10:00 in Beijing
P1 = {"impact": "multiple_users", "urgency": "critical"}


def chat_messages(event: str | None = None) -> list[dict[str, Any]]:
    bodies = [json.loads(m.body) for m in OutboxMessage.objects.exclude(channel=DeliveryChannel.EMAIL).order_by("pk")]
    return [body for body in bodies if event is None or body["event"] == event]


@pytest.fixture
def robot(admin_user: User, service_desk: Team) -> Any:
    return create_chat_robot(
        actor=admin_user,
        values={
            "name": "Desk",
            "team": service_desk,
            "platform": "feishu",
            "webhook_url": "https://open.feishu.cn/open-apis/bot/v2/hook/abc",
            "secret": "s",
            "events": [
                "ticket_created",
                "ticket_assigned",
                "status_changed",
                "major_incident",
                "sla_warning",
                "sla_breached",
            ],
        },
        now=OPENED,
    )


def test_a_new_ticket_of_the_team_is_one_message_with_the_ticket(robot: Any, requester: User) -> None:
    ticket = make_ticket(requester, now=OPENED)
    [body] = chat_messages()
    assert body["event"] == "ticket_created"
    assert body["ticket"]["number"] == ticket.number
    assert body["ticket"]["url"].endswith(f"/tickets/{ticket.number}/")
    assert "requester" not in body["ticket"]
    assert OutboxMessage.objects.get(channel="feishu").address == robot.address


def test_a_p1_ticket_is_announced_as_a_major_incident_once(robot: Any, requester: User) -> None:
    make_ticket(requester, now=OPENED, **P1)
    assert [body["event"] for body in chat_messages()] == ["ticket_created", "major_incident"]


def test_assignment_and_status_changes_are_announced(
    robot: Any, requester: User, agent: User, service_desk: Team
) -> None:
    ticket = make_ticket(requester, now=OPENED)
    assign_ticket(ticket, team=service_desk, assignee=agent, actor=agent, now=OPENED + timedelta(minutes=1))
    ticket.refresh_from_db()
    change_status(ticket, to_status=Status.IN_PROGRESS, actor=agent, now=OPENED + timedelta(minutes=2))
    events = [body["event"] for body in chat_messages()]
    assert events[:2] == ["ticket_created", "ticket_assigned"]
    changed = chat_messages("status_changed")[-1]
    assert changed["data"] == {"from_status": Status.ASSIGNED.value, "to_status": Status.IN_PROGRESS.value}
    assert chat_messages("ticket_assigned")[0]["ticket"]["assignee"] == agent.username


def test_sla_warnings_and_breaches_reach_the_robot_in_the_scanner_transaction(robot: Any, requester: User) -> None:
    ticket = make_ticket(requester, now=OPENED, **P1)
    sweep(now=OPENED + timedelta(hours=6))
    events = [body["event"] for body in chat_messages() if body["ticket"]["number"] == ticket.number]
    assert "sla_breached" in events
    breach = chat_messages("sla_breached")[0]
    assert breach["data"]["metric"]
    count = OutboxMessage.objects.count()
    sweep(now=OPENED + timedelta(hours=7))  # nothing new is due: nothing is written twice
    assert OutboxMessage.objects.filter(channel="feishu", body__contains="sla_breached").count() == len(
        chat_messages("sla_breached")
    )
    assert OutboxMessage.objects.count() >= count


def test_an_inactive_robot_and_a_webhook_for_another_team_hear_nothing(
    admin_user: User, requester: User, second_line: Team
) -> None:
    create_webhook(
        actor=admin_user,
        values={
            "name": "Other",
            "url": "https://example.com/h",
            "secret": "s",
            "team": second_line,
            "events": ["ticket_created"],
        },
        now=OPENED,
    )
    make_ticket(requester, now=OPENED)
    assert chat_messages() == []


def test_a_webhook_without_a_team_hears_every_team(admin_user: User, requester: User) -> None:
    create_webhook(
        actor=admin_user,
        values={"name": "All", "url": "https://example.com/h", "secret": "s", "events": ["ticket_created"]},
        now=OPENED,
    )
    make_ticket(requester, now=OPENED)
    assert [body["event"] for body in chat_messages()] == ["ticket_created"]


def test_without_robots_or_webhooks_a_ticket_change_costs_no_extra_query(requester: User) -> None:
    """The configuration is cached behind the stamp that ticket creation reads anyway."""
    make_ticket(requester, now=OPENED)  # warm the caches
    with CaptureQueriesContext(connection) as context:
        make_ticket(requester, now=OPENED)
    assert not any("integrations_" in query["sql"] for query in context.captured_queries)
