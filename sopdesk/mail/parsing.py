"""Reading an inbound message as hostile input: structure, charsets, names, HTML, attachments.

The stdlib `email` package (policy.default) reads the structure and the RFC 2231 parameters;
everything that is text goes through `decode_text`, which never raises: the declared charset is
only a hint (mail from China often says GB2312 and carries GBK or GB18030, or says nothing at
all). HTML is reduced to an allow-list with nh3, remote images are dropped (a loaded image tells
the sender the mail was read), `cid:` images stay attachments. Nothing here touches the database.
"""

from __future__ import annotations

import email
import html as html_lib
import re
import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

import nh3

from sopdesk.lib.filenames import sanitize_filename

# Declared charsets and the codecs that decode them and every superset seen in the wild.
_CHARSET_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "gb_2312-80": "gb18030",
    "hz-gb-2312": "hz",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cp950": "big5hkscs",
    "ascii": "utf-8",
    "us-ascii": "utf-8",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
}
_FALLBACKS = ("utf-8", "gb18030", "big5hkscs")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NAME_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "div", "dl", "dt",
    "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "li", "ol", "p", "pre", "q", "s",
    "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "col": {"span"},
    "font": {"color"},
    "ol": {"start"},
}
SAFE_URL_SCHEMES = {"http", "https", "mailto", "cid"}


class MailParseError(Exception):
    """The message cannot be read at all (it goes to the quarantine with this message)."""


@dataclass
class ParsedAttachment:
    name: str
    content_type: str
    data: bytes
    content_id: str = ""
    inline: bool = False


