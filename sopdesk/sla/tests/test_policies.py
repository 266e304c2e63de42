"""Which policy measures a ticket: first active match by explicit order."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import CustomerLevel, User
from sopdesk.sla import config
from sopdesk.sla.models import Calendar, SlaPolicy
from sopdesk.sla.policies import TicketFacts, category_lineage, first_matching, policy_for
from sopdesk.testing.factories import make_organization, make_ticket, make_user
from sopdesk.tickets.choices import Channel, Priority
from sopdesk.tickets.models import Category

pytestmark = pytest.mark.django_db

P3 = {"impact": "single_user", "urgency": "high"}


def office() -> Calendar:
    return Calendar.objects.get(code="office")


def test_seeded_policies_follow_the_mission_defaults() -> None:
    targets = {
        policy.priority: (
            policy.assignment_minutes,
            policy.first_response_minutes,
            policy.resolution_minutes,
            policy.calendar.code,
        )
        for policy in SlaPolicy.objects.select_related("calendar")
    }
    assert targets == {
        "P1": (5, 15, 120, "24x7"),
        "P2": (15, 30, 240, "office"),
        "P3": (15, 240, 450, "office"),
        "P4": (30, 480, 1350, "office"),
    }
    assert SlaPolicy.objects.get(priority="P1").update_interval_minutes == 30


def test_seeded_office_calendar_knows_national_day_and_make_up_days() -> None:
    dates = {row.date.isoformat(): row.kind for row in office().dates.all()}
    assert dates["2026-10-01"] == "holiday"
    assert dates["2026-10-10"] == "working_day"
    assert dates["2025-10-01"] == "holiday"
    assert office().intervals.count() == 10


def test_the_first_policy_in_order_wins(requester: User) -> None:
    vip = SlaPolicy.objects.create(
        name="VPN first",
        order=1,
        priority=Priority.P3,
        calendar=office(),
        category=Category.objects.get(code="network"),
    )
    ticket = make_ticket(requester, category="network-vpn", **P3)
    assert policy_for(ticket) == vip
    vip.order = 999
    vip.save()
    assert policy_for(ticket) == SlaPolicy.objects.get(priority="P3", order=30)


def test_inactive_policies_never_match(requester: User) -> None:
    for policy in SlaPolicy.objects.filter(priority=Priority.P3):
        policy.is_active = False
        policy.save(update_fields=["is_active"])
    assert policy_for(make_ticket(requester, **P3)) is None


def test_customer_level_narrows_a_policy() -> None:
    gold = CustomerLevel.objects.get(code="vip")
    special = SlaPolicy.objects.create(
        name="VIP", order=1, priority=Priority.P2, calendar=office(), customer_level=gold
    )
    vip_user = make_user("vipuser", organization=make_organization("VIP Co", level="vip"))
    standard_user = make_user("plain", organization=make_organization("Plain Co", level="standard"))
    # The VIP boost turns single-user/high (P3) into P2.
    vip_ticket = make_ticket(vip_user, **P3)
    assert vip_ticket.priority == Priority.P2
    assert policy_for(vip_ticket) == special
    plain_ticket = make_ticket(standard_user, impact="single_user", urgency="critical")
    assert plain_ticket.priority == Priority.P2
    assert policy_for(plain_ticket) != special


def test_channel_narrows_a_policy(requester: User) -> None:
    phone = SlaPolicy.objects.create(
        name="Phone", order=1, priority=Priority.P3, calendar=office(), channel=Channel.PHONE
    )
    assert policy_for(make_ticket(requester, channel=Channel.PHONE, **P3)) == phone
    assert policy_for(make_ticket(requester, channel=Channel.WEB, **P3)) != phone


def test_category_lineage_walks_up_to_the_root_and_survives_cycles() -> None:
    assert category_lineage(3, {3: 2, 2: 1, 1: None}) == frozenset({1, 2, 3})
    assert category_lineage(None, {}) == frozenset()
    assert category_lineage(1, {1: 2, 2: 1}) == frozenset({1, 2})


def test_first_matching_checks_every_criterion() -> None:
    calendar = Calendar(pk=1)
    policies = [
        SlaPolicy(pk=1, priority="P2", calendar=calendar, is_active=True),
        SlaPolicy(pk=2, priority="P3", calendar=calendar, is_active=True, category_id=9),
        SlaPolicy(pk=3, priority="P3", calendar=calendar, is_active=True, channel="phone"),
        SlaPolicy(pk=4, priority="P3", calendar=calendar, is_active=True, customer_level_id=5),
        SlaPolicy(pk=5, priority="P3", calendar=calendar, is_active=True),
    ]
    facts = TicketFacts(priority="P3", customer_level_id=6, category_ids=frozenset({1}), channel="web")
    assert first_matching(policies, facts) == policies[4]
    facts = TicketFacts(priority="P3", customer_level_id=5, category_ids=frozenset({9, 1}), channel="phone")
    assert first_matching(policies, facts) == policies[1]


# --- the per-process cache: every change reaches the next ticket ------------------------------

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Beijing, office hours


@pytest.fixture
def admin(db: None) -> User:
    return make_user("admin", role=Role.ADMIN)


def test_a_policy_changed_after_a_creation_measures_the_next_ticket(requester: User, admin: User) -> None:
    assert make_ticket(requester, now=NOW, **P3).sla.assignment_target_minutes == 15  # fills the cache

    config.update_policy(SlaPolicy.objects.get(priority="P3"), changes={"assignment_minutes": 45}, actor=admin, now=NOW)

    assert make_ticket(requester, now=NOW, **P3).sla.assignment_target_minutes == 45


def test_escalation_rules_replaced_after_a_creation_are_watched_for_the_next_ticket(
    requester: User, admin: User
) -> None:
    p3 = SlaPolicy.objects.get(priority="P3")
    config.replace_escalation_rules(p3, [], actor=admin, now=NOW)
    first = make_ticket(requester, now=NOW, **P3).sla

    config.replace_escalation_rules(
        p3, [config.RuleSpec(metric="assignment", offset_minutes=-10)], actor=admin, now=NOW
    )
    second = make_ticket(requester, now=NOW, **P3).sla

    # The rule fires 10 business minutes before the assignment is due, earlier than its 75 % warning.
    assert first.next_check_at is not None
    assert second.next_check_at is not None
    assert second.next_check_at == second.assignment_due_at - timedelta(minutes=10)
    assert first.next_check_at > first.assignment_due_at - timedelta(minutes=10)


def test_a_category_moved_under_a_parent_after_a_creation_matches_the_parents_policy(requester: User) -> None:
    vpn, network = Category.objects.get(code="network-vpn"), Category.objects.get(code="network")
    vpn.parent = None
    vpn.save(update_fields=["parent"])
    special = SlaPolicy.objects.create(
        name="Network", order=1, priority=Priority.P3, calendar=office(), category=network
    )
    assert make_ticket(requester, category="network-vpn", now=NOW, **P3).sla.policy != special

    vpn.parent = network
    vpn.save(update_fields=["parent"])

    assert make_ticket(requester, category="network-vpn", now=NOW, **P3).sla.policy == special


def test_new_office_hours_after_a_creation_set_the_next_tickets_due_instants(requester: User, admin: User) -> None:
    assert make_ticket(requester, now=NOW, **P3).sla.assignment_due_at == NOW + timedelta(minutes=15)

    # From now on the office opens at 11:00 (Beijing): the 15 minutes start an hour later.
    later_hours = [(day, time(11, 0), time(18, 0)) for day in range(5)]
    config.replace_working_hours(office(), later_hours, actor=admin, now=NOW)

    assert make_ticket(requester, now=NOW, **P3).sla.assignment_due_at == NOW + timedelta(minutes=75)
