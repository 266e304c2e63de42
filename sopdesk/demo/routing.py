"""The demo's routing: two rules and a specialist team, so that new demo tickets explain where they went.

Set after the ticket histories are played, like the workforce: the stories keep their teams, and
tickets created in the demo from then on are routed by these rules (docs/routing.md).
"""

from __future__ import annotations

from datetime import datetime

from sopdesk.demo.directory import Directory
from sopdesk.routing import actions
from sopdesk.tickets.models import Category

# Keywords in either language: requesters write both.
NETWORK_WORDS = "VPN, Wi-Fi, WiFi, 无线, 网络, 断网"
SERVER_WORDS = "server, 服务器, 宕机, outage"


def configure_routing(directory: Directory, *, now: datetime) -> None:
    """Route network words to the network team, server trouble to second line; business software's
    harder tickets (difficulty 2 and up) to R&D."""
    admin = directory.users["admin"]
    rules = [
        {
            "position": 1,
            "name": "网络关键词 Network words",
            "team": directory.teams["network"],
            "keywords": NETWORK_WORDS,
        },
        {
            "position": 2,
            "name": "服务器故障 Server trouble",
            "team": directory.teams["second-line"],
            "keywords": SERVER_WORDS,
        },
    ]
    for values in rules:
        actions.create_rule(actor=admin, values=values, now=now)
    business = Category.objects.filter(code="software-business").first()
    if business is not None:
        actions.set_specialist_team(business, team=directory.teams["rnd"], actor=admin, now=now)
