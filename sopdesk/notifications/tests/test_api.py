"""HTTP-level tests of the inbox API: only one's own notifications, newest first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ApiClientFactory
from sopdesk.accounts.models import User
from sopdesk.notifications.models import Notification
from sopdesk.notifications.outbox import OutgoingNotification, enqueue
from sopdesk.notifications.tests.conftest import NOW, outgoing
from sopdesk.testing import factories

pytestmark = pytest.mark.django_db

INBOX = "/api/v1/notifications"


def notify(user: User, key: str, *, minutes: int = 0) -> Notification:
    enqueue([outgoing(user, key, subject=f"About {key}", send_email=False)], now=NOW + timedelta(minutes=minutes))
    return Notification.objects.get(recipient=user, dedupe_key=key)


def subjects_of(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["subject"] for item in response.json()["items"]]


def test_the_inbox_lists_only_ones_own_notifications_newest_first(
    api_client: ApiClientFactory, requester: User, outsider: User
) -> None:
    notify(requester, "old", minutes=0)
    notify(requester, "new", minutes=5)
    notify(outsider, "theirs")

    response = api_client(requester).get(INBOX)

    assert subjects_of(response) == ["About new", "About old"]
    body = response.json()
    assert (body["count"], body["unread_count"]) == (2, 2)
    assert body["items"][0] == {
        "id": Notification.objects.get(dedupe_key="new").pk,
        "kind": "sla_warning",
        "kind_label": "SLA warning",
        "subject": "About new",
        "body": "Body of new",
        "ticket_number": None,
        "created_at": "2026-03-02T09:05:00Z",
        "read_at": None,
        "is_read": False,
    }
    assert subjects_of(api_client(outsider).get(INBOX)) == ["About theirs"]


def test_a_ticket_notification_names_its_ticket(
    api_client: ApiClientFactory, requester: User, service_desk: Any
) -> None:
    ticket = factories.make_ticket(requester, now=NOW)
    enqueue(
        [OutgoingNotification(requester, ticket, "ticket_event", "Subject", "Body", "test:update:1")],
        now=NOW,
    )
    items = api_client(requester).get(INBOX).json()["items"]
    labels = {(item["ticket_number"], item["kind_label"]) for item in items}
    assert labels == {(ticket.number, "Ticket update"), (ticket.number, "Request received")}  # and the acknowledgement


def test_unread_true_lists_only_unread_notifications(api_client: ApiClientFactory, requester: User) -> None:
    client = api_client(requester)
    notify(requester, "read")
    notify(requester, "unread", minutes=1)
    client.post(f"{INBOX}/{Notification.objects.get(dedupe_key='read').pk}/read")

    assert subjects_of(client.get(INBOX, {"unread": "true"})) == ["About unread"]
    assert subjects_of(client.get(INBOX, {"unread": "false"})) == ["About unread", "About read"]
    body = client.get(INBOX).json()
    assert (body["count"], body["unread_count"]) == (2, 1)


def test_the_inbox_is_paginated_within_bounds(api_client: ApiClientFactory, requester: User) -> None:
    client = api_client(requester)
    for minute in range(5):
        notify(requester, f"n{minute}", minutes=minute)

    assert subjects_of(client.get(INBOX, {"limit": 2, "offset": 1})) == ["About n3", "About n2"]
    assert client.get(INBOX, {"offset": 1_000_000}).json()["items"] == []
    for bad in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"unread": "maybe"}, {"page": 2}):
        response = client.get(INBOX, bad)
        assert response.status_code == 422, bad
        assert [error["field"] for error in response.json()["errors"]] == list(bad)


def test_marking_a_notification_read_returns_it_and_is_idempotent(
    api_client: ApiClientFactory, requester: User
) -> None:
    client = api_client(requester)
    notification = notify(requester, "k")

    first = client.post(f"{INBOX}/{notification.pk}/read")
    again = client.post(f"{INBOX}/{notification.pk}/read")

    assert first.status_code == 200, first.content
    assert first.json()["is_read"] is True
    assert first.json()["read_at"] is not None
    assert again.json()["read_at"] == first.json()["read_at"]


@pytest.mark.parametrize("persona", ["outsider", "agent", "manager"])
def test_someone_elses_notification_is_not_found(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, requester: User, persona: str
) -> None:
    client = api_client(request.getfixturevalue(persona))
    notification = notify(requester, "k")

    hidden = client.post(f"{INBOX}/{notification.pk}/read")
    missing = client.post(f"{INBOX}/{notification.pk + 1000}/read")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    notification.refresh_from_db()
    assert notification.read_at is None


def test_a_notification_id_out_of_range_is_refused(api_client: ApiClientFactory, requester: User) -> None:
    client = api_client(requester)
    assert client.post(f"{INBOX}/0/read").status_code == 422
    assert client.post(f"{INBOX}/{2**63}/read").status_code == 422


def test_read_all_marks_only_ones_own_unread_notifications(
    api_client: ApiClientFactory, requester: User, outsider: User
) -> None:
    notify(requester, "a")
    notify(requester, "b")
    theirs = notify(outsider, "a")

    response = api_client(requester).post(f"{INBOX}/read-all")

    assert response.status_code == 200, response.content
    assert response.json() == {"marked_count": 2}
    assert not Notification.objects.filter(recipient=requester, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert api_client(requester).post(f"{INBOX}/read-all").json() == {"marked_count": 0}


def test_the_inbox_needs_authentication(client: Any, requester: User) -> None:
    notification = notify(requester, "k")
    for response in (
        client.get(INBOX),
        client.post(f"{INBOX}/{notification.pk}/read"),
        client.post(f"{INBOX}/read-all"),
    ):
        assert response.status_code == 401
        assert response.json()["detail"] == "Authentication required."


@pytest.mark.parametrize("unread", [None, "true"])
def test_inbox_query_count_does_not_grow_with_rows(
    api_client: ApiClientFactory, requester: User, service_desk: Any, unread: str | None
) -> None:
    client = api_client(requester)
    ticket = factories.make_ticket(requester, now=NOW)
    params = {"limit": 50, **({"unread": unread} if unread else {})}

    def queries_for_listing(total: int) -> int:
        existing = Notification.objects.count()
        enqueue(
            [
                OutgoingNotification(requester, ticket, "ticket_event", f"S{n}", "B", f"n:{n}", send_email=False)
                for n in range(existing, total)
            ],
            now=NOW,
        )
        client.get(INBOX)  # warm up: the token's last-use stamp is written at most once a minute
        with CaptureQueriesContext(connection) as context:
            response = client.get(INBOX, params)
        assert len(response.json()["items"]) == total
        return len(context.captured_queries)

    few, many = queries_for_listing(3), queries_for_listing(30)

    assert many == few
    # the token with its user, the count, the unread count (the same as the count for unread=true),
    # and the page joined with its tickets
    assert few == (3 if unread else 4)
