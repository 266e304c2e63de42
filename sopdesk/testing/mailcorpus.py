"""Generated tricky inbound messages for the mail tests and the benchmark (raw bytes, as a server hands them over)."""

from __future__ import annotations

import base64
import secrets

CRLF = b"\r\n"


def _b64(data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return CRLF.join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


def encoded_word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def new_message_id(domain: str = "client.example") -> str:
    return f"<{secrets.token_hex(8)}@{domain}>"


def message(
    *,
    sender: str | None = "Li Lei <lilei@customer.example>",
    to: str = "help@desk.example",
    subject: str = "Printer prints blank pages",
    body: bytes | str = "The printer on floor 3 prints blank pages.",
    charset: str = "utf-8",
    content_type: str = "text/plain",
    message_id: str | None = "new",
    headers: dict[str, str] | None = None,
) -> bytes:
    """Return a single-part message; `message_id` "new" makes a fresh one, None leaves it out."""
    lines = []
    if sender is not None:
        lines.append(f"From: {sender}")
    lines += [f"To: {to}", f"Subject: {subject}", "Date: Sun, 06 Dec 2026 09:00:00 +0800", "MIME-Version: 1.0"]
    if message_id == "new":
        message_id = new_message_id()
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    data = body.encode(charset) if isinstance(body, str) else body
    lines += [f'Content-Type: {content_type}; charset="{charset}"', "Content-Transfer-Encoding: base64"]
    return CRLF.join(line.encode("utf-8") for line in lines) + CRLF + CRLF + _b64(data) + CRLF


def multipart(
    parts: list[bytes],
    *,
    sender: str = "Li Lei <lilei@customer.example>",
    to: str = "help@desk.example",
    subject: str = "With attachments",
    subtype: str = "mixed",
    message_id: str | None = "new",
    headers: dict[str, str] | None = None,
) -> bytes:
    boundary = "b-" + secrets.token_hex(8)
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", "MIME-Version: 1.0"]
    if message_id == "new":
        message_id = new_message_id()
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    lines.append(f'Content-Type: multipart/{subtype}; boundary="{boundary}"')
    out = CRLF.join(line.encode("utf-8") for line in lines) + CRLF + CRLF
    for part in parts:
        out += b"--" + boundary.encode() + CRLF + part + CRLF
    return out + b"--" + boundary.encode() + b"--" + CRLF


def text_part(text: str, *, charset: str = "utf-8", subtype: str = "plain") -> bytes:
    return (
        f'Content-Type: text/{subtype}; charset="{charset}"'.encode()
        + CRLF
        + b"Content-Transfer-Encoding: base64"
        + CRLF
        + CRLF
        + _b64(text.encode(charset))
    )


def attachment_part(
    data: bytes, *, content_type: str, disposition: str, inline: bool = False, content_id: str = ""
) -> bytes:
    """`disposition` is the whole parameter text, e.g. `filename="a.txt"` or `filename*=UTF-8''%E6...`."""
    head = [
        f"Content-Type: {content_type}",
        f"Content-Disposition: {'inline' if inline else 'attachment'}; {disposition}",
    ]
    if content_id:
        head.append(f"Content-ID: <{content_id}>")
    head.append("Content-Transfer-Encoding: base64")
    return CRLF.join(line.encode("utf-8") for line in head) + CRLF + CRLF + _b64(data)


PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><circle r="4"/></svg>'

HOSTILE_HTML = (
    "<html><head><style>body{background:url(https://tracker.example/bg.png)}</style>"
    "<script>alert('x')</script></head><body>"
    '<p onclick="steal()">Hello <b>team</b></p>'
    '<img src="https://tracker.example/pixel.gif" onerror="alert(document.cookie)">'
    '<img src="cid:logo@client">'
    '<a href="javascript:alert(1)">click</a> <a href="https://docs.example/x">docs</a>'
    '<iframe src="https://evil.example"></iframe><form action="https://evil.example"><input name=q></form>'
    "<svg><script>alert(2)</script></svg></body></html>"
)


def bench_message(*, html_bytes: int = 50_000) -> bytes:
    """A message like the benchmark's: a ~50 KB HTML body and a small text attachment."""
    paragraph = "<p>The VPN client disconnects every few minutes; logs attached. 客户端每隔几分钟断开。</p>\n"
    body = paragraph * (html_bytes // len(paragraph.encode()) + 1)
    return multipart(
        [
            text_part(f"<html><body>{body}</body></html>", subtype="html"),
            attachment_part(
                b"2026-12-06 09:00 disconnect\n" * 20, content_type="text/plain", disposition='filename="vpn.log"'
            ),
        ],
        subject="VPN drops",
    )
