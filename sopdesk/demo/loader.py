"""Load the demo service desk in one transaction: directory first, then the tickets in order of arrival."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext as _

from sopdesk.accounts.models import User
from sopdesk.demo.casework import add_canned_responses, add_casework
from sopdesk.demo.channels import DemoChannels, add_channels
from sopdesk.demo.directory import DEMO_LOGINS, DEMO_PASSWORD, create_directory
from sopdesk.demo.kb import add_knowledge_base
from sopdesk.demo.routing import configure_routing
from sopdesk.demo.sla import catch_up_clocks, configure_sla
from sopdesk.demo.stories import plan_tickets, play
from sopdesk.demo.workforce import configure_workforce
from sopdesk.notifications.outbox import notifications_suppressed

DEFAULT_TICKET_COUNT = 200
DEFAULT_SEED = 20260101

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    details: str


def existing_demo_logins() -> list[str]:
    """Return the demo login names that already exist, sorted."""
    return sorted(User.objects.filter(username__in=DEMO_LOGINS).values_list("username", flat=True))


def load_demo(
    *, ticket_count: int, now: datetime, seed: int = DEFAULT_SEED, on_progress: ProgressCallback | None = None
) -> DemoChannels:
    """Create the demo organisations, teams, accounts and `ticket_count` tickets with their histories,
    then the channels' mailbox, phone calls and monitoring alerts; return what the channels added.

    Everything happens in one transaction, so a failed load leaves nothing behind and the next
    run starts afresh. The same `seed` and `now` give the same data.
    """
    rng = random.Random(seed)
    # Nobody needs mail about a made-up 60-day history.
    with transaction.atomic(), notifications_suppressed():
        directory = create_directory(password_hash=make_password(DEMO_PASSWORD))
        configure_sla(directory, now=now)
        plans = plan_tickets(directory, count=ticket_count, now=now, rng=rng)
        for done, plan in enumerate(plans, start=1):
            play(plan, directory, now=now, rng=rng)
            if on_progress is not None:
                on_progress(done, len(plans))
        add_canned_responses(directory, now=now)
        add_casework(now=now)
        channels = add_channels(directory, now=now, rng=rng)
        catch_up_clocks(now=now)
        configure_workforce(directory, now=now)
        configure_routing(directory, now=now)
        add_knowledge_base(directory, now=now)
    return channels


def demo_logins() -> list[DemoLogin]:
    """Return the demo logins that exist, in README order, with their role and what they work on."""
    users = {
        user.username: user
        for user in User.objects.filter(username__in=DEMO_LOGINS)
        .select_related("organization__customer_level")
        .prefetch_related("memberships__team")
    }
    return [
        DemoLogin(name, users[name].get_role_display(), _describe(users[name])) for name in DEMO_LOGINS if name in users
    ]


def _describe(user: User) -> str:
    parts: list[str] = []
    if user.is_superuser:
        parts.append(_("superuser"))
    teams = sorted(user.memberships.all(), key=lambda membership: membership.team.name)
    parts += [_("%(team)s (lead)") % {"team": m.team.name} if m.is_lead else m.team.name for m in teams]
    if user.is_requester and user.organization is not None:
        level = user.organization.customer_level
        parts.append(f"{user.organization.name} ({level.name})" if level else user.organization.name)
    elif user.sees_all_tickets and not user.is_superuser:
        parts.append(_("sees every ticket"))
    if user.is_staff:
        parts.append(_("admin site"))
    return ", ".join(parts)
