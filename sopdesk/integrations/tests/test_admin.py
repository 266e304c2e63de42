"""The admin pages of robots and webhooks: saved through the audited actions, secrets never shown back."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from sopdesk.accounts.models import Team, User
from sopdesk.audit.models import ConfigChange
from sopdesk.integrations.models import ChatRobot, Webhook

pytestmark = pytest.mark.django_db
ROBOT_URL = "https://oapi.dingtalk.com/robot/send?access_token=token-abc-123"


@pytest.fixture
def root_client() -> Client:
    root = User.objects.create_superuser("root", "root@example.com", "pw-root-123")
    client = Client()
    client.force_login(root)
    return client


def robot_form(team: Team, **overrides: str | list[str]) -> dict[str, str | list[str]]:
    return {
        "name": "Network DingTalk",
        "team": str(team.pk),
        "platform": "dingtalk",
        "webhook_url": ROBOT_URL,
        "secret": "SECsecret-xyz",
        "events": ["ticket_created", "sla_breached"],
        "is_active": "on",
        **overrides,
    }


def test_a_robot_added_in_the_admin_is_audited_and_its_secrets_are_never_shown(
    root_client: Client, service_desk: Team
) -> None:
    answer = root_client.post(reverse("admin:integrations_chatrobot_add"), robot_form(service_desk))
    assert answer.status_code == 302, answer.content.decode()[:2000]
    robot = ChatRobot.objects.get()
    assert (robot.webhook_url, robot.secret, robot.events) == (
        ROBOT_URL,
        "SECsecret-xyz",
        ["ticket_created", "sla_breached"],
    )
    assert ConfigChange.objects.filter(object_type="integrations.chatrobot").count() == 1
    for page in (
        root_client.get(reverse("admin:integrations_chatrobot_change", args=[robot.pk])),
        root_client.get(reverse("admin:integrations_chatrobot_changelist")),
        root_client.get(reverse("admin:audit_configchange_changelist")),
    ):
        assert page.status_code == 200
        assert "token-abc-123" not in page.content.decode()
        assert "SECsecret-xyz" not in page.content.decode()


def test_saving_a_robot_with_empty_secret_fields_keeps_them(root_client: Client, service_desk: Team) -> None:
    root_client.post(reverse("admin:integrations_chatrobot_add"), robot_form(service_desk))
    robot = ChatRobot.objects.get()
    answer = root_client.post(
        reverse("admin:integrations_chatrobot_change", args=[robot.pk]),
        robot_form(service_desk, name="Renamed", webhook_url="", secret=""),
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    robot.refresh_from_db()
    assert (robot.name, robot.webhook_url, robot.secret) == ("Renamed", ROBOT_URL, "SECsecret-xyz")


def test_an_internal_webhook_url_is_refused_next_to_the_field(root_client: Client, settings: object) -> None:
    settings.SOPDESK_OUTBOUND_ALLOW = []  # type: ignore[attr-defined]
    answer = root_client.post(
        reverse("admin:integrations_webhook_add"),
        {
            "name": "Metadata",
            "url": "http://169.254.169.254/latest/",
            "secret": "s",
            "events": ["ticket_created"],
            "is_active": "on",
        },
    )
    assert answer.status_code == 200
    assert "link-local" in answer.content.decode()
    assert not Webhook.objects.exists()
