"""The IMAP poller: fetch a mailbox's new messages, store each (intake), and only then mark it on the server.

A message is stored by `intake.receive_raw`, which commits; only afterwards is it flagged (\\Seen and
the STORED_KEYWORD) or moved to the processed folder. A poll that dies in between leaves the
message unmarked: the next poll fetches it again and intake, idempotent, returns the stored row.
New messages are the ones without our keyword (flag mode) or every message left in the folder
(move mode), so a message someone read in a mail client is not skipped. TLS verifies the server's
certificate; plain IMAP only reaches loopback hosts (for tests and local relays).
"""

from __future__ import annotations

import imaplib
import logging
import ssl
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from huey.exceptions import TaskLockedException

from sopdesk.mail.choices import AfterFetch, ImapSecurity, MailSource
from sopdesk.mail.intake import receive_raw
from sopdesk.mail.models import ERROR_MAX_LENGTH, Mailbox, is_loopback_host

logger = logging.getLogger(__name__)

# Set on every message stored from the server, so that flag mode never fetches it again.
STORED_KEYWORD = "$SopdeskStored"
TIMEOUT_SECONDS = 30
# Messages fetched per poll of one mailbox; the rest waits for the next poll, so one full mailbox
# does not hold up the others.
MAX_MESSAGES_PER_POLL = 200
# UIDs marked per STORE/MOVE command.
MARK_BATCH = 50


class ImapError(Exception):
    """The server refused something, or the mailbox's settings do not allow a connection."""


@dataclass
class PollReport:
    """What one poll of one mailbox did."""

    fetched_count: int = 0  # messages read from the server
    stored_count: int = 0  # of those, new rows (the rest was stored before)
    marked_count: int = 0  # flagged or moved on the server after storing
    has_more: bool = False  # more new messages than MAX_MESSAGES_PER_POLL
    error: str = ""


def tls_context() -> ssl.SSLContext:
    """Return a context that verifies the server's certificate and host name (plus SOPDESK_MAIL_CA_FILE)."""
    context = ssl.create_default_context()
    ca_file = getattr(settings, "SOPDESK_MAIL_CA_FILE", "")
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def connect(mailbox: Mailbox) -> imaplib.IMAP4:
    """Open a logged-in IMAP session to `mailbox`'s server (TLS, STARTTLS, or plain to loopback only)."""
    host, port = mailbox.imap_host.strip(), mailbox.imap_port
    if not host or not mailbox.imap_username:
        raise ImapError("The mailbox has no IMAP host or user name.")
    session: imaplib.IMAP4
    if mailbox.imap_security == ImapSecurity.TLS:
        session = imaplib.IMAP4_SSL(host, port, ssl_context=tls_context(), timeout=TIMEOUT_SECONDS)
    elif mailbox.imap_security == ImapSecurity.STARTTLS:
        session = imaplib.IMAP4(host, port, timeout=TIMEOUT_SECONDS)
        try:
            session.starttls(ssl_context=tls_context())
        except BaseException:
            _close(session)
            raise
    elif mailbox.imap_security == ImapSecurity.PLAIN:
        # The password would cross the network in the clear: refused here, whatever the stored settings say.
        if not is_loopback_host(host):
            raise ImapError("Plain IMAP is allowed only for a loopback host.")
        session = imaplib.IMAP4(host, port, timeout=TIMEOUT_SECONDS)
    else:
        raise ImapError(f"Unknown IMAP security {mailbox.imap_security!r}.")
    try:
        session.login(mailbox.imap_username, mailbox.imap_password)
        _refresh_capabilities(session)
    except BaseException:
        _close(session)
        raise
    return session


def _refresh_capabilities(session: imaplib.IMAP4) -> None:
    # imaplib keeps the capabilities the server announced before login; servers announce their
    # extensions (MOVE, UIDPLUS) only after it.
    data = _ok(session.capability(), "CAPABILITY")
    words = b" ".join(item for item in data if isinstance(item, bytes)).decode("ascii", "replace").upper().split()
    if words:
        session.capabilities = tuple(words)


def _close(session: imaplib.IMAP4) -> None:
    # The socket may be half set up (a failed TLS handshake): closing it must not hide the original error.
    with suppress(OSError):
        session.shutdown()


