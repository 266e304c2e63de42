"""The outbox API: administrators list messages and dead letters and retry them; everyone else is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sopdesk.accounts.models import Team, User
from sopdesk.audit.models import ConfigChange
from sopdesk.integrations.actions import create_webhook
from sopdesk.notifications.choices import DeliveryChannel, DeliveryStatus
from sopdesk.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def message(
    key: str,
    *,
    channel: str = DeliveryChannel.EMAIL,
    address: str = "a@example.com",
    status: str = DeliveryStatus.FAILED,
    error: str = "HTTP 500",
) -> OutboxMessage:
    return OutboxMessage.objects.create(
        channel=channel,
        address=address,
        subject=f"Subject {key}",
        body="{}",
        dedupe_key=key,
        status=status,
        attempts=8 if status == DeliveryStatus.FAILED else 0,
        next_attempt_at=NOW,
        last_error=error,
        created_at=NOW,
    )


def test_an_admin_lists_the_dead_letters_with_their_last_error_and_target_name(
    api_client: Any, admin_user: User, service_desk: Team
) -> None:
    hook = create_webhook(
        actor=admin_user,
        values={
            "name": "CMDB",
            "url": "https://hooks.example.com/in",
            "secret": "s3cret",
            "events": ["ticket_created"],
        },
        now=NOW,
    )
    message("a", channel=DeliveryChannel.WEBHOOK, address=hook.address)
    message("b", status=DeliveryStatus.SENT, error="")
    client = api_client(admin_user)
    answer = client.get("/api/v1/outbox?status=failed")
    assert answer.status_code == 200, answer.content
    items = answer.json()["items"]
    assert [item["target"] for item in items] == ["CMDB"]
    assert items[0]["last_error"] == "HTTP 500"
    assert "hooks.example.com" not in answer.content.decode()
    assert "s3cret" not in answer.content.decode()
    assert client.get("/api/v1/outbox?channel=email").json()["count"] == 1


def test_the_outbox_list_costs_the_same_queries_for_many_messages(
    api_client: Any, admin_user: User, django_assert_max_num_queries: Any
) -> None:
    for index in range(30):
        message(f"k{index}", channel=DeliveryChannel.WEBHOOK, address=f"webhook:{index}")
    client = api_client(admin_user)
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/outbox").status_code == 200


def test_retry_makes_dead_letters_pending_again_and_is_audited(api_client: Any, admin_user: User) -> None:
    failed = message("a")
    sent = message("b", status=DeliveryStatus.SENT)
    client = api_client(admin_user)
    answer = client.post("/api/v1/outbox/retry", {"ids": [failed.pk, sent.pk]}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"retried_count": 1}
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert failed.status != DeliveryStatus.FAILED  # pending again (or already delivered by the immediate job)
    assert failed.attempts <= 1
    assert sent.status == DeliveryStatus.SENT
    change = ConfigChange.objects.get(object_type="notifications.outboxmessage", object_id=str(failed.pk))
    assert change.actor == admin_user
    assert change.before == {"status": "failed", "attempts": 8}


def test_retry_of_one_message(api_client: Any, admin_user: User) -> None:
    failed = message("a")
    client = api_client(admin_user)
    answer = client.post(f"/api/v1/outbox/{failed.pk}/retry")
    assert answer.status_code == 200, answer.content
    assert answer.json()["id"] == failed.pk
    assert client.post("/api/v1/outbox/999999/retry").status_code == 404


@pytest.mark.parametrize("persona", ["agent", "team_lead", "manager", "requester", "outsider", "auditor"])
def test_everyone_but_administrators_is_refused(api_client: Any, persona: str, request: Any) -> None:
    failed = message("a")
    client = api_client(request.getfixturevalue(persona))
    assert client.get("/api/v1/outbox").status_code == 403
    assert client.post(f"/api/v1/outbox/{failed.pk}/retry").status_code == 403
    assert client.post("/api/v1/outbox/retry", {"ids": [failed.pk]}, content_type="application/json").status_code == 403
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.FAILED
