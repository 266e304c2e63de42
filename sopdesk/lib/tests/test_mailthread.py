import pytest

from sopdesk.lib.mailthread import (
    make_message_id,
    message_ids,
    subject_with_number,
    ticket_number_in_subject,
    ticket_numbers_in_references,
)


def test_message_id_names_the_ticket_and_is_found_again():
    first = make_message_id(ticket_number="TS-2026-000123", tag="e456", domain="desk.example")
    second = make_message_id(ticket_number="TS-2026-000123", tag="e456", domain="desk.example")
    assert first.startswith("<TS-2026-000123.e456.")
    assert first.endswith("@desk.example>")
    assert first != second
    assert ticket_numbers_in_references([first], domain="desk.example") == ["TS-2026-000123"]


@pytest.mark.parametrize(
    ("number", "tag"), [("not a number", "e1"), ("TS-2026-000001", "bad tag"), ("TS-2026-000001", "")]
)
def test_message_id_refuses_bad_parts(number, tag):
    with pytest.raises(ValueError, match=r"ticket number|Message-ID tag"):
        make_message_id(ticket_number=number, tag=tag, domain="desk.example")


def test_only_our_domain_counts_and_the_parent_comes_first():
    in_reply_to = "<TS-2026-000002.e9.aa@desk.example>"
    references = "<abc@mail.other> <TS-2026-000001.e1.bb@desk.example> <TS-2026-000009.e1.cc@evil.example>"
    found = ticket_numbers_in_references([in_reply_to, references], domain="DESK.example")
    assert found == ["TS-2026-000002", "TS-2026-000001"]


def test_references_without_ids_or_foreign_ids_name_nothing():
    assert ticket_numbers_in_references(["", "garbage", "<x@desk.example>"], domain="desk.example") == []
    assert message_ids("<a@b> junk <c@d>") == ["<a@b>", "<c@d>"]


def test_subject_number():
    assert ticket_number_in_subject("Re: [TS-2026-000123] 打印机卡纸") == "TS-2026-000123"
    assert ticket_number_in_subject("Re: [ts-2026-000001] Fwd: [TS-2026-000002] x") == "TS-2026-000002"
    assert ticket_number_in_subject("TS-2026-000123 without brackets") is None
    assert subject_with_number("打印机卡纸", ticket_number="TS-2026-000123") == "[TS-2026-000123] 打印机卡纸"
    assert subject_with_number("Re: [TS-2026-000123] x", ticket_number="TS-2026-000123") == "Re: [TS-2026-000123] x"
