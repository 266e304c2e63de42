"""The delivery jobs are thin: they run the delivery with the current time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from sopdesk.notifications.choices import DeliveryStatus
from sopdesk.notifications.tasks import deliver_due_messages_every_minute, deliver_outbox
from sopdesk.notifications.tests.conftest import make_message

pytestmark = pytest.mark.django_db


def test_the_after_commit_job_sends_the_messages_it_is_given(mailoutbox: list[Any]) -> None:
    named = make_message("named@example.com")
    make_message("other@example.com")
    deliver_outbox([named.dedupe_key])  # jobs run inline in tests
    assert [m.to for m in mailoutbox] == [["named@example.com"]]


def test_the_every_minute_job_sends_everything_due_in_several_batches(mailoutbox: list[Any]) -> None:
    now = timezone.now()
    for n in range(120):
        make_message(f"{n}@example.com", next_attempt_at=now - timedelta(minutes=1))
    later = make_message("later@example.com", next_attempt_at=now + timedelta(hours=1))

    deliver_due_messages_every_minute()

    assert len(mailoutbox) == 120
    later.refresh_from_db()
    assert later.status == DeliveryStatus.PENDING
