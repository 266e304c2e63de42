"""GET /api/v1/audit/config-changes: administrators and auditors read who changed which setting, when and how."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import ApiClientFactory
from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import User
from sopdesk.audit.actions import record_config_change
from sopdesk.audit.choices import Operation
from sopdesk.audit.models import ConfigChange
from sopdesk.sla.models import Calendar
from sopdesk.testing import factories
from sopdesk.tickets.models import PriorityRule

pytestmark = pytest.mark.django_db

CHANGES = "/api/v1/audit/config-changes"
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def admin(db: None) -> User:
    return factories.make_user("admin", role=Role.ADMIN)


@pytest.fixture
def admin_api(api_client: ApiClientFactory, admin: User) -> Client:
    return api_client(admin)


def record(target: Any, *, actor: User | None, at: datetime, after: dict[str, Any]) -> ConfigChange:
    with transaction.atomic():
        change = record_config_change(target, operation=Operation.CHANGED, before={}, after=after, actor=actor, now=at)
    assert change is not None
    return change


def listed(client: Client, **params: Any) -> list[dict[str, Any]]:
    response = client.get(CHANGES, params)
    assert response.status_code == 200, response.content
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_change_made_through_the_sla_api_is_listed_with_before_and_after(admin_api: Client, admin: User) -> None:
    response = admin_api.patch(
        "/api/v1/sla/calendars/office",
        json.dumps({"name": "Beijing office", "time_zone": "Asia/Tokyo"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content

    [change] = listed(admin_api)

    assert change["actor"] == "admin"
    assert change["operation"] == "changed"
    assert change["object_type"] == "sla.calendar"
    assert change["object_type_label"] == "business calendar"
    assert change["object_id"] == str(Calendar.objects.get(code="office").pk)
    assert change["object_repr"] == "Beijing office"
    assert change["before"] == {"name": "工作时间 Office hours (China)", "time_zone": "Asia/Shanghai"}
    assert change["after"] == {"name": "Beijing office", "time_zone": "Asia/Tokyo"}
    assert datetime.fromisoformat(change["changed_at"]) <= datetime.now(UTC)


@pytest.mark.parametrize("persona", ["admin", "auditor"])
def test_administrators_and_auditors_may_read_the_log(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, persona: str
) -> None:
    record(Calendar.objects.get(code="office"), actor=None, at=T0, after={"name": "X"})

    assert len(listed(api_client(request.getfixturevalue(persona)))) == 1


@pytest.mark.parametrize("persona", ["requester", "outsider", "agent", "team_lead", "manager"])
def test_everyone_else_is_refused(request: pytest.FixtureRequest, api_client: ApiClientFactory, persona: str) -> None:
    record(Calendar.objects.get(code="office"), actor=None, at=T0, after={"name": "X"})

    response = api_client(request.getfixturevalue(persona)).get(CHANGES)

    assert response.status_code == 403
    assert "administrators and auditors" in response.json()["detail"]


def test_anonymous_callers_are_refused() -> None:
    assert Client().get(CHANGES).status_code == 401


def test_filters_by_object_actor_and_time(admin_api: Client, admin: User, auditor: User) -> None:
    office = Calendar.objects.get(code="office")
    rule = PriorityRule.objects.first()
    record(office, actor=admin, at=T0, after={"name": "first"})
    record(rule, actor=admin, at=T0 + timedelta(hours=1), after={"priority": "P2"})
    record(office, actor=None, at=T0 + timedelta(hours=2), after={"name": "third"})

    assert [c["after"] for c in listed(admin_api)] == [{"name": "third"}, {"priority": "P2"}, {"name": "first"}]
    assert [c["after"] for c in listed(admin_api, object_type="sla.calendar")] == [{"name": "third"}, {"name": "first"}]
    assert [c["object_type"] for c in listed(admin_api, object_type="tickets.priorityrule", object_id=rule.pk)] == [
        "tickets.priorityrule"
    ]
    assert [c["after"] for c in listed(admin_api, actor="admin")] == [{"priority": "P2"}, {"name": "first"}]
    assert listed(admin_api, actor="auditor") == []
    since, until = (T0 + timedelta(hours=1)).isoformat(), (T0 + timedelta(hours=2)).isoformat()
    assert [c["after"] for c in listed(admin_api, since=since, until=until)] == [{"priority": "P2"}]
    assert [c["actor"] for c in listed(admin_api, since=until)] == [None]


def test_pagination_counts_every_match_and_returns_one_page(admin_api: Client) -> None:
    office = Calendar.objects.get(code="office")
    for minute in range(5):
        record(office, actor=None, at=T0 + timedelta(minutes=minute), after={"name": f"n{minute}"})

    body = admin_api.get(CHANGES, {"limit": 2, "offset": 1}).json()

    assert body["count"] == 5
    assert [c["after"]["name"] for c in body["items"]] == ["n3", "n2"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 10**12}, "offset"),
        ({"object_type": "Calendar; DROP"}, "object_type"),
        ({"actor": "a\x00b"}, "actor"),
        ({"since": "yesterday"}, "since"),
        ({"since": "0001-01-01T00:00:00+14:00"}, "since"),
        ({"since": "2026-11-02T10:00:00Z", "until": "2026-11-02T10:00:00Z"}, "until"),
        ({"object": "sla.calendar"}, "object"),
        ({"actor": ["a", "b"]}, "actor"),
    ],
)
def test_bad_query_parameters_are_422_with_the_field(admin_api: Client, params: dict[str, Any], field: str) -> None:
    response = admin_api.get(CHANGES, params)

    assert response.status_code == 422, response.content
    assert field in [error["field"] for error in response.json()["errors"]]


def test_list_query_count_does_not_grow_with_rows(admin_api: Client, admin: User, auditor: User) -> None:
    office = Calendar.objects.get(code="office")

    def queries_for(total: int) -> int:
        while ConfigChange.objects.count() < total:
            count = ConfigChange.objects.count()
            record(
                office, actor=(admin, auditor, None)[count % 3], at=T0 + timedelta(minutes=count), after={"n": count}
            )
        admin_api.get(CHANGES)  # warm up: the token's last-use stamp is written at most once a minute
        with CaptureQueriesContext(connection) as context:
            items = listed(admin_api, limit=100)
        assert len(items) == total
        return len(context.captured_queries)

    few, many = queries_for(3), queries_for(30)

    assert few == many
    # the token with its user, the count, and the page joined with the actors
    assert few == 3
