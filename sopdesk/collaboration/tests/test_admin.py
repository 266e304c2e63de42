from __future__ import annotations

import pytest
from django.test import Client

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.audit.models import ConfigChange
from sopdesk.collaboration.models import TeamCollaborationSettings
from sopdesk.testing import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db: None) -> User:
    user = factories.make_user("admin", role=Role.ADMIN)
    user.is_staff = True
    user.is_superuser = True
    user.save()
    return user


def test_an_admin_sets_a_teams_acceptance_days_through_the_audited_action(admin_user: User, second_line: Team) -> None:
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        "/admin/collaboration/teamcollaborationsettings/add/",
        {"team": second_line.pk, "calendar": "", "acceptance_working_days": "2"},
    )
    assert response.status_code == 302, response.content[:2000]
    assert TeamCollaborationSettings.objects.get(team=second_line).acceptance_working_days == 2
    assert ConfigChange.objects.filter(object_type="collaboration.teamcollaborationsettings").count() == 1
    refused = client.post(
        f"/admin/collaboration/teamcollaborationsettings/{second_line.pk}/change/",
        {"calendar": "", "acceptance_working_days": "0"},
    )
    assert refused.status_code == 200
    assert TeamCollaborationSettings.objects.get(team=second_line).acceptance_working_days == 2


def test_the_request_list_opens_for_an_admin(admin_user: User) -> None:
    client = Client()
    client.force_login(admin_user)
    assert client.get("/admin/collaboration/collaborationrequest/").status_code == 200