@contextmanager
def imap_session(mailbox: Mailbox) -> Iterator[imaplib.IMAP4]:
    session = connect(mailbox)
    try:
        yield session
    finally:
        with suppress(Exception):
            session.logout()


def _quoted(name: str) -> str:
    """Return a mailbox name as an IMAP quoted string."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(result: tuple[str, Any], what: str) -> list[Any]:
    status, data = result
    if status != "OK":
        detail = b" ".join(item for item in data or [] if isinstance(item, bytes)).decode("utf-8", "replace")
        raise ImapError(f"{what}: {status} {detail}".strip())
    return list(data or [])


def _uid_validity(session: imaplib.IMAP4) -> str:
    _, values = session.response("UIDVALIDITY")
    value = values[0] if values and values[0] is not None else b""
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True)
class Folder:
    """The selected folder: its UIDVALIDITY, and whether it keeps keywords of ours (PERMANENTFLAGS has \\*)."""

    uid_validity: str
    has_keywords: bool


def select_folder(session: imaplib.IMAP4, mailbox: Mailbox) -> Folder:
    """Select `mailbox`'s folder for reading and writing flags."""
    _ok(session.select(_quoted(mailbox.imap_folder or "INBOX")), f"SELECT {mailbox.imap_folder}")
    _, flags = session.response("PERMANENTFLAGS")
    permanent = b" ".join(item for item in flags or [] if isinstance(item, bytes))
    return Folder(uid_validity=_uid_validity(session), has_keywords=b"\\*" in permanent)


def new_uids(session: imaplib.IMAP4, mailbox: Mailbox, *, has_keywords: bool = True) -> list[str]:
    """Return the UIDs of the messages not yet taken from the selected folder, oldest first.

    Without keywords (a server that keeps only the system flags) flag mode can only go by \\Seen.
    """
    if mailbox.after_fetch == AfterFetch.MOVE:
        criteria = "UNDELETED"
    elif has_keywords:
        criteria = f"UNDELETED UNKEYWORD {STORED_KEYWORD}"
    else:
        criteria = "UNDELETED UNSEEN"
    data = _ok(session.uid("SEARCH", criteria), "SEARCH")
    raw = data[0] if data and isinstance(data[0], bytes) else b""
    return sorted(raw.decode().split(), key=int)


def fetch_raw(session: imaplib.IMAP4, uid: str) -> bytes | None:
    """Return the raw message `uid` without marking it seen (None when it vanished meanwhile)."""
    data = _ok(session.uid("FETCH", uid, "(BODY.PEEK[])"), f"FETCH {uid}")
    for part in data:
        if isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], bytes):
            return part[1]
    return None


def mark_taken(session: imaplib.IMAP4, mailbox: Mailbox, uids: list[str], *, has_keywords: bool = True) -> None:
    """Flag (\\Seen and STORED_KEYWORD) or move the stored messages `uids` on the server."""
    flags = f"(\\Seen {STORED_KEYWORD})" if has_keywords else "(\\Seen)"
    for start in range(0, len(uids), MARK_BATCH):
        chunk = ",".join(uids[start : start + MARK_BATCH])
        if mailbox.after_fetch == AfterFetch.MOVE:
            _move(session, chunk, mailbox.processed_folder)
        else:
            _ok(session.uid("STORE", chunk, "+FLAGS.SILENT", flags), "STORE")


def _move(session: imaplib.IMAP4, uids: str, folder: str) -> None:
    target = _quoted(folder)
    capabilities = {str(capability).upper() for capability in session.capabilities}
    if "MOVE" in capabilities:
        _ok(session.uid("MOVE", uids, target), "MOVE")
        return
    # Without MOVE: copy, then delete the originals. A crash after the copy leaves both; the next poll
    # fetches the original again and intake returns the stored row.
    _ok(session.uid("COPY", uids, target), "COPY")
    _ok(session.uid("STORE", uids, "+FLAGS.SILENT", "(\\Deleted)"), "STORE")
    if "UIDPLUS" in capabilities:
        _ok(session.uid("EXPUNGE", uids), "EXPUNGE")
    else:
        _ok(session.expunge(), "EXPUNGE")


def _ensure_folder(session: imaplib.IMAP4, folder: str) -> None:
    # CREATE fails when the folder exists; a missing folder then shows as a failed MOVE.
    with suppress(imaplib.IMAP4.error):
        session.create(_quoted(folder))


