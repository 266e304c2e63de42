"""The delivery jobs are thin: they run the delivery with the current time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from huey import Huey
from huey.contrib.djhuey import HUEY

from sopdesk.core.nudge import Nudge
from sopdesk.notifications import tasks
from sopdesk.notifications.choices import DeliveryStatus
from sopdesk.notifications.tasks import (
    deliver_due_messages_every_minute,
    deliver_new_messages,
    deliver_outbox,
    schedule_delivery,
)
from sopdesk.notifications.tests.conftest import make_message

pytestmark = pytest.mark.django_db


def test_the_after_commit_job_sends_every_message_nobody_tried_yet(mailoutbox: list[Any]) -> None:
    make_message("first@example.com")
    make_message("second@example.com")
    make_message("retrying@example.com", attempts=2)  # its backoff decides
    deliver_new_messages()  # jobs run inline in tests
    assert [m.to for m in mailoutbox] == [["first@example.com"], ["second@example.com"]]


def test_a_job_queued_before_the_upgrade_still_delivers(mailoutbox: list[Any]) -> None:
    make_message("named@example.com")
    deliver_outbox(["email:user:1:whatever"])
    assert [m.to for m in mailoutbox] == [["named@example.com"]]


@pytest.fixture
def real_queue() -> Iterator[Huey]:
    """The configured job queue (not the inline one of the tests), emptied before and after."""
    HUEY.immediate = False
    HUEY.flush()
    try:
        yield HUEY
    finally:
        HUEY.immediate = False
        HUEY.flush()
        HUEY.immediate = True


def test_a_burst_of_commits_queues_one_job_now_and_one_when_the_window_ends(
    real_queue: Huey, mailoutbox: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    message = make_message("a@example.com")
    monkeypatch.setattr(tasks.schedule_delivery, "nudge", Nudge(window=60))  # the whole burst falls within one window
    for _ in range(20):
        schedule_delivery()
    jobs = [real_queue.dequeue() for _ in range(real_queue.pending_count())]
    # huey's consumer holds a job with an ETA back until then.
    assert [(job.name, job.eta is None) for job in jobs if job is not None] == [
        ("deliver_new_messages", True),
        ("deliver_new_messages", False),
    ]
    real_queue.immediate = True  # the job runs here, in the test's transaction, as in a worker
    real_queue.execute(jobs[0])
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT
    assert [m.to for m in mailoutbox] == [["a@example.com"]]


def test_the_every_minute_job_sends_everything_due_in_several_batches(mailoutbox: list[Any]) -> None:
    now = timezone.now()
    for n in range(120):
        make_message(f"{n}@example.com", next_attempt_at=now - timedelta(minutes=1))
    later = make_message("later@example.com", next_attempt_at=now + timedelta(hours=1))

    deliver_due_messages_every_minute()

    assert len(mailoutbox) == 120
    later.refresh_from_db()
    assert later.status == DeliveryStatus.PENDING
