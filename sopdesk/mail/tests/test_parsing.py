"""Parsing hostile and exotic mail: charsets, names, HTML, attachments. No database."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from sopdesk.mail.parsing import MailParseError, decode_text, parse_message, sanitize_html, without_quoted_history
from sopdesk.testing import mailcorpus as corpus

CHINESE = "打印机无法打印，请帮忙"


@pytest.mark.parametrize("charset", ["gb2312", "gbk", "gb18030", "big5", "utf-8"])
def test_each_charset_decodes_body_and_subject(charset: str) -> None:
    text = CHINESE if charset != "big5" else "印表機無法列印，請幫忙"
    raw = corpus.message(subject=corpus.encoded_word(text, charset), body=text, charset=charset)
    parsed = parse_message(raw)
    assert parsed.subject == text
    assert parsed.text == text


def test_gbk_text_labelled_gb2312_decodes() -> None:
    # 喆 and 镕 are in GBK, not in GB2312: a strict GB2312 decoder fails on them.
    text = "张喆的电脑蓝屏，朱镕"
    raw = corpus.message(
        subject=corpus.encoded_word(text, "gbk").replace("?gbk?", "?gb2312?"), body=text.encode("gbk"), charset="gb2312"
    )
    parsed = parse_message(raw)
    assert parsed.text == text
    assert parsed.subject == text


def test_gb18030_four_byte_characters() -> None:
    text = "生僻字㐀𠀀"
    parsed = parse_message(corpus.message(body=text, charset="gb18030"))
    assert parsed.text == text


def test_mislabelled_and_unknown_charsets_never_crash() -> None:
    gbk_as_utf8 = corpus.message(body=CHINESE.encode("gbk"), charset="utf-8")
    assert parse_message(gbk_as_utf8).text == CHINESE
    unknown = corpus.message(body=CHINESE.encode("utf-8"), charset="x-made-up")
    assert parse_message(unknown).text == CHINESE
    garbage = corpus.message(body=b"\xff\xfe\xfa\x80 broken \x81", charset="big5", subject="=?x-nope?B?!!!?=")
    parsed = parse_message(garbage)
    assert "broken" in parsed.text


def test_decode_text_prefers_valid_utf8_then_declared() -> None:
    assert decode_text("€".encode(), "iso-8859-1") == "€"
    assert decode_text("é".encode("latin-1"), "iso-8859-1") == "é"
    assert decode_text(b"", None) == ""


def test_raw_8bit_headers_are_decoded() -> None:
    raw = corpus.message(subject="placeholder").replace(b"Subject: placeholder", "Subject: 网络故障".encode("gbk"))
    assert parse_message(raw).subject == "网络故障"


def test_html_is_sanitised_and_remote_images_dropped() -> None:
    parsed = parse_message(
        corpus.multipart([corpus.text_part(corpus.HOSTILE_HTML, subtype="html")], subtype="alternative")
    )
    html = parsed.html.lower()
    for bad in (
        "<script",
        "onerror",
        "onclick",
        "javascript:",
        "<iframe",
        "<form",
        "<style",
        "tracker.example",
        "<svg",
    ):
        assert bad not in html
    assert 'src="cid:logo@client"' in html
    assert "<b>team</b>" in html
    assert 'rel="noopener noreferrer nofollow"' in html
    # The text of an HTML-only mail comes from the sanitised HTML: no script text in it.
    assert "Hello team" in parsed.text
    assert "alert" not in parsed.text


def test_sanitize_html_keeps_only_cid_images() -> None:
    cleaned = sanitize_html('<img src="http://x.example/a.png"><img src="cid:a"><img src="data:image/png;base64,AA">')
    assert cleaned.count("<img") == 1
    assert "x.example" not in cleaned
    assert "data:" not in cleaned


def test_rfc2231_and_rfc2047_attachment_names() -> None:
    raw = corpus.multipart(
        [
            corpus.text_part("see attached"),
            corpus.attachment_part(
                b"log", content_type="text/plain", disposition="filename*=UTF-8''%E6%8A%A5%E5%91%8A.txt"
            ),
            corpus.attachment_part(
                b"log", content_type="text/plain", disposition=f'filename="{corpus.encoded_word("日志.log", "gbk")}"'
            ),
        ]
    )
    parsed = parse_message(raw)
    assert [item.name for item in parsed.attachments] == ["报告.txt", "日志.log"]
    assert parsed.text == "see attached"


def test_hostile_attachment_names_are_made_safe() -> None:
    raw = corpus.multipart(
        [
            corpus.text_part("x"),
            corpus.attachment_part(
                b"data", content_type="text/plain", disposition='filename="../../etc/passwd\u202etxt.exe"'
            ),
            corpus.attachment_part(b"data", content_type="text/plain", disposition='filename="..\\\\..\\\\boot.ini"'),
        ]
    )
    names = [item.name for item in parse_message(raw).attachments]
    assert all("/" not in name and "\\" not in name and "\u202e" not in name for name in names)
    assert not any(name.startswith(".") for name in names)


def test_inline_cid_image_is_an_attachment() -> None:
    raw = corpus.multipart(
        [
            corpus.text_part('<p>logo <img src="cid:logo@client"></p>', subtype="html"),
            corpus.attachment_part(
                corpus.PNG_1X1,
                content_type="image/png",
                disposition='filename="logo.png"',
                inline=True,
                content_id="logo@client",
            ),
        ],
        subtype="related",
    )
    parsed = parse_message(raw)
    assert len(parsed.attachments) == 1
    assert parsed.attachments[0].inline
    assert parsed.attachments[0].content_id == "logo@client"
    assert parsed.attachments[0].data == corpus.PNG_1X1


def test_missing_headers_and_empty_input() -> None:
    parsed = parse_message(corpus.message(sender=None, message_id=None))
    assert parsed.from_address == ""
    assert parsed.message_id == ""
    with pytest.raises(MailParseError):
        parse_message(b"  \r\n")


def test_control_and_bidi_characters_leave_subject_and_text() -> None:
    raw = corpus.message(subject="invoice\u202efdp.exe", body="line\x00one\r\nline\x1b two")
    parsed = parse_message(raw)
    assert "\u202e" not in parsed.subject
    assert parsed.text == "lineone\nline two"


@pytest.mark.parametrize(
    "reply",
    [
        "Thanks, it works.\n\nOn Sun, 6 Dec 2026 at 09:00, Service desk <help@desk.example> wrote:\n> Please restart.",
        "Thanks, it works.\n\nOn Sun, 6 Dec 2026 at 09:00, Service desk <help@desk.example>\nwrote:\n> Please restart.",
        "Thanks, it works.\n\n在 2026年12月6日 09:00，服务台 <help@desk.example> 写道：\n> 请重启。",
        "Thanks, it works.\n\n-----Original Message-----\nFrom: Service desk\nPlease restart.",
        "Thanks, it works.\n________________________________\nFrom: Service desk <help@desk.example>\nSent: Sunday",
        "Thanks, it works.\n\n发件人: 服务台 <help@desk.example>\n发送时间: 2026年12月6日 9:00\n收件人: 我\n请重启。",
        "Thanks, it works.\n> Please restart.\n> Thanks",
    ],
)
def test_quoted_history_is_left_out_of_replies(reply: str) -> None:
    assert without_quoted_history(reply) == ("Thanks, it works.", True)


def test_a_reply_that_is_all_quote_or_mentions_from_is_kept() -> None:
    assert without_quoted_history("> only a quote") == ("> only a quote", False)
    text = "From: the log below\nthe printer says E42"
    assert without_quoted_history(text) == (text, False)


_SEEDS = [
    corpus.message(subject=corpus.encoded_word("打印机", "gbk"), body="正文", charset="gbk"),
    corpus.multipart(
        [
            corpus.text_part(corpus.HOSTILE_HTML, subtype="html"),
            corpus.attachment_part(b"x", content_type="text/plain", disposition="filename*=UTF-8''%E6%8A%A5.txt"),
        ]
    ),
]


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    seed=st.sampled_from(_SEEDS),
    cuts=st.lists(st.tuples(st.integers(0, 4000), st.binary(max_size=12)), max_size=6),
)
def test_a_mangled_message_never_crashes_the_parser(seed: bytes, cuts: list[tuple[int, bytes]]) -> None:
    raw = seed
    for position, junk in cuts:
        at = position % (len(raw) + 1)
        raw = raw[:at] + junk + raw[at + len(junk) // 2 :]
    try:
        parsed = parse_message(raw)
    except MailParseError:
        return
    assert isinstance(parsed.text, str)
    assert "<script" not in parsed.html.lower()


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash_the_parser(raw: bytes) -> None:
    with contextlib.suppress(MailParseError):
        parse_message(raw)