@dataclass
class ParsedMail:
    message_id: str
    from_address: str
    from_name: str
    subject: str
    to: list[str]
    cc: list[str]
    date: str
    in_reply_to: str
    references: str
    text: str
    html: str  # sanitised
    attachments: list[ParsedAttachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # every header, decoded, for the loop checks
    content_type: str = ""
    part_types: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def summary(self) -> dict[str, object]:
        """The headers shown on the "original mail" page and stored on the InboundMail."""
        return {
            "from": self.header("from"),
            "to": self.header("to"),
            "cc": self.header("cc"),
            "reply_to": self.header("reply-to"),
            "subject": self.subject,
            "date": self.date,
            "message_id": self.message_id,
            "in_reply_to": self.in_reply_to,
            "references": self.references[:2000],
            "content_type": clean_line(self.content_type, max_length=200),
            "attachments": [
                {
                    "name": item.name,
                    "content_type": clean_line(item.content_type, max_length=200),
                    "size": len(item.data),
                    "inline": item.inline,
                }
                for item in self.attachments
            ],
        }


# --- text --------------------------------------------------------------------------------------


def decode_text(data: bytes, charset: str | None = None) -> str:
    """Decode `data` from a declared `charset` that may be missing, unknown or wrong; never raises.

    Valid UTF-8 wins over the declared charset (a mislabelled UTF-8 body is common, and GBK text
    is practically never valid UTF-8); then the declared charset (widened to its superset), then
    GB18030 and Big5, then the declared charset or UTF-8 with replacement characters.
    """
    if not data:
        return ""
    declared = (charset or "").strip().strip('"').lower()
    codec = _CHARSET_SUPERSETS.get(declared, declared)
    candidates = ["utf-8"]
    if codec and _codec_exists(codec):
        candidates.append(codec)
    candidates += [name for name in _FALLBACKS if name not in candidates]
    for name in candidates:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode(codec if codec and _codec_exists(codec) else "utf-8", errors="replace")


def _codec_exists(name: str) -> bool:
    """Return True when `name` is a text codec Python knows (not base64, zlib, rot13 or a NUL-laden name)."""
    import codecs

    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return False
    return bool(getattr(info, "_is_text_encoding", True))


def clean_text(value: str) -> str:
    """Return `value` with Windows line ends normalised and control characters (NUL, escapes) removed."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def clean_line(value: str, *, max_length: int) -> str:
    """Return a single-line name (subject, sender name) without controls, format characters or line breaks."""
    visible = "".join(" " if unicodedata.category(ch) in _NAME_CATEGORIES else ch for ch in value)
    return " ".join(visible.split())[:max_length]


def decode_header_value(value: str) -> str:
    """Decode an RFC 2047 header (encoded words in any charset, or raw 8-bit bytes) with fallbacks."""
    raw = str(value or "")
    if any("\udc80" <= ch <= "\udcff" for ch in raw):
        # Raw 8-bit bytes kept as surrogate escapes by the parser: decode them with fallbacks.
        raw = decode_text(raw.encode("ascii", "surrogateescape"))
    try:
        parts = decode_header(raw)
    except Exception:  # a broken encoded word: keep the text as it came
        return raw
    decoded = []
    for chunk, charset in parts:
        decoded.append(chunk if isinstance(chunk, str) else decode_text(chunk, charset))
    return "".join(decoded)


# --- quoted history -------------------------------------------------------------------------

_QUOTE_STARTS = (
    re.compile(r"^-{2,}\s*(original message|forwarded message|原始邮件|转发邮件)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^on\b.{0,300}\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^在.{0,300}写道\s*[:：]\s*$"),
    re.compile(r"^_{10,}\s*$"),
    re.compile(r"^>"),
)
_OUTLOOK_HEADER = re.compile(r"^(from|发件人)\s*[:：]", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^(sent|date|to|发送时间|时间|收件人)\s*[:：]", re.IGNORECASE)


def without_quoted_history(text: str) -> tuple[str, bool]:
    """Return `text` cut before the quoted earlier messages of a reply, and whether it was cut.

    Recognises "On … wrote:", "在 … 写道：", "-----Original Message-----", Outlook's "From: / Sent:"
    block and "> " quotes. A reply that is all quote is kept whole: the text is never lost, and
    the original mail always has all of it.
    """
    lines = text.split("\n")
    for index, line in enumerate(lines):
        stripped = line.strip()
        two_lines = f"{stripped} {lines[index + 1].strip()}" if index + 1 < len(lines) else stripped
        starts = any(pattern.match(stripped) for pattern in _QUOTE_STARTS) or (
            # "On Mon, 6 Dec 2026 at 09:00, Desk <help@desk.example>" + "wrote:" on the next line
            stripped.lower().startswith("on ") and _QUOTE_STARTS[1].match(two_lines) is not None
        )
        if not starts and _OUTLOOK_HEADER.match(stripped):
            following = [item.strip() for item in lines[index + 1 : index + 4]]
            starts = any(_OUTLOOK_NEXT.match(item) for item in following)
        if starts:
            kept = "\n".join(lines[:index]).rstrip()
            return (kept, True) if kept.strip() else (text, False)
    return text, False


# --- HTML --------------------------------------------------------------------------------------


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        # Remote images are never loaded: only images sent in the mail itself (cid:) stay.
        return value if value.strip().lower().startswith("cid:") else None
    return value


_IMAGE_WITHOUT_SOURCE = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)


def sanitize_html(value: str) -> str:
    """Return `value` reduced to the allow-list: no script, style, event handler, form or remote image."""
    cleaned = nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=SAFE_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_filter_attribute,
        strip_comments=True,
    )
    # A remote image lost its source above: drop the element rather than show a broken image.
    return _IMAGE_WITHOUT_SOURCE.sub("", cleaned)


_BLOCK_END = re.compile(r"(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6]|/blockquote|/table|hr)\b[^>]*>")


def html_to_text(value: str) -> str:
    """Return the text of an HTML body (block ends become line breaks), for the ticket's text."""
    marked = _BLOCK_END.sub("\n", value)
    text = html_lib.unescape(nh3.clean(marked, tags=set(), strip_comments=True))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- the message -------------------------------------------------------------------------------


def _all_headers(message: Message) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in message.raw_items() if isinstance(message, EmailMessage) else message.items():
        key = str(name).lower()
        # One line without control or format characters (PostgreSQL refuses NUL in text and JSON).
        text = clean_line(decode_header_value(str(value)), max_length=20_000)
        found[key] = f"{found[key]}, {text}" if key in found and key in ("to", "cc", "references") else text
    return found


def _addresses(value: str) -> list[str]:
    try:
        return [address.strip().lower() for _name, address in getaddresses([value]) if "@" in address][:100]
    except Exception:
        return []


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # broken transfer encoding: take the bytes as they are
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    if not name:
        try:
            name = part.get_param("name", header="content-type") or ""  # type: ignore[assignment]
        except Exception:
            name = ""
        if isinstance(name, tuple):  # an RFC 2231 triple (charset, language, value)
            name = decode_text(str(name[2]).encode("latin-1", "replace"), name[0])
    decoded = decode_header_value(str(name)).strip()
    return sanitize_filename(decoded) if decoded else ""


def _is_attachment(part: Message, name: str) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return True
    if part.get_content_maintype() == "text" and part.get_content_subtype() in ("plain", "html") and not name:
        return False
    return bool(name) or part.get_content_maintype() not in ("text", "multipart")


def _raw_payload(part: Message) -> bytes:
    try:
        raw = part.get_payload()
    except Exception:  # nothing readable left: an empty download still says a part was there
        return b""
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _read_part(
    part: Message,
    message: Message,
    text_parts: list[str],
    html_parts: list[str],
    attachments: list[ParsedAttachment],
    part_types: list[str],
) -> None:
    content_type = part.get_content_type()
    part_types.append(content_type)
    if part.is_multipart():
        return
    name = _filename(part) if part is not message or part.get_content_maintype() != "text" else ""
    if part is not message and _is_attachment(part, name):
        content_id = str(part.get("Content-ID", "") or "").strip().strip("<>")[:200]
        attachments.append(
            ParsedAttachment(
                name=name or "attachment",
                content_type=content_type,
                data=_payload(part),
                content_id=content_id,
                inline=(part.get_content_disposition() or "") == "inline" or bool(content_id),
            )
        )
        return
    charset = part.get_content_charset()
    if content_type == "text/html":
        html_parts.append(decode_text(_payload(part), charset))
    elif part.get_content_maintype() == "text":
        text_parts.append(decode_text(_payload(part), charset))


def _top_type(message: Message) -> str:
    try:
        return message.get_content_type()
    except Exception:  # an unreadable Content-Type: what RFC 2045 says it then is
        return "text/plain"


def parse_message(raw: bytes) -> ParsedMail:
    """Read `raw` into a ParsedMail; raises MailParseError only when there is no message at all."""
    if not raw.strip():
        raise MailParseError("The message is empty.")
    try:
        message = email.message_from_bytes(raw, policy=policy.default)
    except Exception as error:  # the stdlib parser is lenient; this is a last resort
        raise MailParseError(f"The message cannot be read: {error}") from error
    headers = _all_headers(message)
    raw_from = next((str(value) for name, value in message.raw_items() if str(name).lower() == "from"), "")
    from_name, from_address = parseaddr(" ".join(raw_from.split()))
    from_name = decode_header_value(from_name)
    text_parts: list[str] = []
    html_parts: list[str] = []
    attachments: list[ParsedAttachment] = []
    part_types: list[str] = []
    for number, part in enumerate(message.walk()):
        try:
            _read_part(part, message, text_parts, html_parts, attachments, part_types)
        except Exception:  # a header the stdlib parser trips over: keep the part's bytes as a download
            if not part.is_multipart():
                attachments.append(
                    ParsedAttachment(
                        name=f"part-{number}.bin", content_type="application/octet-stream", data=_raw_payload(part)
                    )
                )
    html = sanitize_html("\n".join(html_parts)) if html_parts else ""
    text = "\n\n".join(text_parts) if text_parts else html_to_text(html)
    return ParsedMail(
        message_id=headers.get("message-id", "").strip()[:255],
        from_address=clean_line(from_address, max_length=254).replace(" ", "").lower() if "@" in from_address else "",
        from_name=clean_line(from_name, max_length=150),
        subject=clean_line(headers.get("subject", ""), max_length=500),
        to=_addresses(headers.get("to", "")),
        cc=_addresses(headers.get("cc", "")),
        date=clean_line(headers.get("date", ""), max_length=100),
        in_reply_to=headers.get("in-reply-to", "")[:2000],
        references=headers.get("references", "")[:20000],
        text=clean_text(text).strip(),
        html=html,
        attachments=attachments,
        headers=headers,
        content_type=_top_type(message),
        part_types=part_types,
    )
