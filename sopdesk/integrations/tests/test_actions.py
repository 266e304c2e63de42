"""Configuring robots and webhooks: administrators only, audited, secrets write-only, internal URLs refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from sopdesk.accounts.models import Team, User
from sopdesk.audit.models import ConfigChange
from sopdesk.core.errors import ActionError, PermissionRefused
from sopdesk.integrations.actions import create_chat_robot, create_webhook, update_chat_robot, update_webhook
from sopdesk.integrations.models import ChatRobot

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ROBOT_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=robot-key-123"


def robot_values(team: Team, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "Service desk WeCom",
        "team": team,
        "platform": "wecom",
        "webhook_url": ROBOT_URL,
        "secret": "",
        "events": ["ticket_created"],
        **overrides,
    }


def audit_text() -> str:
    return json.dumps([[c.before, c.after, c.object_repr] for c in ConfigChange.objects.all()], ensure_ascii=False)


def test_creating_a_robot_is_audited_without_its_url_or_secret(admin_user: User, service_desk: Team) -> None:
    robot = create_chat_robot(
        actor=admin_user, values=robot_values(service_desk, platform="dingtalk", secret="SECabc"), now=NOW
    )
    change = ConfigChange.objects.get(object_type="integrations.chatrobot", object_id=str(robot.pk))
    assert change.actor == admin_user
    assert change.after["name"] == "Service desk WeCom"
    assert change.after["webhook_url"] == "changed"
    assert change.after["secret"] == "changed"
    assert "robot-key-123" not in audit_text()
    assert "SECabc" not in audit_text()


def test_a_changed_secret_is_recorded_as_changed_and_a_left_out_one_is_kept(
    admin_user: User, service_desk: Team
) -> None:
    robot = create_chat_robot(actor=admin_user, values=robot_values(service_desk, secret="first"), now=NOW)
    update_chat_robot(robot, actor=admin_user, changes={"name": "Renamed", "secret": None, "webhook_url": ""}, now=NOW)
    robot.refresh_from_db()
    assert (robot.name, robot.secret, robot.webhook_url) == ("Renamed", "first", ROBOT_URL)
    last = ConfigChange.objects.order_by("-pk").first()
    assert last is not None
    assert last.after == {"name": "Renamed"}
    update_chat_robot(robot, actor=admin_user, changes={"secret": "second"}, now=NOW)
    last = ConfigChange.objects.order_by("-pk").first()
    assert last is not None
    assert last.after == {"secret": "changed"}
    assert "second" not in audit_text()


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.8/hook", "http://169.254.169.254/latest/meta-data/", "ftp://example.com/x", "http://[::1]/x"],
)
def test_an_internal_or_odd_url_is_refused_when_configured(
    admin_user: User, service_desk: Team, url: str, settings: Any
) -> None:
    settings.SOPDESK_OUTBOUND_ALLOW = []
    with pytest.raises(ActionError) as refused:
        create_chat_robot(actor=admin_user, values=robot_values(service_desk, webhook_url=url), now=NOW)
    assert refused.value.field == "webhook_url"
    with pytest.raises(ActionError) as refused:
        create_webhook(actor=admin_user, values={"name": "x", "url": url, "secret": "s", "events": []}, now=NOW)
    assert refused.value.field == "url"
    assert not ChatRobot.objects.exists()


def test_unknown_events_and_a_webhook_without_secret_are_refused(admin_user: User, service_desk: Team) -> None:
    with pytest.raises(ActionError) as refused:
        create_chat_robot(actor=admin_user, values=robot_values(service_desk, events=["lunch"]), now=NOW)
    assert refused.value.field == "events"
    with pytest.raises(ActionError) as refused:
        create_webhook(
            actor=admin_user, values={"name": "x", "url": "https://example.com/h", "secret": "", "events": []}, now=NOW
        )
    assert refused.value.field == "secret"


@pytest.mark.parametrize("persona", ["agent", "team_lead", "manager", "requester", "auditor"])
def test_only_administrators_configure(persona: str, service_desk: Team, admin_user: User, request: Any) -> None:
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionRefused):
        create_chat_robot(actor=user, values=robot_values(service_desk), now=NOW)
    hook = create_webhook(
        actor=admin_user, values={"name": "x", "url": "https://example.com/h", "secret": "s", "events": []}, now=NOW
    )
    with pytest.raises(PermissionRefused):
        update_webhook(hook, actor=user, changes={"is_active": False}, now=NOW)
