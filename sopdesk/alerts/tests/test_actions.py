"""Alert processing on the real ticket actions: system paths, rules that keep a ticket open, racing deliveries."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sopdesk.accounts.models import Team, User
from sopdesk.alerts.actions import receive_alerts
from sopdesk.alerts.choices import AlertOutcome, AlertStatus, SourceKind
from sopdesk.alerts.config import SourceSettings, create_alert_source
from sopdesk.alerts.models import Alert, AlertSource
from sopdesk.alerts.payloads import ReceivedAlert
from sopdesk.collaboration.actions import request_collaboration
from sopdesk.collaboration.choices import WayOfWorking
from sopdesk.testing.concurrency import race
from sopdesk.tickets.choices import Status
from sopdesk.tickets.models import Ticket

NOW = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)


def firing(fingerprint: str = "disk-db-01", **changes: Any) -> ReceivedAlert:
    values: dict[str, Any] = {
        "fingerprint": fingerprint,
        "status": AlertStatus.FIRING,
        "name": "Disk almost full on db-01",
        "severity": "warning",
        "starts_at": NOW - timedelta(minutes=5),
    }
    values.update(changes)
    return ReceivedAlert(**values)


def make_source(**changes: Any) -> AlertSource:
    settings_ = SourceSettings(name="prometheus", kind=SourceKind.ALERTMANAGER, **changes)
    return create_alert_source(settings=settings_, actor=None, now=NOW)[0]


@pytest.mark.django_db
def test_an_open_collaboration_request_keeps_an_auto_resolved_incident_open(
    service_desk: Team, second_line: Team, agent: User
) -> None:
    source = make_source(auto_resolve=True)
    [created] = receive_alerts(source, [firing()], now=NOW)
    ticket = Ticket.objects.get(number=created.ticket_number)
    request_collaboration(
        ticket,
        actor=agent,
        to_team=second_line,
        needed="Grow the volume",
        deliverable="More space",
        deadline_at=NOW + timedelta(days=2),
        way_of_working=WayOfWorking.values[0],
        now=NOW,
    )

    [result] = receive_alerts(source, [firing(status=AlertStatus.RESOLVED, ends_at=NOW)], now=NOW)

    ticket.refresh_from_db()
    assert result.outcome == AlertOutcome.RESOLVED
    assert ticket.status != Status.RESOLVED
    assert Alert.objects.get().status == AlertStatus.RESOLVED


@pytest.mark.django_db
def test_the_severity_priority_is_an_override_that_survives_and_is_explained(service_desk: Team) -> None:
    source = make_source(severity_map={"warning": "P2"})
    [created] = receive_alerts(source, [firing()], now=NOW)
    ticket = Ticket.objects.get(number=created.ticket_number)
    assert ticket.priority == "P2"
    assert ticket.priority_is_overridden
    assert "warning" in ticket.priority_override_reason


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_racing_deliveries_of_one_new_alert_open_exactly_one_ticket(service_desk: Team) -> None:
    source = make_source()

    def deliver(index: int) -> Any:
        return receive_alerts(AlertSource.objects.get(pk=source.pk), [firing()], now=NOW)[0].outcome

    results = race(4, deliver)

    assert Counter(results) == {AlertOutcome.CREATED: 1, AlertOutcome.DUPLICATE: 3}, results
    assert Ticket.objects.count() == 1
    assert Alert.objects.get().fire_count == 1
