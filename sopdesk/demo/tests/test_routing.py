"""The demo's routing: rules and a specialist team made through the audited actions, explained on new tickets."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from pytest_django import Settings

from sopdesk.accounts.models import User
from sopdesk.audit.models import ConfigChange
from sopdesk.routing.choices import RoutingEventKind
from sopdesk.routing.models import CategorySpecialist, RoutingRule
from sopdesk.testing import factories

pytestmark = pytest.mark.django_db


def test_a_new_demo_ticket_about_the_vpn_is_routed_to_the_network_team_and_says_why(settings: Settings) -> None:
    settings.SOPDESK_DEMO_MODE = True
    call_command("loaddemo", "--tickets", "10", stdout=StringIO())

    assert RoutingRule.objects.count() == 2
    assert CategorySpecialist.objects.filter(category__code="software-business", team__code="rnd").exists()
    assert ConfigChange.objects.filter(object_type__startswith="routing.", actor__username="admin").count() == 3

    ticket = factories.make_ticket(User.objects.get(username="alice"), title="VPN 连不上 since this morning")

    assert ticket.team is not None
    assert ticket.team.code == "network"
    explanation = ticket.events.get(kind=RoutingEventKind.ROUTED)
    assert "网络关键词 Network words" in str(explanation.data) + explanation.body
