from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core import mail

from sopdesk.accounts.models import User
from sopdesk.notifications.models import Notification, OutboxMessage
from sopdesk.notifications.outbox import are_notifications_suppressed, notifications_suppressed
from sopdesk.testing import factories
from sopdesk.tickets.actions import add_comment

pytestmark = pytest.mark.django_db

CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]


def test_replies_inside_a_suppressed_block_write_and_send_nothing_and_later_ones_do(
    requester: User, agent: User, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True), notifications_suppressed():
        ticket = factories.make_ticket(requester)  # no acknowledgement either
        add_comment(ticket, actor=agent, body="Imported history", is_internal=False, now=ticket.created_at)
    assert mail.outbox == []
    assert not Notification.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert not are_notifications_suppressed()

    with django_capture_on_commit_callbacks(execute=True):
        add_comment(ticket, actor=agent, body="A real reply", is_internal=False, now=ticket.created_at)
    assert [message.to for message in mail.outbox] == [[requester.email]]
    assert Notification.objects.get().recipient == requester
