"""The workspace's outbox page: administrators see messages and dead letters and send them again; nobody else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import User
from sopdesk.audit.models import ConfigChange
from sopdesk.notifications.choices import DeliveryChannel, DeliveryStatus
from sopdesk.notifications.models import OutboxMessage
from sopdesk.testing import factories

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def admin_user(db: None) -> User:
    return factories.make_user("admin", role=Role.ADMIN)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def message(key: str, *, channel: str = DeliveryChannel.WEBHOOK, status: str = DeliveryStatus.FAILED) -> OutboxMessage:
    return OutboxMessage.objects.create(
        channel=channel,
        address=f"webhook:{key}" if channel == DeliveryChannel.WEBHOOK else f"{key}@example.com",
        subject=f"<b>Subject {key}</b>",
        body="{}",
        dedupe_key=key,
        status=status,
        attempts=8 if status == DeliveryStatus.FAILED else 1,
        next_attempt_at=NOW,
        last_error="DeliveryFailed: HTTP 500: <script>boom</script>" if status == DeliveryStatus.FAILED else "",
        created_at=NOW,
    )


def test_an_administrator_sees_dead_letters_with_their_error_escaped(admin_user: User) -> None:
    message("a")
    message("b", channel=DeliveryChannel.EMAIL, status=DeliveryStatus.SENT)
    page = client_for(admin_user).get("/desk/outbox/?status=failed")
    assert page.status_code == 200
    text = page.content.decode()
    assert "&lt;script&gt;boom&lt;/script&gt;" in text
    assert "<script>boom" not in text
    assert "Subject a" in text
    assert "Subject b" not in text
    assert 'href="/desk/outbox/"' in text  # the navigation links the page for administrators


def test_the_channel_filter_and_an_unknown_value(admin_user: User) -> None:
    message("a")
    message("b", channel=DeliveryChannel.EMAIL, status=DeliveryStatus.SENT)
    client = client_for(admin_user)
    text = client.get("/desk/outbox/?channel=email").content.decode()
    assert "Subject b" in text
    assert "Subject a" not in text
    assert client.get("/desk/outbox/?channel=carrier-pigeon&status=lost").status_code == 200


def test_the_page_costs_the_same_queries_for_many_messages(admin_user: User) -> None:
    client = client_for(admin_user)
    for index in range(3):
        message(f"few{index}")
    client.get("/desk/outbox/")
    with CaptureQueriesContext(connection) as few:
        client.get("/desk/outbox/")
    for index in range(40):
        message(f"many{index}")
    with CaptureQueriesContext(connection) as many:
        client.get("/desk/outbox/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_one_and_many_dead_letters_are_sent_again_and_audited(admin_user: User) -> None:
    first, second, third = message("a"), message("b"), message("c")
    client = client_for(admin_user)
    answer = client.post("/desk/outbox/retry/", {"ids": [first.pk], "next": "/desk/outbox/?status=failed"})
    assert answer.status_code == 302
    assert answer["Location"] == "/desk/outbox/?status=failed"
    client.post("/desk/outbox/retry/", {"ids": [second.pk, third.pk], "next": "https://evil.example/"})
    for retried in (first, second, third):
        retried.refresh_from_db()
        assert retried.status != DeliveryStatus.FAILED or retried.attempts < 8
    assert ConfigChange.objects.filter(object_type="notifications.outboxmessage").count() == 3


def test_a_retry_of_nothing_explains_itself(admin_user: User) -> None:
    answer = client_for(admin_user).post("/desk/outbox/retry/", {}, follow=True)
    assert "Choose the failed messages" in answer.content.decode()


@pytest.mark.parametrize("persona", ["agent", "team_lead", "manager", "auditor"])
def test_staff_other_than_administrators_are_refused(persona: str, request: pytest.FixtureRequest) -> None:
    failed = message("a")
    client = client_for(request.getfixturevalue(persona))
    assert client.get("/desk/outbox/").status_code == 403
    assert client.post("/desk/outbox/retry/", {"ids": [failed.pk]}).status_code == 403
    assert 'href="/desk/outbox/"' not in client.get("/desk/").content.decode()
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.FAILED


def test_requesters_go_to_their_own_pages(requester: User) -> None:
    assert client_for(requester).get("/desk/outbox/").status_code == 302
