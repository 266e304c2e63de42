"""Typed factory functions that build test data through the real models and actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from sopdesk.accounts.choices import RequesterType, Role, TeamTier
from sopdesk.accounts.models import CustomerLevel, Organization, Team, TeamMembership, User
from sopdesk.tickets.actions import TicketDraft, create_ticket
from sopdesk.tickets.models import Category, Ticket

PASSWORD = "correct-horse-battery"  # noqa: S105  (test fixture)


def make_user(
    username: str,
    *,
    role: Role = Role.REQUESTER,
    organization: Organization | None = None,
    teams: list[Team] | None = None,
    lead_of: list[Team] | None = None,
    email: str | None = None,
) -> User:
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        email=email if email is not None else f"{username}@example.com",
        role=role,
        organization=organization,
        requester_type=(
            RequesterType.CUSTOMER if organization and not organization.is_internal else RequesterType.INTERNAL
        ),
    )
    for team in teams or []:
        TeamMembership.objects.create(team=team, user=user)
    for team in lead_of or []:
        TeamMembership.objects.update_or_create(team=team, user=user, defaults={"is_lead": True})
    return user


def make_team(code: str, *, is_intake: bool = False, tier: TeamTier = TeamTier.FIRST_LINE) -> Team:
    return Team.objects.create(code=code, name=code.replace("-", " ").title(), is_intake=is_intake, tier=tier)


def make_organization(name: str, *, level: str | None = "standard", shares_tickets: bool = False) -> Organization:
    customer_level = CustomerLevel.objects.get(code=level) if level else None
    return Organization.objects.create(name=name, customer_level=customer_level, shares_tickets=shares_tickets)


def make_ticket(
    requester: User,
    *,
    actor: User | None = None,
    title: str = "Printer on floor 3 prints blank pages",
    category: str | None = None,
    now: datetime | None = None,
    **details: Any,
) -> Ticket:
    draft = TicketDraft(
        details={"title": title, "description": details.pop("description", "It started this morning."), **details},
        category=Category.objects.get(code=category) if category else None,
    )
    return create_ticket(actor=actor or requester, requester=requester, draft=draft, now=now or timezone.now())
