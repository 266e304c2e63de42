"""Routing a new ticket: rule order and conditions, specialist teams, fallbacks, the timeline sentence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sopdesk.accounts.choices import Role, TeamTier
from sopdesk.accounts.models import CustomerLevel, Team, User
from sopdesk.audit.models import ConfigChange
from sopdesk.notifications.models import Notification
from sopdesk.routing import actions
from sopdesk.routing.choices import RoutingEventKind
from sopdesk.routing.models import MajorIncident, RoutingRule
from sopdesk.routing.wording import routed_sentence
from sopdesk.testing import factories
from sopdesk.tickets.models import Category, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def admin(db: None) -> User:
    return factories.make_user("admin", role=Role.ADMIN)


@pytest.fixture
def network(db: None) -> Team:
    return factories.make_team("network", tier=TeamTier.SPECIALIST)


@pytest.fixture
def hardware(db: None) -> Team:
    return factories.make_team("hardware", tier=TeamTier.SPECIALIST)


def rule(admin: User, team: Team, *, position: int, **conditions: Any) -> RoutingRule:
    values: dict[str, Any] = {"position": position, "name": f"rule {position}", "team": team, **conditions}
    if isinstance(values.get("category"), str):
        values["category"] = Category.objects.get(code=values["category"])
    return actions.create_rule(actor=admin, values=values, now=NOW)


def create(requester: User, *, actor: User | None = None, category: str | None = None, **details: Any) -> Ticket:
    return factories.make_ticket(requester, actor=actor, category=category, now=NOW, **details)


def routed(ticket: Ticket) -> TicketEvent:
    return TicketEvent.objects.get(ticket=ticket, kind=RoutingEventKind.ROUTED)


def test_without_routing_configuration_the_built_in_default_applies_silently(
    requester: User, service_desk: Team
) -> None:
    ticket = create(requester)

    assert ticket.team == service_desk
    assert not TicketEvent.objects.filter(ticket=ticket, kind=RoutingEventKind.ROUTED).exists()


def test_when_no_rule_matches_a_ticket_goes_to_the_intake_team_and_says_so(
    requester: User, admin: User, service_desk: Team, network: Team
) -> None:
    rule(admin, network, position=1, channel="phone")

    ticket = create(requester)

    assert ticket.team == service_desk
    event = routed(ticket)
    assert event.is_internal
    assert event.data["basis"] == "intake"
    assert routed_sentence(event.data) == "Routed to Service Desk, the intake team (no rule matched)"
    # The explanation follows the creation entry.
    kinds = list(TicketEvent.objects.filter(ticket=ticket).order_by("pk").values_list("kind", flat=True))
    assert kinds[:2] == ["created", "routed"]


def test_the_first_matching_rule_wins_and_the_sentence_names_its_conditions(
    requester: User, admin: User, service_desk: Team, network: Team, hardware: Team
) -> None:
    rule(admin, hardware, position=1, category="hardware")
    rule(admin, network, position=3, category="network", priority="P2")
    rule(admin, hardware, position=5, category="network")

    ticket = create(requester, category="network-vpn", impact="department", urgency="high")

    assert (ticket.priority, ticket.team) == ("P2", network)
    assert (
        routed_sentence(routed(ticket).data) == "Routed to Network by rule 3 (rule 3): category network & priority P2"
    )
    # A ticket that fails rule 3's priority falls through to rule 5.
    assert create(requester, category="network-vpn", impact="single_user", urgency="low").team == hardware


@pytest.mark.parametrize(
    ("condition", "matching", "other"),
    [
        ({"ticket_type": "requirement"}, {"ticket_type": "requirement"}, {"ticket_type": "fault"}),
        ({"channel": "phone"}, {"channel": "phone"}, {"channel": "web"}),
        ({"keywords": "outage, 断网"}, {"title": "整栋楼断网了"}, {"title": "Printer jam"}),
        ({"keywords": "outage"}, {"description": "Total OUTAGE on floor 2"}, {"description": "slow"}),
    ],
)
def test_each_condition_decides(
    requester: User, admin: User, service_desk: Team, network: Team, condition: dict, matching: dict, other: dict
) -> None:
    rule(admin, network, position=1, **condition)

    assert create(requester, **matching).team == network
    assert create(requester, **other).team == service_desk


def test_difficulty_and_customer_level_conditions(
    requester: User, agent: User, admin: User, service_desk: Team, network: Team
) -> None:
    vip = CustomerLevel.objects.create(code="vip-test", name="VIP test")
    rule(admin, network, position=1, min_difficulty=3)
    rule(admin, network, position=2, customer_level=vip)

    assert create(requester, actor=agent, difficulty=3).team == network
    assert create(requester, actor=agent, difficulty=2).team == service_desk
    org = requester.organization
    assert org is not None
    org.customer_level = vip
    org.save(update_fields=["customer_level"])
    requester.refresh_from_db()
    ticket = create(requester)
    assert ticket.team == network
    assert routed(ticket).data["conditions"] == [["customer_level", "vip-test"]]


def test_inactive_rules_and_rules_to_inactive_teams_are_skipped(
    requester: User, admin: User, service_desk: Team, network: Team, hardware: Team
) -> None:
    first = rule(admin, network, position=1, category="network")
    rule(admin, hardware, position=2, category="network")
    actions.update_rule(first, actor=admin, changes={"is_active": False}, now=NOW)

    assert create(requester, category="network").team == hardware

    hardware.is_active = False
    hardware.save(update_fields=["is_active"])
    assert create(requester, category="network").team == service_desk


def test_difficulty_two_goes_to_the_specialist_team_of_the_category_or_its_parent(
    requester: User, agent: User, admin: User, service_desk: Team, network: Team
) -> None:
    actions.set_specialist_team(Category.objects.get(code="network"), team=network, actor=admin, now=NOW)

    assert create(requester, actor=agent, category="network-vpn", difficulty=1).team == service_desk
    ticket = create(requester, actor=agent, category="network-vpn", difficulty=2)
    assert ticket.team == network
    assert routed(ticket).data["basis"] == "specialist"
    assert "specialist" in routed_sentence(routed(ticket).data)


def test_the_category_default_team_comes_before_the_intake_team(
    requester: User, admin: User, service_desk: Team, hardware: Team, network: Team
) -> None:
    rule(admin, network, position=1, channel="phone")
    category = Category.objects.get(code="hardware")
    category.default_team = hardware
    category.save(update_fields=["default_team"])

    ticket = create(requester, category="hardware")

    assert ticket.team == hardware
    assert routed(ticket).data["basis"] == "category"


def test_difficulty_four_flags_a_major_incident_and_tells_the_leads_and_managers(
    requester: User, agent: User, team_lead: User, manager: User, service_desk: Team
) -> None:
    ticket = create(requester, actor=agent, difficulty=4)

    assert MajorIncident.objects.filter(ticket=ticket).exists()
    assert TicketEvent.objects.filter(ticket=ticket, kind=RoutingEventKind.MAJOR_INCIDENT).count() == 1
    told = set(Notification.objects.filter(ticket=ticket).values_list("recipient__username", flat=True))
    assert {"lead", "manager"} <= told
    assert not MajorIncident.objects.filter(ticket=create(requester, actor=agent, difficulty=3)).exists()


def test_difficulty_raised_to_four_later_flags_the_ticket_once(
    requester: User, agent: User, manager: User, service_desk: Team
) -> None:
    from sopdesk.tickets.actions import edit_ticket_details

    ticket = create(requester)
    assert not MajorIncident.objects.filter(ticket=ticket).exists()

    edit_ticket_details(ticket, actor=agent, changes={"difficulty": 4}, now=NOW)
    edit_ticket_details(ticket, actor=agent, changes={"difficulty": 3}, now=NOW)
    edit_ticket_details(ticket, actor=agent, changes={"difficulty": 4}, now=NOW)

    assert MajorIncident.objects.filter(ticket=ticket).count() == 1
    assert TicketEvent.objects.filter(ticket=ticket, kind=RoutingEventKind.MAJOR_INCIDENT).count() == 1
    assert Notification.objects.filter(ticket=ticket, recipient=manager).count() == 1


def test_rule_changes_are_audited_and_reach_the_next_creation(
    requester: User, admin: User, service_desk: Team, network: Team
) -> None:
    assert create(requester, category="network").team == service_desk  # fills the cache
    created = rule(admin, network, position=1, category="network")
    assert create(requester, category="network").team == network

    actions.delete_rule(created, actor=admin, now=NOW)

    assert create(requester, category="network").team == service_desk
    operations = list(
        ConfigChange.objects.filter(object_type="routing.routingrule")
        .order_by("pk")
        .values_list("operation", flat=True)
    )
    assert operations == ["created", "deleted"]


def test_an_unchanged_rule_set_is_not_read_again(
    requester: User, admin: User, service_desk: Team, network: Team
) -> None:
    rule(admin, network, position=1, keywords="vpn")
    create(requester)

    with CaptureQueriesContext(connection) as context:
        create(requester)

    assert not any('"routing_routingrule"' in query["sql"] for query in context.captured_queries)


def test_only_administrators_change_rules(agent: User, manager: User, network: Team) -> None:
    from sopdesk.core.errors import PermissionRefused

    for user in (agent, manager):
        with pytest.raises(PermissionRefused):
            actions.create_rule(actor=user, values={"position": 1, "name": "x", "team": network}, now=NOW)


def test_a_rule_needs_a_position_a_name_and_an_active_team(admin: User, network: Team) -> None:
    from sopdesk.core.validation import ValidationFailed

    with pytest.raises(ValidationFailed) as missing:
        actions.create_rule(actor=admin, values={"name": ""}, now=NOW)
    assert set(missing.value.errors) == {"position", "name", "team"}
    network.is_active = False
    network.save(update_fields=["is_active"])
    with pytest.raises(ValidationFailed) as inactive:
        actions.create_rule(actor=admin, values={"position": 1, "name": "x", "team": network}, now=NOW)
    assert set(inactive.value.errors) == {"team"}
