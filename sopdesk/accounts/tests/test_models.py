"""Roles and what they imply, organisations, teams and stored token facts."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError

from sopdesk.accounts.choices import ALL_TICKETS_ROLES, READ_ONLY_ROLES, TEAM_ROLES, Role
from sopdesk.accounts.models import (
    ApiToken,
    CustomerLevel,
    Department,
    Organization,
    Team,
    TeamMembership,
    User,
    hash_token,
)
from sopdesk.testing import factories

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def user(role: Role = Role.REQUESTER, *, is_superuser: bool = False, is_active: bool = True) -> User:
    return User(username="u", role=role, is_superuser=is_superuser, is_active=is_active)


@pytest.mark.parametrize("role", list(Role))
def test_only_the_requester_role_is_a_requester(role: Role) -> None:
    assert user(role).is_requester is (role == Role.REQUESTER)
    assert user(role).is_agent_staff is (role != Role.REQUESTER)


def test_a_superuser_is_never_treated_as_a_requester() -> None:
    root = user(Role.REQUESTER, is_superuser=True)
    assert not root.is_requester
    assert root.is_agent_staff
    assert root.sees_all_tickets


def test_inactive_staff_are_not_staff() -> None:
    assert not user(Role.AGENT, is_active=False).is_agent_staff


@pytest.mark.parametrize("role", list(Role))
def test_managers_admins_and_auditors_see_all_tickets(role: Role) -> None:
    assert user(role).sees_all_tickets is (role in {Role.MANAGER, Role.ADMIN, Role.QA_AUDITOR})


@pytest.mark.parametrize("role", list(Role))
def test_only_auditors_are_read_only(role: Role) -> None:
    assert user(role).is_read_only is (role == Role.QA_AUDITOR)


def test_a_superuser_auditor_may_still_write() -> None:
    assert not user(Role.QA_AUDITOR, is_superuser=True).is_read_only


def test_role_groups_do_not_overlap_where_they_must_not() -> None:
    assert Role.REQUESTER not in TEAM_ROLES | ALL_TICKETS_ROLES
    assert READ_ONLY_ROLES <= ALL_TICKETS_ROLES
    assert TEAM_ROLES.isdisjoint(ALL_TICKETS_ROLES)


def test_a_user_is_shown_by_display_name_then_full_name_then_username() -> None:
    person = User(username="lilei", first_name="Lei", last_name="Li")
    assert str(person) == "Lei Li"
    person.display_name = "李雷"
    assert str(person) == "李雷"
    assert str(User(username="hanmeimei")) == "hanmeimei"


@pytest.mark.django_db
def test_a_superuser_gets_the_admin_role() -> None:
    root = User.objects.create_superuser("root", "root@example.com", "pw")
    assert (root.role, root.is_superuser, root.is_staff) == (Role.ADMIN, True, True)


@pytest.mark.django_db
def test_customer_levels_are_seeded_with_vip_one_step_above_standard() -> None:
    levels = dict(CustomerLevel.objects.values_list("code", "priority_boost"))
    assert levels["vip"] == 1
    assert levels["standard"] == 0


@pytest.mark.django_db
def test_department_names_are_unique_within_an_organisation() -> None:
    org_a, org_b = factories.make_organization("A"), factories.make_organization("B")
    Department.objects.create(organization=org_a, name="Finance")
    Department.objects.create(organization=org_b, name="Finance")
    with pytest.raises(IntegrityError):
        Department.objects.create(organization=org_a, name="Finance")


@pytest.mark.django_db
def test_a_user_is_a_member_of_a_team_at_most_once(agent: User, service_desk: Team) -> None:
    with pytest.raises(IntegrityError):
        TeamMembership.objects.create(team=service_desk, user=agent)


@pytest.mark.django_db
def test_a_team_lead_is_a_member_marked_as_lead(team_lead: User, service_desk: Team) -> None:
    membership = TeamMembership.objects.get(user=team_lead)
    assert (membership.team, membership.is_lead) == (service_desk, True)
    assert list(service_desk.members.all()) == [team_lead]


@pytest.mark.django_db
def test_records_read_well_in_lists(org_a: Organization, service_desk: Team) -> None:
    finance = Department.objects.create(organization=org_a, name="Finance")
    assert str(org_a) == "Org A"
    assert str(finance) == "Org A / Finance"
    assert str(service_desk) == "Service Desk"
    assert str(CustomerLevel.objects.get(code="vip")) == "VIP"


def test_tokens_are_stored_as_their_sha256_hex_digest() -> None:
    assert hash_token("sdk_abc") == hashlib.sha256(b"sdk_abc").hexdigest()
    assert len(hash_token("x")) == 64


@pytest.mark.parametrize(
    ("expires_in", "revoked", "usable"),
    [
        (timedelta(seconds=1), False, True),
        (timedelta(0), False, False),
        (timedelta(seconds=-1), False, False),
        (timedelta(days=1), True, False),
    ],
)
def test_a_token_is_usable_until_it_expires_or_is_revoked(expires_in: timedelta, revoked: bool, usable: bool) -> None:
    token = ApiToken(expires_at=NOW + expires_in, revoked_at=NOW if revoked else None)
    assert token.is_usable(now=NOW) is usable
