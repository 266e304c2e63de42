"""The alert source admin: saves go through the audited actions, the token is shown once and never again."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, hash_token
from sopdesk.alerts.models import AlertSource
from sopdesk.audit.models import ConfigChange
from sopdesk.testing import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(db: None) -> Client:
    admin = factories.make_user("root", role=Role.ADMIN)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    return client


FORM = {
    "name": "Prometheus",
    "kind": "alertmanager",
    "is_active": "on",
    "severity_map": json.dumps({"critical": "P1", "warning": "P3"}),
    "default_priority": "P3",
    "auto_resolve": "on",
}


def test_adding_a_source_shows_its_token_once_and_audits_without_it(admin_client: Client, service_desk: Team) -> None:
    page = admin_client.post("/admin/alerts/alertsource/add/", FORM)

    assert page.status_code == 200, page.content
    source = AlertSource.objects.get()
    token = page.context["token"]
    assert token.startswith("sda_")
    assert source.token_hash == hash_token(token)
    change = ConfigChange.objects.get(object_type="alerts.alertsource")
    assert change.actor.username == "root"
    assert token not in json.dumps(change.after)
    # The change page never shows the token or its hash.
    edit = admin_client.get(f"/admin/alerts/alertsource/{source.pk}/change/")
    assert token.encode() not in edit.content
    assert source.token_hash.encode() not in edit.content


def test_a_bad_severity_map_is_refused_at_the_field(admin_client: Client) -> None:
    page = admin_client.post("/admin/alerts/alertsource/add/", {**FORM, "severity_map": json.dumps({"x": "P9"})})
    assert page.status_code == 200
    assert "severity_map" in page.context["adminform"].form.errors
    assert not AlertSource.objects.exists()


def test_rotating_the_token_replaces_it_and_records_only_that_it_changed(admin_client: Client) -> None:
    admin_client.post("/admin/alerts/alertsource/add/", FORM)
    source = AlertSource.objects.get()
    old_hash = source.token_hash

    page = admin_client.post(
        "/admin/alerts/alertsource/", {"action": "rotate_token", "_selected_action": [str(source.pk)]}
    )

    source.refresh_from_db()
    assert page.status_code == 200
    assert source.token_hash == hash_token(page.context["token"]) != old_hash
    latest = ConfigChange.objects.filter(object_type="alerts.alertsource").latest("pk")
    assert latest.after == {"token": "changed"}


def test_agents_cannot_change_sources(client: Client, agent: object) -> None:
    agent.is_staff = True  # type: ignore[attr-defined]
    agent.save()  # type: ignore[attr-defined]
    client.force_login(agent)  # type: ignore[arg-type]
    assert client.post("/admin/alerts/alertsource/add/", FORM).status_code == 403
    assert not AlertSource.objects.exists()
