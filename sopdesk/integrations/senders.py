"""The outbox senders of the chat robots and webhooks: each platform's message format and signature.

WeCom group robots take a markdown message at their key URL (the key is the credential).
DingTalk signs with `timestamp` (ms) and `sign` = Base64(HMAC-SHA256(secret, timestamp + "\\n" + secret))
as query parameters. Feishu puts `timestamp` (s) and `sign` = Base64(HMAC-SHA256(key = timestamp +
"\\n" + secret, empty message)) into the JSON body. The three answer HTTP 200 with an error code
for a refused message: any code but 0 is a failure. Generic webhooks get the event JSON, signed
`X-Sopdesk-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>` with
`X-Sopdesk-Timestamp` and `X-Sopdesk-Delivery` (stable across retries, for receivers' idempotency).
Every request goes through the SSRF guard (core.outbound_http).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from sopdesk.core.outbound_http import OutboundResponse, OutboundSession
from sopdesk.integrations.choices import IntegrationEvent
from sopdesk.integrations.models import ChatRobot, Webhook
from sopdesk.notifications.choices import DeliveryChannel
from sopdesk.notifications.delivery import DeliveryFailed, register_sender
from sopdesk.notifications.models import OutboxMessage
from sopdesk.tickets.choices import Priority, Status

WECOM_MARKDOWN_MAX_BYTES = 4096
TEXT_MAX_CHARACTERS = 3000
USER_AGENT = "sopdesk-outbox/1"


def _markdown_text(value: Any) -> str:
    """Return user text safe inside chat markdown: no links, mentions, headings or emphasis of its own."""
    text = " ".join(str(value or "").split())
    for character in "\\`*_[]()#>!|~":
        text = text.replace(character, "\\" + character)
    return text.replace("<", "‹").replace(">", "›").replace("@", "＠")


def _cut_bytes(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[: limit - 3].decode("utf-8", errors="ignore") + "…"


def _label(choices: Any, value: Any) -> str:
    labels = dict(choices.choices)
    return str(labels.get(value, value or "—"))


def render_lines(body: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    """Return the title, the (label, value) lines and the link of an event, in the desk's language."""
    event = body.get("event", "")
    ticket = body.get("ticket") or {}
    data = body.get("data") or {}
    title = f"{_label(IntegrationEvent, event)}: {ticket.get('number', '')}"
    lines = [
        (_("Title"), str(ticket.get("title", ""))),
        (_("Priority"), _label(Priority, ticket.get("priority"))),
        (_("Status"), _label(Status, ticket.get("status"))),
        (_("Team"), str(ticket.get("team") or "—")),
        (_("Assignee"), str(ticket.get("assignee") or "—")),
    ]
    if event == IntegrationEvent.STATUS_CHANGED:
        lines.append((_("Previous status"), _label(Status, data.get("from_status"))))
    if event in (IntegrationEvent.SLA_WARNING, IntegrationEvent.SLA_BREACHED):
        lines.append((_("Clock"), str(data.get("metric", ""))))
        lines.append((_("Due"), str(data.get("due_at", ""))))
    return title, lines, str(ticket.get("url", ""))


def markdown(body: dict[str, Any]) -> tuple[str, str]:
    title, lines, url = render_lines(body)
    text = "\n".join(
        [f"### {_markdown_text(title)}", *(f"> **{label}**: {_markdown_text(value)}" for label, value in lines)]
    )
    if url:
        text += f"\n\n[{_('Open the ticket')}]({url})"
    return title, text


def _load_body(message: OutboxMessage) -> dict[str, Any]:
    try:
        body = json.loads(message.body)
    except ValueError:
        raise ValueError("The message body is not JSON.") from None
    if not isinstance(body, dict):
        raise ValueError("The message body is not a JSON object.")
    return body


def _target_id(message: OutboxMessage, prefix: str) -> int:
    kind, _sep, number = message.address.partition(":")
    if kind != prefix or not number.isdigit():
        raise ValueError(f"Not a {prefix} address: {message.address!r}.")
    return int(number)


def _robot(message: OutboxMessage) -> ChatRobot:
    robot: ChatRobot | None = ChatRobot.objects.filter(pk=_target_id(message, "robot")).first()
    if robot is None:
        raise ValueError("The chat robot no longer exists.")
    if not robot.is_active:
        raise ValueError("The chat robot is switched off.")
    return robot


def _check_http(response: OutboundResponse) -> None:
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:300]}")


def _check_code(response: OutboundResponse, *fields: str) -> None:
    """A chat platform answers 200 with an error code for a refused message: any code but 0 fails."""
    _check_http(response)
    answer = response.json()
    if not isinstance(answer, dict):
        raise DeliveryFailed(f"Unexpected answer: {response.text[:300]}")
    for field in fields:
        code = answer.get(field)
        if code not in (None, 0):
            message = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or ""
            raise DeliveryFailed(f"{field} {code}: {message}"[:500])


