"""Overdue reasons: an overdue ticket records why (MISSION §3), through the action, the API and the timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import ApiClientFactory
from sopdesk.accounts.models import Team, User
from sopdesk.core.errors import ActionError, NotFound, PermissionRefused, PreconditionFailed
from sopdesk.core.validation import ValidationFailed
from sopdesk.sla.actions import record_overdue_reason
from sopdesk.sla.choices import SlaEventKind
from sopdesk.sla.models import OverdueReason
from sopdesk.testing import factories
from sopdesk.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def late(requester: User, service_desk: Team) -> Ticket:
    """A ticket of the service desk opened a month ago: its assignment clock ran out long since."""
    return factories.make_ticket(requester, title="Late", now=timezone.now() - timedelta(days=30))


def test_an_agent_records_why_and_the_timeline_says_so_internally(late: Ticket, agent: User) -> None:
    version = late.version
    row = record_overdue_reason(
        late, actor=agent, metric="assignment", reason="  Waiting for the vendor  ", now=timezone.now()
    )

    assert (row.metric, row.reason, row.recorded_by) == ("assignment", "Waiting for the vendor", agent)
    event = TicketEvent.objects.get(ticket=late, kind=SlaEventKind.OVERDUE_REASON)
    assert (event.body, event.is_internal, event.data) == ("Waiting for the vendor", True, {"metric": "assignment"})
    late.refresh_from_db()
    assert late.version == version + 1


def test_a_clock_that_is_not_overdue_is_refused(requester: User, agent: User, service_desk: Team) -> None:
    fresh = factories.make_ticket(requester)
    with pytest.raises(ActionError) as refused:
        record_overdue_reason(fresh, actor=agent, metric="assignment", reason="Busy", now=timezone.now())
    assert refused.value.field == "metric"
    assert not OverdueReason.objects.exists()


@pytest.mark.parametrize(
    ("metric", "reason", "field"),
    [
        ("nonsense", "Busy", "metric"),
        ("assignment", "   ", "reason"),
        ("assignment", "x" * 2001, "reason"),
        ("assignment", "bell\x07", "reason"),
    ],
)
def test_bad_input_names_the_field(late: Ticket, agent: User, metric: str, reason: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        record_overdue_reason(late, actor=agent, metric=metric, reason=reason, now=timezone.now())
    assert field in refused.value.errors
    assert not OverdueReason.objects.exists()


def test_requesters_auditors_and_other_teams_may_not(
    late: Ticket, requester: User, auditor: User, engineer: User
) -> None:
    for refused_actor in (requester, auditor):
        with pytest.raises(PermissionRefused):
            record_overdue_reason(late, actor=refused_actor, metric="assignment", reason="x", now=timezone.now())
    with pytest.raises(NotFound):  # not even visible to another team's engineer
        record_overdue_reason(late, actor=engineer, metric="assignment", reason="x", now=timezone.now())
    assert not OverdueReason.objects.exists()


def test_a_stale_version_is_refused(late: Ticket, agent: User) -> None:
    with pytest.raises(PreconditionFailed):
        record_overdue_reason(
            late, actor=agent, metric="assignment", reason="x", now=timezone.now(), expected_version=late.version - 1
        )


def test_the_api_records_and_lists_the_newest_reason_per_clock(
    api_client: ApiClientFactory, late: Ticket, agent: User, requester: User, engineer: User
) -> None:
    url = f"/api/v1/tickets/{late.number}/overdue-reasons"
    client = api_client(agent)
    first = client.post(url, {"metric": "assignment", "reason": "Vendor"}, content_type="application/json")
    second = client.post(
        url, {"metric": "assignment", "reason": "Vendor, then a holiday"}, content_type="application/json"
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["recorded_by"]["username"] == "agent"

    listed = client.get(url).json()
    assert [(item["metric"], item["reason"]) for item in listed] == [("assignment", "Vendor, then a holiday")]
    assert OverdueReason.objects.filter(ticket=late).count() == 2  # the first is kept
    assert api_client(requester).get(url).json() == []

    refused = client.post(url, {"metric": "resolution", "reason": "x"}, content_type="application/json")
    fresh = factories.make_ticket(requester)
    not_late = client.post(
        f"/api/v1/tickets/{fresh.number}/overdue-reasons",
        {"metric": "assignment", "reason": "x"},
        content_type="application/json",
    )
    assert not_late.status_code == 422
    assert not_late.json()["errors"][0]["field"] == "metric"
    assert refused.status_code in (201, 422)  # the resolution clock may or may not have run out yet
    assert (
        api_client(engineer)
        .post(url, {"metric": "assignment", "reason": "x"}, content_type="application/json")
        .status_code
        == 404
    )
    bad = client.post(url, {"metric": "assignment", "reason": ""}, content_type="application/json")
    assert bad.status_code == 422
