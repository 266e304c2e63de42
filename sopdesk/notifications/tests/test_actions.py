"""Reading notifications and retrying failed deliveries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks

from sopdesk.accounts.models import User
from sopdesk.core.errors import PermissionRefused
from sopdesk.notifications.actions import mark_all_read, mark_read, retry_failed_messages
from sopdesk.notifications.choices import DeliveryStatus
from sopdesk.notifications.delivery import MAX_ATTEMPTS
from sopdesk.notifications.models import Notification
from sopdesk.notifications.outbox import enqueue
from sopdesk.notifications.tests.conftest import NOW, make_message, outgoing

pytestmark = pytest.mark.django_db

LATER = NOW + timedelta(hours=1)


def test_reading_a_notification_twice_keeps_the_first_time(requester: User) -> None:
    enqueue([outgoing(requester, "k", send_email=False)], now=NOW)
    notification = Notification.objects.get()
    mark_read(notification, actor=requester, now=NOW)
    mark_read(notification, actor=requester, now=LATER)
    notification.refresh_from_db()
    assert notification.read_at == NOW


def test_nobody_reads_someone_elses_notification(requester: User, outsider: User) -> None:
    enqueue([outgoing(requester, "k", send_email=False)], now=NOW)
    with pytest.raises(PermissionRefused):
        mark_read(Notification.objects.get(), actor=outsider, now=NOW)
    assert Notification.objects.get().read_at is None


def test_reading_all_touches_only_ones_own_unread_notifications(requester: User, outsider: User) -> None:
    enqueue([outgoing(requester, key, send_email=False) for key in ("a", "b", "c")], now=NOW)
    enqueue([outgoing(outsider, "a", send_email=False)], now=NOW)
    mark_read(Notification.objects.get(recipient=requester, dedupe_key="a"), actor=requester, now=NOW)

    assert mark_all_read(actor=requester, now=LATER) == 2

    assert dict(Notification.objects.filter(recipient=requester).values_list("dedupe_key", "read_at")) == {
        "a": NOW,
        "b": LATER,
        "c": LATER,
    }
    assert Notification.objects.get(recipient=outsider).read_at is None


def test_retrying_gives_failed_messages_new_attempts_and_sends_them_after_commit(
    admin_user: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    failed = make_message("failed@example.com", status=DeliveryStatus.FAILED, attempts=MAX_ATTEMPTS)
    sent = make_message("sent@example.com", status=DeliveryStatus.SENT, attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_failed_messages([failed.pk, sent.pk], actor=admin_user, now=LATER) == 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (DeliveryStatus.SENT, 1)
    assert [m.to for m in mailoutbox] == [["failed@example.com"]]