class _HttpSender:
    """One SSRF-guarded session per batch; subclasses say what to POST where.

    A sender lives for one delivery batch: the robots and webhooks it reads are kept for the batch
    (a configuration change applies from the next batch on).
    """

    def __init__(self) -> None:
        self._session: OutboundSession | None = None
        self._robots: dict[str, ChatRobot] = {}
        self._webhooks: dict[str, Webhook] = {}

    def robot(self, message: OutboxMessage) -> ChatRobot:
        robot = self._robots.get(message.address)
        if robot is None:
            robot = self._robots[message.address] = _robot(message)
        if robot.platform != message.channel:
            raise ValueError("The chat robot is on another platform now.")
        return robot

    def webhook(self, message: OutboxMessage) -> Webhook:
        webhook = self._webhooks.get(message.address)
        if webhook is None:
            found: Webhook | None = Webhook.objects.filter(pk=_target_id(message, "webhook")).first()
            if found is None:
                raise ValueError("The webhook no longer exists.")
            if not found.is_active:
                raise ValueError("The webhook is switched off.")
            webhook = self._webhooks[message.address] = found
        return webhook

    @property
    def session(self) -> OutboundSession:
        if self._session is None:
            self._session = OutboundSession()
        return self._session

    def post_json(self, url: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> OutboundResponse:
        content = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return self.session.post(
            url,
            content=content,
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, **(headers or {})},
        )

    def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            session.close()


class WeComSender(_HttpSender):
    def send(self, message: OutboxMessage) -> None:
        robot = self.robot(message)
        with translation.override(settings.LANGUAGE_CODE):
            _title, text = markdown(_load_body(message))
        payload = {"msgtype": "markdown", "markdown": {"content": _cut_bytes(text, WECOM_MARKDOWN_MAX_BYTES)}}
        _check_code(self.post_json(robot.webhook_url, payload), "errcode")


def dingtalk_signed_url(url: str, secret: str, *, timestamp_ms: int) -> str:
    """Return `url` with DingTalk's `timestamp` and `sign` query parameters added."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    parts = urlsplit(url)
    extra = urlencode({"timestamp": str(timestamp_ms), "sign": base64.b64encode(digest).decode()})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


class DingTalkSender(_HttpSender):
    def send(self, message: OutboxMessage) -> None:
        robot = self.robot(message)
        with translation.override(settings.LANGUAGE_CODE):
            title, text = markdown(_load_body(message))
        url = robot.webhook_url
        if robot.secret:
            url = dingtalk_signed_url(url, robot.secret, timestamp_ms=int(time.time() * 1000))
        payload = {"msgtype": "markdown", "markdown": {"title": title[:100], "text": text[:TEXT_MAX_CHARACTERS]}}
        _check_code(self.post_json(url, payload), "errcode")


def feishu_sign(secret: str, *, timestamp: int) -> str:
    """Return Feishu's `sign`: Base64(HMAC-SHA256 keyed with timestamp + "\\n" + secret, of an empty message)."""
    return base64.b64encode(hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()


class FeishuSender(_HttpSender):
    def send(self, message: OutboxMessage) -> None:
        robot = self.robot(message)
        with translation.override(settings.LANGUAGE_CODE):
            title, lines, url = render_lines(_load_body(message))
            link_text = _("Open the ticket")
        rows: list[list[dict[str, str]]] = [
            [{"tag": "text", "text": f"{label}: {' '.join(value.split())}"[:TEXT_MAX_CHARACTERS]}]
            for label, value in lines
        ]
        if url:
            rows.append([{"tag": "a", "text": link_text, "href": url}])
        payload: dict[str, Any] = {
            "msg_type": "post",
            "content": {"post": {"zh_cn": {"title": title, "content": rows}}},
        }
        if robot.secret:
            timestamp = int(time.time())
            payload = {"timestamp": str(timestamp), "sign": feishu_sign(robot.secret, timestamp=timestamp), **payload}
        _check_code(self.post_json(robot.webhook_url, payload), "code", "StatusCode")


def webhook_signature(secret: str, *, timestamp: int, body: bytes) -> str:
    """Return X-Sopdesk-Signature: "sha256=" + hex HMAC-SHA256 of `timestamp`.`body` keyed with the secret."""
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


class WebhookSender(_HttpSender):
    def send(self, message: OutboxMessage) -> None:
        webhook = self.webhook(message)
        body = message.body.encode("utf-8")
        event = str(_load_body(message).get("event", ""))
        timestamp = int(time.time())
        response = self.session.post(
            webhook.url,
            content=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": USER_AGENT,
                "X-Sopdesk-Event": event,
                "X-Sopdesk-Delivery": str(message.pk),
                "X-Sopdesk-Timestamp": str(timestamp),
                "X-Sopdesk-Signature": webhook_signature(webhook.secret, timestamp=timestamp, body=body),
            },
        )
        _check_http(response)


SENDERS: dict[str, Callable[[], Any]] = {
    DeliveryChannel.WECOM.value: WeComSender,
    DeliveryChannel.DINGTALK.value: DingTalkSender,
    DeliveryChannel.FEISHU.value: FeishuSender,
    DeliveryChannel.WEBHOOK.value: WebhookSender,
}


def register_senders() -> None:
    for channel, factory in SENDERS.items():
        register_sender(channel, factory)
