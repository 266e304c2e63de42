"""Chat robots and webhooks end to end: a ticket change, the outbox, a receiver checking each platform's signature."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from sopdesk.accounts.models import Team, User
from sopdesk.integrations.actions import create_chat_robot, create_webhook, update_chat_robot
from sopdesk.integrations.choices import IntegrationEvent
from sopdesk.integrations.models import ChatRobot, Webhook
from sopdesk.notifications.choices import DeliveryChannel, DeliveryStatus
from sopdesk.notifications.delivery import MAX_ATTEMPTS, deliver_due
from sopdesk.notifications.models import OutboxMessage
from sopdesk.testing import factories
from sopdesk.testing.http_receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_ticket(django_capture_on_commit_callbacks: Any) -> Any:
    """Create a ticket and run what its commit would run (the delivery job, immediate in the tests)."""

    def create(requester: User, **details: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return factories.make_ticket(requester, **details)

    return create


ALL_EVENTS = list(IntegrationEvent.values)


def robot(admin: User, team: Team, receiver: Receiver, platform: str, *, secret: str = "") -> ChatRobot:
    return create_chat_robot(
        actor=admin,
        values={
            "name": f"{platform} robot",
            "team": team,
            "platform": platform,
            "webhook_url": receiver.url,
            "secret": secret,
            "events": ALL_EVENTS,
        },
        now=timezone.now(),
    )


def test_wecom_robot_gets_a_markdown_message_for_a_new_ticket_of_its_team(
    new_ticket: Any, admin_user: User, service_desk: Team, requester: User, wecom: Receiver
) -> None:
    robot(admin_user, service_desk, wecom, "wecom")
    ticket = new_ticket(requester, title="VPN down for *everyone* [urgent](http://evil)")
    # HUEY immediate: the after-commit job delivered it.
    assert len(wecom.requests) == 1
    body = wecom.requests[0].json()
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert ticket.number in content
    assert "\\*everyone\\*" in content  # the requester's text cannot format the message
    assert "](http://evil)" not in content
    assert OutboxMessage.objects.get(channel=DeliveryChannel.WECOM).status == DeliveryStatus.SENT


def test_dingtalk_robot_signs_with_timestamp_and_sign_in_the_query(
    new_ticket: Any, admin_user: User, service_desk: Team, requester: User, dingtalk: Receiver
) -> None:
    robot(admin_user, service_desk, dingtalk, "dingtalk", secret="SECdingtalk-secret")
    new_ticket(requester)
    request = dingtalk.requests[0]
    assert request.signature_ok
    assert request.query["access_token"] == ["test-token"]
    assert request.json()["msgtype"] == "markdown"
    assert OutboxMessage.objects.get(channel=DeliveryChannel.DINGTALK).status == DeliveryStatus.SENT


def test_feishu_robot_signs_in_the_body_and_sends_a_post(
    new_ticket: Any, admin_user: User, service_desk: Team, requester: User, feishu: Receiver
) -> None:
    robot(admin_user, service_desk, feishu, "feishu", secret="feishu-secret")
    ticket = new_ticket(requester)
    request = feishu.requests[0]
    assert request.signature_ok
    body = request.json()
    assert body["msg_type"] == "post"
    assert ticket.number in body["content"]["post"]["zh_cn"]["title"]
    assert OutboxMessage.objects.get(channel=DeliveryChannel.FEISHU).status == DeliveryStatus.SENT


@pytest.mark.parametrize("platform", ["dingtalk", "feishu"])
def test_an_error_code_in_a_200_answer_is_a_failure(
    new_ticket: Any, platform: str, admin_user: User, service_desk: Team, requester: User, request: Any
) -> None:
    receiver: Receiver = request.getfixturevalue(platform)
    robot(admin_user, service_desk, receiver, platform, secret="the-wrong-secret")
    new_ticket(requester)
    assert receiver.requests
    assert not receiver.requests[0].signature_ok
    message = OutboxMessage.objects.get(channel=platform)
    assert message.status == DeliveryStatus.PENDING  # retried later
    assert "19021" in message.last_error or "310000" in message.last_error


def test_webhook_delivery_is_signed_over_timestamp_and_body(
    new_ticket: Any, admin_user: User, service_desk: Team, requester: User, webhook_receiver: Receiver
) -> None:
    create_webhook(
        actor=admin_user,
        values={"name": "CMDB", "url": webhook_receiver.url, "secret": "webhook-secret", "events": ALL_EVENTS},
        now=timezone.now(),
    )
    ticket = new_ticket(requester)
    request = webhook_receiver.requests[0]
    assert request.signature_ok
    headers = {name.lower(): value for name, value in request.headers.items()}
    expected = hmac.new(
        b"webhook-secret", headers["x-sopdesk-timestamp"].encode() + b"." + request.body, hashlib.sha256
    )
    assert headers["x-sopdesk-signature"] == "sha256=" + expected.hexdigest()
    message = OutboxMessage.objects.get(channel=DeliveryChannel.WEBHOOK)
    assert headers["x-sopdesk-delivery"] == str(message.pk)
    assert headers["x-sopdesk-event"] == "ticket_created"
    body = request.json()
    assert body["event"] == "ticket_created"
    assert body["ticket"]["number"] == ticket.number
    assert "occurred_at" in body
    assert "created_at" in body["ticket"]


def test_a_receiver_down_for_a_while_gets_the_message_once_after_the_backoff(
    new_ticket: Any, admin_user: User, service_desk: Team, requester: User, webhook_receiver: Receiver
) -> None:
    create_webhook(
        actor=admin_user,
        values={"name": "CMDB", "url": webhook_receiver.url, "secret": "webhook-secret", "events": ["ticket_created"]},
        now=timezone.now(),
    )
    webhook_receiver.answer_next(500, {"error": "down"})
    webhook_receiver.answer_next(503, {"error": "still down"})
    new_ticket(requester)
    message = OutboxMessage.objects.get(channel=DeliveryChannel.WEBHOOK)
    assert (message.status, message.attempts) == (DeliveryStatus.PENDING, 1)
    assert "HTTP 500" in message.last_error
    first_retry = message.next_attempt_at
    assert deliver_due(now=first_retry - timedelta(seconds=1)).sent_count == 0  # not before the backoff
    deliver_due(now=first_retry)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (DeliveryStatus.PENDING, 2)
    assert message.next_attempt_at - first_retry == timedelta(minutes=2)  # backoff doubles
    deliver_due(now=message.next_attempt_at)
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT
    assert len(webhook_receiver.requests) == 3
    assert len({r.headers["X-Sopdesk-Delivery"] for r in webhook_receiver.requests}) == 1
    assert deliver_due(now=message.next_attempt_at + timedelta(hours=2)).sent_count == 0


def test_after_max_attempts_the_message_is_a_dead_letter(
    new_ticket: Any, admin_user: User, service_desk: Team, requester: User, webhook_receiver: Receiver
) -> None:
    create_webhook(
        actor=admin_user,
        values={"name": "CMDB", "url": webhook_receiver.url, "secret": "webhook-secret", "events": ["ticket_created"]},
        now=timezone.now(),
    )
    for _ in range(MAX_ATTEMPTS):
        webhook_receiver.answer_next(500)
    new_ticket(requester)
    message = OutboxMessage.objects.get(channel=DeliveryChannel.WEBHOOK)
    while message.status == DeliveryStatus.PENDING:
        deliver_due(now=message.next_attempt_at)
        message.refresh_from_db()
    assert message.status == DeliveryStatus.FAILED
    assert message.attempts == MAX_ATTEMPTS
    assert "HTTP 500" in message.last_error


def test_a_redirect_is_refused_and_not_followed(
    new_ticket: Any, admin_user: User, service_desk: Team, requester: User, webhook_receiver: Receiver
) -> None:
    create_webhook(
        actor=admin_user,
        values={"name": "CMDB", "url": webhook_receiver.url, "secret": "webhook-secret", "events": ["ticket_created"]},
        now=timezone.now(),
    )
    webhook_receiver.answer_next(307, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    new_ticket(requester)
    message = OutboxMessage.objects.get(channel=DeliveryChannel.WEBHOOK)
    assert message.status == DeliveryStatus.FAILED  # permanent: a redirect will not change
    assert "redirect" in message.last_error
    assert len(webhook_receiver.requests) == 1


def test_a_private_address_is_refused_without_the_allow_list(
    new_ticket: Any, admin_user: User, service_desk: Team, requester: User, wecom: Receiver, settings: Any
) -> None:
    robot(admin_user, service_desk, wecom, "wecom")
    settings.SOPDESK_OUTBOUND_ALLOW = []
    new_ticket(requester)
    assert wecom.requests == []
    message = OutboxMessage.objects.get(channel=DeliveryChannel.WECOM)
    assert message.status == DeliveryStatus.FAILED
    assert "loopback" in message.last_error


def test_a_robot_of_another_team_hears_nothing(
    new_ticket: Any, admin_user: User, service_desk: Team, second_line: Team, requester: User, wecom: Receiver
) -> None:
    robot(admin_user, second_line, wecom, "wecom")
    new_ticket(requester)
    assert wecom.requests == []
    assert not OutboxMessage.objects.filter(channel=DeliveryChannel.WECOM).exists()


def test_a_switched_off_robot_hears_nothing_and_its_queued_messages_fail(
    new_ticket: Any, admin_user: User, service_desk: Team, requester: User, wecom: Receiver
) -> None:
    chat_robot = robot(admin_user, service_desk, wecom, "wecom")
    wecom.answer_next(500)
    new_ticket(requester)
    update_chat_robot(chat_robot, actor=admin_user, changes={"is_active": False}, now=timezone.now())
    message = OutboxMessage.objects.get(channel=DeliveryChannel.WECOM)
    deliver_due(now=message.next_attempt_at)
    message.refresh_from_db()
    assert message.status == DeliveryStatus.FAILED
    assert "switched off" in message.last_error
    new_ticket(requester)
    assert OutboxMessage.objects.filter(channel=DeliveryChannel.WECOM).count() == 1


def test_a_broken_robot_does_not_hold_up_the_email(
    new_ticket: Any, admin_user: User, service_desk: Team, requester: User, wecom: Receiver, mailoutbox: list[Any]
) -> None:
    robot(admin_user, service_desk, wecom, "wecom")
    wecom.answer_next(500)
    new_ticket(requester)
    assert OutboxMessage.objects.get(channel=DeliveryChannel.WECOM).status == DeliveryStatus.PENDING
    assert OutboxMessage.objects.filter(channel=DeliveryChannel.EMAIL).exclude(status=DeliveryStatus.SENT).count() == 0


def test_models_keep_no_plain_secrets_in_the_outbox(
    new_ticket: Any, admin_user: User, service_desk: Team, requester: User, dingtalk: Receiver
) -> None:
    robot(admin_user, service_desk, dingtalk, "dingtalk", secret="SECdingtalk-secret")
    new_ticket(requester)
    message = OutboxMessage.objects.get(channel=DeliveryChannel.DINGTALK)
    for text in (message.address, message.body, message.subject, message.dedupe_key):
        assert "test-token" not in text
        assert "SECdingtalk-secret" not in text
    assert ChatRobot.objects.count() == 1
    assert Webhook.objects.count() == 0