def poll_mailbox(
    mailbox: Mailbox,
    *,
    now: datetime,
    max_messages: int = MAX_MESSAGES_PER_POLL,
    after_store: Callable[[str], None] | None = None,
) -> PollReport:
    """Fetch `mailbox`'s new messages, store each, then mark them on the server; record the outcome.

    Errors (connection, login, a refused command) end the poll and are recorded on the mailbox as
    `last_error`; nothing already stored is lost and nothing unstored is marked. `after_store` is
    called with each UID once its message is stored (tests use it to stop a poll midway).
    """
    report = PollReport()
    try:
        with imap_session(mailbox) as session:
            folder = select_folder(session, mailbox)
            stored_uids: list[str] = []
            try:
                _fetch_and_store(session, mailbox, folder, now=now, max_messages=max_messages, report=report,
                                 stored_uids=stored_uids, after_store=after_store)  # fmt: skip
            except _NETWORK_ERRORS:
                # The connection failed midway: mark what is stored if the session still works.
                with suppress(*_NETWORK_ERRORS):
                    mark_taken(session, mailbox, stored_uids, has_keywords=folder.has_keywords)
                    report.marked_count = len(stored_uids)
                raise
            # Anything else (the database, a bug, the worker stopping) ends the poll here, unmarked:
            # the next poll fetches those messages again and intake returns their stored rows.
            mark_taken(session, mailbox, stored_uids, has_keywords=folder.has_keywords)
            report.marked_count = len(stored_uids)
    except Exception as exc:
        report.error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX_LENGTH]
        logger.warning("Mailbox %s: poll failed: %s", mailbox.pk, report.error)
        _record(mailbox, now=now, error=report.error)
        if not isinstance(exc, _NETWORK_ERRORS):
            raise
        return report
    _record(mailbox, now=now, error="")
    return report


_NETWORK_ERRORS = (OSError, imaplib.IMAP4.error, ImapError)


def _fetch_and_store(
    session: imaplib.IMAP4,
    mailbox: Mailbox,
    folder: Folder,
    *,
    now: datetime,
    max_messages: int,
    report: PollReport,
    stored_uids: list[str],
    after_store: Callable[[str], None] | None,
) -> None:
    uids = new_uids(session, mailbox, has_keywords=folder.has_keywords)
    report.has_more = len(uids) > max_messages
    if mailbox.after_fetch == AfterFetch.MOVE and uids:
        _ensure_folder(session, mailbox.processed_folder)
    for uid in uids[:max_messages]:
        raw = fetch_raw(session, uid)
        if raw is None:
            continue
        report.fetched_count += 1
        server_uid = f"{folder.uid_validity}:{uid}"
        mail = receive_raw(mailbox=mailbox, raw=raw, source=MailSource.IMAP, now=now, server_uid=server_uid)
        # receive_raw committed: from here on the server copy may be marked.
        if mail.received_at == now and mail.server_uid == server_uid:
            report.stored_count += 1
        stored_uids.append(uid)
        if after_store is not None:
            after_store(uid)


def _record(mailbox: Mailbox, *, now: datetime, error: str) -> None:
    # Poll bookkeeping, not a configuration change: no audit entry.
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=now, last_error=error)
    mailbox.last_polled_at, mailbox.last_error = now, error


def poll_active_mailboxes(
    *, now: datetime, lock: Callable[[str], AbstractContextManager[object]] | None = None
) -> dict[int, PollReport]:
    """Poll every active mailbox with an IMAP host, one after the other; return each one's report.

    `lock(name)` returns a context manager held while one mailbox is polled (the job queue's lock),
    so that two workers never poll the same mailbox; a mailbox whose lock is held is skipped. A
    mailbox whose poll fails does not stop the others.
    """
    reports: dict[int, PollReport] = {}
    for mailbox in Mailbox.objects.filter(is_active=True).exclude(imap_host="").order_by("pk"):
        try:
            with lock(f"mail-poll-{mailbox.pk}") if lock is not None else nullcontext():
                reports[mailbox.pk] = poll_mailbox(mailbox, now=now)
        except TaskLockedException:
            logger.info("Mailbox %s: another worker is polling it", mailbox.pk)
        except Exception:
            logger.exception("Mailbox %s: poll failed", mailbox.pk)
    return reports
