"""A local HTTP receiver for tests and the outbox benchmark: plays a chat platform or a webhook consumer.

It listens on 127.0.0.1 in a thread, checks each request's signature the way the platform documents
it (independently of the sender's code), records what arrived and answers as the platform would:
an error code in a 200 answer for a bad signature, like the real services. Scripted answers
(`answer_next`) let a test make it fail for a while.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PLATFORMS = ("wecom", "dingtalk", "feishu", "webhook")


@dataclass
class ReceivedRequest:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def dingtalk_sign(timestamp: str, secret: str) -> str:
    """The `sign` DingTalk expects: Base64(HMAC-SHA256(key=secret, message=timestamp + "\\n" + secret))."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(timestamp: str, secret: str) -> str:
    """The `sign` Feishu expects: Base64(HMAC-SHA256(key=timestamp + "\\n" + secret, message=empty))."""
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_signature(timestamp: str, body: bytes, secret: str) -> str:
    """The X-Sopdesk-Signature a receiver recomputes: sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class Receiver:
    """Plays `platform` on a free loopback port; `url` is the address to configure."""

    def __init__(self, platform: str, *, secret: str = "") -> None:
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}")
        self.platform = platform
        self.secret = secret
        self.requests: list[ReceivedRequest] = []
        self._answers: deque[_Answer] = deque()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the platforms offer

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                answer = receiver._handle(self.path, dict(self.headers.items()), body)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        paths = {
            "wecom": "/cgi-bin/webhook/send?key=test-key",
            "dingtalk": "/robot/send?access_token=test-token",
            "feishu": "/open-apis/bot/v2/hook/test-hook",
            "webhook": "/hooks/sopdesk",
        }
        return f"http://127.0.0.1:{self.port}{paths[self.platform]}"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def answer_next(
        self, status: int, body: dict[str, Any] | None = None, *, headers: dict[str, str] | None = None
    ) -> None:
        """Answer the next request with `status` and `body` instead of the platform's normal answer."""
        with self._lock:
            self._answers.append(_Answer(status, json.dumps(body or {}).encode(), headers or {}))

    def _handle(self, path: str, headers: dict[str, str], body: bytes) -> _Answer:
        parts = urlsplit(path)
        query = parse_qs(parts.query)
        signature_ok = self._signature_ok(query, headers, body)
        with self._lock:
            self.requests.append(ReceivedRequest(parts.path, query, headers, body, signature_ok))
            if self._answers:
                return self._answers.popleft()
        return self._platform_answer(signature_ok)

    def _signature_ok(self, query: dict[str, list[str]], headers: dict[str, str], body: bytes) -> bool:
        if not self.secret or self.platform == "wecom":
            return True  # WeCom group robots are not signed: the key in the URL is the credential
        if self.platform == "dingtalk":
            timestamp = (query.get("timestamp") or [""])[0]
            sign = (query.get("sign") or [""])[0]
            fresh = timestamp.isdigit() and abs(int(timestamp) - time.time() * 1000) < 3600 * 1000
            return fresh and hmac.compare_digest(sign, dingtalk_sign(timestamp, self.secret))
        if self.platform == "feishu":
            try:
                payload = json.loads(body)
            except ValueError:
                return False
            timestamp = str(payload.get("timestamp", ""))
            fresh = timestamp.isdigit() and abs(int(timestamp) - time.time()) < 3600
            return fresh and hmac.compare_digest(str(payload.get("sign", "")), feishu_sign(timestamp, self.secret))
        lowered = {name.lower(): value for name, value in headers.items()}
        timestamp = lowered.get("x-sopdesk-timestamp", "")
        expected = webhook_signature(timestamp, body, self.secret)
        return hmac.compare_digest(lowered.get("x-sopdesk-signature", ""), expected)

    def _platform_answer(self, signature_ok: bool) -> _Answer:
        if self.platform in ("wecom", "dingtalk"):
            if signature_ok:
                return _Answer(200, json.dumps({"errcode": 0, "errmsg": "ok"}).encode())
            return _Answer(200, json.dumps({"errcode": 310000, "errmsg": "sign not match"}).encode())
        if self.platform == "feishu":
            if signature_ok:
                return _Answer(200, json.dumps({"code": 0, "msg": "success", "data": {}}).encode())
            return _Answer(
                200, json.dumps({"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}).encode()
            )
        if signature_ok:
            return _Answer(204, b"")
        return _Answer(401, json.dumps({"error": "bad signature"}).encode())
