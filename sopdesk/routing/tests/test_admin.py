"""The routing admin: rules and specialist teams save and delete through the actions (audited)."""

from __future__ import annotations

import pytest
from django.test import Client

from sopdesk.accounts.choices import Role, TeamTier
from sopdesk.accounts.models import Team
from sopdesk.audit.models import ConfigChange
from sopdesk.routing.models import CategorySpecialist, RoutingRule
from sopdesk.testing import factories
from sopdesk.tickets.models import Category

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(db: None) -> Client:
    admin = factories.make_user("root", role=Role.ADMIN)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def network(db: None) -> Team:
    return factories.make_team("network", tier=TeamTier.SPECIALIST)


def _rule_form(network: Team, **changes: object) -> dict[str, object]:
    category = Category.objects.get(code="network")
    return {
        "position": 2,
        "name": "Network",
        "is_active": "on",
        "category": category.pk,
        "team": network.pk,
        "keywords": "",
        "ticket_type": "",
        "channel": "",
        "priority": "P2",
        "min_difficulty": "",
        **changes,
    }


def test_an_admin_adds_changes_and_deletes_a_rule_through_the_actions(admin_client: Client, network: Team) -> None:
    added = admin_client.post("/admin/routing/routingrule/add/", _rule_form(network))
    assert added.status_code == 302, added.content.decode()[:2000]
    rule = RoutingRule.objects.get()
    assert (rule.position, rule.priority) == (2, "P2")

    changed = admin_client.post(f"/admin/routing/routingrule/{rule.pk}/change/", _rule_form(network, priority=""))
    assert changed.status_code == 302
    rule.refresh_from_db()
    assert rule.priority == ""

    deleted = admin_client.post(f"/admin/routing/routingrule/{rule.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert not RoutingRule.objects.exists()
    operations = ConfigChange.objects.filter(object_type="routing.routingrule").order_by("pk")
    assert [change.operation for change in operations] == ["created", "changed", "deleted"]


def test_a_refused_rule_shows_the_actions_message_next_to_the_field(admin_client: Client, network: Team) -> None:
    network.is_active = False
    network.save(update_fields=["is_active"])

    page = admin_client.post("/admin/routing/routingrule/add/", _rule_form(network))

    assert page.status_code == 200
    assert "This team is inactive." in page.content.decode()
    assert not RoutingRule.objects.exists()


def test_an_admin_sets_a_specialist_team(admin_client: Client, network: Team) -> None:
    category = Category.objects.get(code="network")

    added = admin_client.post("/admin/routing/categoryspecialist/add/", {"category": category.pk, "team": network.pk})

    assert added.status_code == 302
    assert CategorySpecialist.objects.get().team == network
    assert ConfigChange.objects.filter(object_type="routing.categoryspecialist").count() == 1
