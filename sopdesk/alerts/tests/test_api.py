"""The alert endpoint end to end: each payload format, dedup, re-fire, resolve, auth and hostile payloads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from sopdesk.accounts.models import Team, User
from sopdesk.alerts.choices import AlertEventKind, SourceKind
from sopdesk.alerts.config import SourceSettings, create_alert_source
from sopdesk.alerts.models import Alert, AlertSource
from sopdesk.audit.models import ConfigChange
from sopdesk.tickets.choices import Channel, Status
from sopdesk.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def make_source(kind: str = SourceKind.ALERTMANAGER, **changes: Any) -> tuple[AlertSource, str]:
    settings_ = SourceSettings(name=changes.pop("name", f"prom-{kind}"), kind=kind, **changes)
    return create_alert_source(settings=settings_, actor=None, now=timezone.now())


def send(source: AlertSource, token: str, payload: Any, *, raw: bytes | None = None, **headers: Any) -> Any:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", **headers)
    body = raw if raw is not None else json.dumps(payload)
    return client.post(f"/api/v1/alerts/{source.pk}", body, content_type="application/json")


def alertmanager(status: str = "firing", *, fingerprint: str = "1a30ba71cca2921f", **alert: Any) -> dict[str, Any]:
    item = {
        "status": status,
        "labels": {"alertname": "ProbeFailure", "instance": "https://erp.example.org", "severity": "critical"},
        "annotations": {"summary": "ERP is down", "description": "Probe failed for 5 minutes."},
        "startsAt": "2026-02-06T13:08:45.828312345Z",
        "endsAt": "2026-02-06T13:20:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example.org:9090/graph",
        "fingerprint": fingerprint,
        **alert,
    }
    return {
        "receiver": "sopdesk",
        "status": status,
        "alerts": [item],
        "groupLabels": {"alertname": "ProbeFailure"},
        "commonLabels": item["labels"],
        "commonAnnotations": item["annotations"],
        "externalURL": "http://alertmanager.example.org:9093",
        "version": "4",
        "groupKey": '{}:{alertname="ProbeFailure"}',
        "truncatedAlerts": 0,
    }


@pytest.fixture
def source(service_desk: Team) -> tuple[AlertSource, str]:
    return make_source(auto_resolve=True)


def test_a_firing_alert_opens_one_monitoring_incident_and_retries_do_not_add_more(
    source: tuple[AlertSource, str],
) -> None:
    alert_source, token = source
    first = send(alert_source, token, alertmanager())
    assert first.status_code == 200, first.json()
    assert first.json()["results"][0]["outcome"] == "created"
    again = send(alert_source, token, alertmanager())
    assert again.json()["results"][0]["outcome"] == "duplicate"

    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.MONITORING
    assert ticket.title == "ERP is down"
    assert ticket.priority == "P1"  # severity critical
    assert ticket.requester == alert_source.service_user
    assert Alert.objects.get().fire_count == 1


def test_a_refiring_alert_is_noted_on_the_timeline_and_counted(source: tuple[AlertSource, str]) -> None:
    alert_source, token = source
    send(alert_source, token, alertmanager())
    response = send(alert_source, token, alertmanager(startsAt="2026-02-07T08:00:00Z"))
    assert response.json()["results"][0]["outcome"] == "refired"
    alert = Alert.objects.get()
    assert alert.fire_count == 2
    assert TicketEvent.objects.filter(ticket=alert.ticket, kind=AlertEventKind.ALERT_REFIRED).count() == 1
    assert Ticket.objects.count() == 1


def test_a_resolved_alert_resolves_the_ticket_when_the_source_says_so_and_only_once(
    source: tuple[AlertSource, str],
) -> None:
    alert_source, token = source
    send(alert_source, token, alertmanager())
    resolved = send(alert_source, token, alertmanager("resolved"))
    assert resolved.json()["results"][0]["outcome"] == "resolved"
    assert send(alert_source, token, alertmanager("resolved")).json()["results"][0]["outcome"] == "duplicate"

    ticket = Ticket.objects.get()
    assert ticket.status == Status.RESOLVED
    assert ticket.closure_problem == "ERP is down"
    assert TicketEvent.objects.filter(ticket=ticket, kind=AlertEventKind.ALERT_RESOLVED).count() == 1
    assert TicketEvent.objects.filter(ticket=ticket, kind="status_changed").count() == 1

    # Firing again after the incident was resolved opens a new incident that names the old one.
    again = send(alert_source, token, alertmanager(startsAt="2026-02-08T08:00:00Z"))
    assert again.json()["results"][0]["outcome"] == "created"
    new_ticket = Ticket.objects.exclude(pk=ticket.pk).get()
    assert ticket.number in new_ticket.description


def test_without_auto_resolve_a_resolved_alert_is_only_recorded(service_desk: Team) -> None:
    alert_source, token = make_source(name="manual")
    send(alert_source, token, alertmanager())
    send(alert_source, token, alertmanager("resolved"))
    ticket = Ticket.objects.get()
    assert ticket.status == Status.NEW
    assert Alert.objects.get().status == "resolved"
    assert TicketEvent.objects.filter(ticket=ticket, kind=AlertEventKind.ALERT_RESOLVED).exists()


def test_a_resolved_alert_that_never_fired_is_ignored(source: tuple[AlertSource, str]) -> None:
    alert_source, token = source
    response = send(alert_source, token, alertmanager("resolved"))
    assert response.json()["results"] == [{"fingerprint": "1a30ba71cca2921f", "outcome": "ignored", "ticket": None}]
    assert not Ticket.objects.exists()


def test_zabbix_problem_and_recovery_events(service_desk: Team) -> None:
    alert_source, token = make_source(SourceKind.ZABBIX, auto_resolve=True)
    problem = {
        "event_id": "40211",
        "status": "PROBLEM",
        "severity": "High",
        "host": "db-01",
        "trigger_name": "Free disk space is less than 10% on /var",
        "event_time": "2026-02-06T21:08:45+08:00",
        "message": "Disk /var 93% full",
    }
    assert send(alert_source, token, problem).json()["results"][0]["outcome"] == "created"
    ticket = Ticket.objects.get()
    assert ticket.priority == "P2"
    assert ticket.title.startswith("db-01: Free disk space")
    recovery = {**problem, "status": "RESOLVED", "recovery_time": "2026-02-06T22:00:00+08:00"}
    assert send(alert_source, token, recovery).json()["results"][0]["outcome"] == "resolved"
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_the_generic_format_takes_one_alert_or_a_list(service_desk: Team) -> None:
    alert_source, token = make_source(SourceKind.GENERIC, severity_map={"sev1": "P1"})
    one = {"id": "backup-nightly", "status": "firing", "title": "Nightly backup failed", "severity": "SEV1"}
    assert send(alert_source, token, one).json()["results"][0]["outcome"] == "created"
    assert Ticket.objects.get().priority == "P1"
    listed = {
        "alerts": [one, {**one, "id": "cert-expiry", "title": "Certificate expires in 7 days", "severity": "minor"}]
    }
    outcomes = [item["outcome"] for item in send(alert_source, token, listed).json()["results"]]
    assert outcomes == ["duplicate", "created"]
    assert Ticket.objects.get(title="Certificate expires in 7 days").priority == "P3"  # default for unknown


def test_the_source_team_gets_the_incident(second_line: Team, service_desk: Team) -> None:
    alert_source, token = make_source(name="network", team=second_line)
    send(alert_source, token, alertmanager())
    assert Ticket.objects.get().team == second_line


def test_missing_or_wrong_tokens_answer_401_and_another_sources_token_403(
    source: tuple[AlertSource, str],
) -> None:
    alert_source, token = source
    _other, other_token = make_source(SourceKind.GENERIC, name="other")
    assert Client().post(f"/api/v1/alerts/{alert_source.pk}", "{}", content_type="application/json").status_code == 401
    assert send(alert_source, token + "x", alertmanager()).status_code == 401
    assert send(alert_source, "not-a-token", alertmanager()).status_code == 401
    assert send(alert_source, other_token, alertmanager()).status_code == 403
    AlertSource.objects.filter(pk=alert_source.pk).update(is_active=False)
    assert send(alert_source, token, alertmanager()).status_code == 403
    assert not Ticket.objects.exists()


def test_a_user_api_token_is_not_an_alert_token(source: tuple[AlertSource, str], api_client: Any, agent: User) -> None:
    alert_source, _token = source
    response = api_client(agent).post(
        f"/api/v1/alerts/{alert_source.pk}", json.dumps(alertmanager()), content_type="application/json"
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([], "body"),
        ({"alerts": "many"}, "alerts"),
        ({"alerts": []}, "alerts"),
        ({"version": "3", "alerts": []}, "version"),
        (alertmanager(status="exploded"), "alerts.0.status"),
        (alertmanager(labels={"severity": "critical"}), "alerts.0.labels"),
        (alertmanager(labels={"alertname": "x", "nul": "a\x00b"}), "alerts.0.labels"),
        (alertmanager(labels={"alertname": ["x"]}), "alerts.0.labels"),
        (alertmanager(startsAt="yesterday"), "alerts.0.startsAt"),
        (alertmanager(startsAt="2026-02-06T13:08:45"), "alerts.0.startsAt"),
        (alertmanager(labels={"alertname": "x\u202eevil"}, annotations={}), "alerts.0.labels"),
        (alertmanager(annotations={"summary": 5}), "alerts.0.annotations"),
        (alertmanager(fingerprint="x" * 300), "alerts.0.fingerprint"),
        ({"alerts": [alertmanager()["alerts"][0]] * 2, "version": "4"}, "alerts"),
        ({"alerts": [alertmanager()["alerts"][0]] * 201}, "alerts"),
    ],
)
def test_malformed_alertmanager_payloads_answer_422_with_the_field_and_write_nothing(
    source: tuple[AlertSource, str], payload: Any, field: str
) -> None:
    alert_source, token = source
    response = send(alert_source, token, payload)
    assert response.status_code == 422, response.json()
    assert field in [error["field"] for error in response.json()["errors"]]
    assert not Ticket.objects.exists()
    assert not Alert.objects.exists()


def test_bodies_that_are_not_json_or_too_large_are_refused(source: tuple[AlertSource, str]) -> None:
    alert_source, token = source
    assert send(alert_source, token, None, raw=b"{not json").status_code == 400
    assert send(alert_source, token, None, raw=b"[" * 100_000 + b"]" * 100_000).status_code in (400, 413)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    form = client.post(f"/api/v1/alerts/{alert_source.pk}", {"a": "b"})
    assert form.status_code == 415
    with override_settings(SOPDESK_ALERT_MAX_BYTES=2048):
        big = alertmanager(annotations={"summary": "big", "description": "x" * 4000})
        assert send(alert_source, token, big).status_code == 413
    assert not Ticket.objects.exists()


def test_creating_a_source_is_audited_without_the_token(source: tuple[AlertSource, str]) -> None:
    alert_source, token = source
    change = ConfigChange.objects.get(object_type="alerts.alertsource", object_id=str(alert_source.pk))
    assert change.after["token"] == "set"
    assert token not in json.dumps(change.after)
    assert alert_source.token_hash not in json.dumps(change.after)
    assert not alert_source.service_user.has_usable_password()


def test_the_incident_timeline_reads_through_the_api_with_system_entries(
    source: tuple[AlertSource, str], api_client: Any, agent: User
) -> None:
    alert_source, token = source
    number = send(alert_source, token, alertmanager()).json()["results"][0]["ticket"]
    events = api_client(agent).get(f"/api/v1/tickets/{number}/events")
    assert events.status_code == 200, events.json()
    firing = [event for event in events.json()["items"] if event["kind"] == "alert_firing"]
    assert len(firing) == 1
    assert firing[0]["actor"] is None


def test_a_templated_multi_line_summary_becomes_a_one_line_title_rather_than_a_refusal(
    source: tuple[AlertSource, str],
) -> None:
    alert_source, token = source
    summary = "\n  ERP is down   on erp-01\nsee the runbook\n" + "x" * 500
    description = "Probe failed.\n" * 500
    response = send(alert_source, token, alertmanager(annotations={"summary": summary, "description": description}))
    assert response.status_code == 200, response.json()
    ticket = Ticket.objects.get()
    assert ticket.title == "ERP is down on erp-01"
    assert ticket.description.startswith("Probe failed.")
