from __future__ import annotations

import json

import pytest

from conftest import ApiClientFactory
from sopdesk.accounts.models import User

pytestmark = pytest.mark.django_db


def test_requester_creates_and_reads_own_ticket(requester: User, agent: User, api_client: ApiClientFactory) -> None:
    client = api_client(requester)
    response = client.post(
        "/api/v1/tickets",
        data=json.dumps({"title": "VPN 连不上", "impact": "department", "urgency": "high", "category": "network-vpn"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("TS-")
    assert body["priority"] == "P2"
    assert body["team"]["code"] == "service-desk"
    detail = client.get(f"/api/v1/tickets/{body['number']}")
    assert detail.status_code == 200
    listing = api_client(agent).get("/api/v1/tickets")
    assert listing.json()["count"] == 1
