"""The admin saves and deletes workforce records through the actions (audited)."""

from __future__ import annotations

import pytest
from django.test import Client

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.audit.models import ConfigChange
from sopdesk.testing import factories
from sopdesk.workforce.models import TeamAssignment


def _admin_client() -> Client:
    admin = factories.make_user("root", role=Role.ADMIN)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    return client


def test_a_team_setting_saved_in_the_admin_is_audited(service_desk: Team, second_line: Team) -> None:
    client = _admin_client()

    response = client.post(
        "/admin/workforce/teamassignment/add/",
        {
            "team": service_desk.pk,
            "strategy": "round_robin",
            "backup_team": second_line.pk,
            "requires_certification": "on",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    assert TeamAssignment.objects.get(team=service_desk).backup_team == second_line
    assert ConfigChange.objects.get(object_type="workforce.teamassignment").actor == User.objects.get(username="root")


def test_the_admin_shows_the_actions_refusal_next_to_the_field(service_desk: Team) -> None:
    client = _admin_client()

    response = client.post(
        "/admin/workforce/teamassignment/add/",
        {"team": service_desk.pk, "strategy": "round_robin", "backup_team": service_desk.pk},
    )

    assert response.status_code == 200
    assert "backup group must be another active team" in response.content.decode()
    assert not TeamAssignment.objects.exists()


def test_the_workforce_admin_lists_open(service_desk: Team) -> None:
    client = _admin_client()
    for model in ("teamassignment", "agentprofile", "skill", "absence", "certification"):
        assert client.get(f"/admin/workforce/{model}/").status_code == 200, model
        assert client.get(f"/admin/workforce/{model}/add/").status_code == 200, model


def test_strategies_and_profiles_are_changed_never_deleted_and_every_admin_saves_through_an_action(
    service_desk: Team,
) -> None:
    from django.contrib import admin
    from django.test import RequestFactory

    from sopdesk.workforce.admin import _DeletedThroughActions, _SavedThroughActions
    from sopdesk.workforce.models import Absence, AgentProfile, Certification, Skill

    request = RequestFactory().get("/")
    request.user = factories.make_user("root-admin", role=Role.ADMIN)
    request.user.is_superuser = True
    allowed = {
        model: admin.site._registry[model].has_delete_permission(request)
        for model in (TeamAssignment, AgentProfile, Skill, Absence, Certification)
    }
    assert allowed == {TeamAssignment: False, AgentProfile: False, Skill: True, Absence: True, Certification: True}

    with pytest.raises(TypeError, match="define _save"):
        type("NoSave", (_SavedThroughActions,), {"__module__": __name__})
    with pytest.raises(TypeError, match="define _delete"):
        type("NoDelete", (_DeletedThroughActions,), {"__module__": __name__, "_save": lambda *a, **k: None})
