"""How a mail names its ticket: the Message-IDs we send and the ticket number in a subject. Pure logic.

Outbound mail about a ticket carries a Message-ID that names the ticket number
(`<TS-2026-000123.e456.7f3a@desk.example>`), and its subject carries `[TS-2026-000123]`. A reply
names one of these in In-Reply-To / References (or keeps the subject), which is how inbound mail
finds its ticket. Only Message-IDs of our own mail domain count: anyone can write a References
header, so the caller still checks that the sender may write to the ticket it names.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

# A ticket number as tickets.numbering.format_ticket_number writes it: PREFIX-YEAR-NNNNNN.
_NUMBER = r"[A-Za-z][A-Za-z0-9]{0,15}-\d{4}-\d{6,}"
_SUBJECT_NUMBER = re.compile(rf"\[({_NUMBER})\]")
_MESSAGE_ID = re.compile(r"<([^<>\s@]+)@([^<>\s@]+)>")
_OUR_LOCAL_PART = re.compile(rf"^({_NUMBER})\.")


def make_message_id(*, ticket_number: str, tag: str, domain: str) -> str:
    """Return a new Message-ID naming `ticket_number`; `tag` says what the mail is (e.g. "e456" for event 456).

    A random part keeps two sends of one tag apart; the outbox stores the id, so a retried
    delivery sends the same one.
    """
    if not re.fullmatch(_NUMBER, ticket_number):
        raise ValueError(f"not a ticket number: {ticket_number!r}")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", tag):
        raise ValueError(f"a Message-ID tag is 1 to 40 letters, digits, '-' or '_': {tag!r}")
    return f"<{ticket_number}.{tag}.{secrets.token_hex(4)}@{domain}>"


def message_ids(header_value: str) -> list[str]:
    """Return the Message-IDs (with angle brackets) in an In-Reply-To or References value, in order."""
    return [f"<{local}@{host}>" for local, host in _MESSAGE_ID.findall(header_value or "")]


def ticket_numbers_in_references(header_values: Iterable[str], *, domain: str) -> list[str]:
    """Return the ticket numbers that our own Message-IDs in these headers name, newest reference first.

    References lists the thread oldest first and In-Reply-To names the direct parent, so pass
    In-Reply-To first; duplicates are dropped.
    """
    found: list[str] = []
    for value in header_values:
        for local, host in reversed(_MESSAGE_ID.findall(value or "")):
            if host.lower() != domain.lower():
                continue
            match = _OUR_LOCAL_PART.match(local)
            if match and match.group(1).upper() not in found:
                found.append(match.group(1).upper())
    return found


def ticket_number_in_subject(subject: str) -> str | None:
    """Return the ticket number written as `[TS-2026-000123]` in a subject (the last one), or None."""
    numbers = _SUBJECT_NUMBER.findall(subject or "")
    return numbers[-1].upper() if numbers else None


def subject_with_number(subject: str, *, ticket_number: str) -> str:
    """Return `subject` with `[ticket_number]` in it (unchanged when it is there already)."""
    if f"[{ticket_number}]".lower() in subject.lower():
        return subject
    return f"[{ticket_number}] {subject}".strip()
