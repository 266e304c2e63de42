"""The demo's workforce: profiles, certifications and strategies made through the audited actions."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from pytest_django import Settings

from sopdesk.accounts.models import Team, TeamMembership, User
from sopdesk.audit.models import ConfigChange
from sopdesk.testing import factories
from sopdesk.workforce.models import AgentProfile, Certification, TeamAssignment
from sopdesk.workforce.queries import team_board

pytestmark = pytest.mark.django_db


def test_the_demo_staff_work_under_capacity_and_new_tickets_are_assigned_automatically(settings: Settings) -> None:
    settings.SOPDESK_DEMO_MODE = True
    call_command("loaddemo", "--tickets", "20", stdout=StringIO())

    staff = set(TeamMembership.objects.values_list("user_id", flat=True))
    assert set(AgentProfile.objects.values_list("pk", flat=True)) == staff
    assert set(Certification.objects.values_list("agent_id", flat=True)) == staff
    assert TeamAssignment.objects.count() == Team.objects.count()
    assert {change.actor.username for change in ConfigChange.objects.filter(object_type__startswith="workforce.")} == {
        "admin"
    }
    desk = Team.objects.get(code="service-desk")
    assert len(team_board(desk, now=timezone.now()).rows) == desk.memberships.count()

    ticket = factories.make_ticket(User.objects.get(username="alice"), title="Printer jams again")

    assert ticket.team == desk
    assert ticket.assignee is not None
    assert ticket.events.filter(kind="auto_assigned").exists()
