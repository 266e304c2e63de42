"""Real mail servers for the tests: Dovecot (IMAP, IMAPS, LMTP) and Postfix (SMTP) on loopback.

`MailServers.start()` writes a throw-away configuration into a temporary directory, makes a
self-signed certificate for 127.0.0.1/localhost, picks free ports and starts both servers in the
foreground; `stop()` ends them and removes the directory. Postfix accepts mail for the test domains
on its SMTP port and hands it to Dovecot over LMTP; Dovecot stores it in a per-address Maildir and
serves it over IMAP (plain, loopback only) and IMAPS. Every address of the test domains has a
mailbox, and every user added logs in with `PASSWORD` (a passwd-file per user, written when added).
Mail for RELAY_DOMAIN is relayed over SMTP to `relay_port` on loopback, where a test may run the
desk's own SMTP receiver; while nothing listens there, Postfix keeps it queued and retries.

Dovecot runs unprivileged (as the `dovecot` account when the tests run as root); Postfix needs
root to start, so as another user only Dovecot is available (`has_postfix` says which).
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

DOVECOT = Path("/usr/sbin/dovecot")
POSTFIX = Path("/usr/sbin/postfix")
POSTFIX_DAEMONS = Path("/usr/lib/postfix/sbin")
OPENSSL = "openssl"
# The mail domains the servers deliver locally: the desk's support addresses and its requesters'.
SUPPORT_DOMAIN = "desk.test"
CUSTOMER_DOMAIN = "customer.test"
# Postfix relays mail for this domain to `relay_port` on loopback (a test starts an SMTP receiver there).
RELAY_DOMAIN = "direct.test"
PASSWORD = "mail-test-password"  # noqa: S105 - a throw-away account on a loopback test server
LOOPBACK = "127.0.0.1"
START_TIMEOUT = 20.0


class MailServerError(RuntimeError):
    """A test mail server could not be set up or started."""


def missing_binaries() -> list[str]:
    """Return the programs the mail servers need that are not installed (empty: all there)."""
    missing = [str(path) for path in (DOVECOT, POSTFIX) if not path.exists()]
    if shutil.which(OPENSSL) is None:
        missing.append(OPENSSL)
    return missing


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, *, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until something accepts connections on loopback `port`; raise MailServerError after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise MailServerError(f"the server exited with {process.returncode} before listening on port {port}")
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise MailServerError(f"nothing listens on {LOOPBACK}:{port} after {timeout:.0f} s")


def _run(arguments: list[str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(arguments, capture_output=True, text=True, check=False, timeout=60)  # noqa: S603
    if result.returncode != 0:
        raise MailServerError(f"{' '.join(arguments)} failed ({result.returncode}): {result.stderr or result.stdout}")
    return result


@dataclass
class MailServers:
    """Dovecot and (as root) Postfix on loopback, configured in `root`; ports are set by `start()`."""

    root: Path
    imap_port: int = 0
    imaps_port: int = 0
    lmtp_port: int = 0
    smtp_port: int = 0
    relay_port: int = 0
    has_postfix: bool = False
    cert_file: Path = field(init=False)
    _dovecot: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _users: set[str] = field(default_factory=set, init=False, repr=False)
    _counter: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        self.cert_file = self.root / "tls" / "cert.pem"

    # --- life cycle -----------------------------------------------------------------------------

    @classmethod
    @contextlib.contextmanager
    def running(cls, *, with_postfix: bool = True) -> Iterator[MailServers]:
        """Start the servers in a new temporary directory; stop them and remove it afterwards."""
        root = Path(tempfile.mkdtemp(prefix="sopdesk-mail-"))
        servers = cls(root=root)
        try:
            servers.start(with_postfix=with_postfix)
            yield servers
        finally:
            servers.stop()
            shutil.rmtree(root, ignore_errors=True)

    def start(self, *, with_postfix: bool = True) -> None:
        missing = missing_binaries()
        if missing:
            raise MailServerError(f"not installed: {', '.join(missing)}")
        # Daemons running as other accounts (dovecot, postfix) must reach their files below the root.
        self.root.chmod(0o755)
        self._make_certificate()
        self.imap_port, self.imaps_port, self.lmtp_port = free_port(), free_port(), free_port()
        self._start_dovecot()
        if with_postfix and os.geteuid() == 0:
            self.smtp_port, self.relay_port = free_port(), free_port()
            self._start_postfix()
            self.has_postfix = True

    def stop(self) -> None:
        if self.has_postfix:
            self.stop_postfix()
            self.has_postfix = False
        if self._dovecot is not None:
            self._dovecot.terminate()
            try:
                self._dovecot.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._dovecot.kill()
                self._dovecot.wait(timeout=10)
            self._dovecot = None

    # --- TLS ------------------------------------------------------------------------------------

    def _make_certificate(self) -> None:
        tls = self.root / "tls"
        tls.mkdir()
        _run(
            [
                OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", str(tls / "key.pem"), "-out", str(self.cert_file), "-days", "2",
                "-subj", "/CN=localhost", "-addext", f"subjectAltName=DNS:localhost,IP:{LOOPBACK}",
            ]
        )  # fmt: skip

    def client_tls_context(self) -> ssl.SSLContext:
        """Return a TLS context that verifies the servers' certificate (it is its own authority)."""
        return ssl.create_default_context(cafile=str(self.cert_file))

    # --- Dovecot --------------------------------------------------------------------------------

    def _dovecot_account(self) -> pwd.struct_passwd:
        if os.geteuid() == 0:
            try:
                return pwd.getpwnam("dovecot")
            except KeyError as exc:
                raise MailServerError("the dovecot account is missing (install dovecot-core)") from exc
        return pwd.getpwuid(os.geteuid())

    def _start_dovecot(self) -> None:
        account = self._dovecot_account()
        home = self.root / "dovecot"
        for directory in (home, home / "run", home / "state", home / "mail"):
            directory.mkdir(mode=0o750, exist_ok=True)
        (home / "users").mkdir(mode=0o750, exist_ok=True)
        config = home / "dovecot.conf"
        config.write_text(self._dovecot_config(home, account))
        for path in [home, *home.iterdir(), self.root / "tls", *(self.root / "tls").iterdir()]:
            os.chown(path, account.pw_uid, account.pw_gid)
        self._dovecot = subprocess.Popen(  # noqa: S603
            [str(DOVECOT), "-F", "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(home / "stderr.log").open("wb"),
            user=account.pw_uid if os.geteuid() == 0 else None,
            group=account.pw_gid if os.geteuid() == 0 else None,
            extra_groups=[] if os.geteuid() == 0 else None,
            start_new_session=True,
        )
        try:
            for port in (self.imap_port, self.imaps_port, self.lmtp_port):
                wait_for_port(port, timeout=START_TIMEOUT, process=self._dovecot)
        except MailServerError as exc:
            raise MailServerError(f"Dovecot: {exc}\n{self.dovecot_log()}") from exc

    def _dovecot_config(self, home: Path, account: pwd.struct_passwd) -> str:
        tls = self.root / "tls"
        return f"""\
base_dir = {home}/run
state_dir = {home}/state
instance_name = sopdesk-test-{self.imap_port}
log_path = {home}/dovecot.log
protocols = imap lmtp
listen = {LOOPBACK}
ssl = yes
ssl_cert = <{tls}/cert.pem
ssl_key = <{tls}/key.pem
# Plain IMAP exists for the loopback tests of the "plain" mailbox setting.
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {account.pw_name}
default_internal_group = {grp.getgrgid(account.pw_gid).gr_name}
default_login_user = {account.pw_name}
first_valid_uid = {account.pw_uid}
first_valid_gid = {account.pw_gid}
mail_location = maildir:{home}/mail/%d/%n
mail_fsync = never
lmtp_save_to_detail_mailbox = no
passdb {{
  driver = passwd-file
  # One file per user: Dovecot re-reads a changed passwd-file at most once a second, so users added
  # to one shared file could not log in at once; a new file is read on first use.
  args = scheme=PLAIN username_format=%u {home}/users/%d/%n
}}
userdb {{
  driver = static
  args = uid={account.pw_uid} gid={account.pw_gid} home={home}/mail/%d/%n allow_all_users=yes
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {LOOPBACK}
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = {LOOPBACK}
    port = {self.imaps_port}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = {LOOPBACK}
    port = {self.lmtp_port}
  }}
  unix_listener lmtp {{
    mode = 0600
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0600
  }}
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
"""

    def dovecot_log(self) -> str:
        """Return Dovecot's log so far (for failure messages)."""
        parts = []
        for name in ("dovecot.log", "stderr.log"):
            path = self.root / "dovecot" / name
            if path.exists():
                parts.append(path.read_text(errors="replace")[-4000:])
        return "\n".join(parts)

    # --- Postfix --------------------------------------------------------------------------------

    def _start_postfix(self) -> None:
        home = self.root / "postfix"
        config, queue, data = home / "etc", home / "queue", home / "data"
        for directory in (home, config, queue, data):
            directory.mkdir(mode=0o755, exist_ok=True)
        shutil.chown(data, user="postfix")
        (config / "main.cf").write_text(self._postfix_main(queue, data))
        (config / "master.cf").write_text(self._postfix_master())
        # Creates the queue's subdirectories with the owners and modes Postfix wants.
        _run([str(POSTFIX), "-c", str(config), "set-permissions"])
        self.start_postfix()

    def start_postfix(self) -> None:
        """Start Postfix (again) and wait until its SMTP port answers."""
        _run([str(POSTFIX), "-c", str(self.root / "postfix" / "etc"), "start"])
        wait_for_port(self.smtp_port, timeout=START_TIMEOUT)

    def stop_postfix(self) -> None:
        """Stop Postfix (mail in its queue stays there for the next start); the SMTP port refuses connections."""
        with contextlib.suppress(MailServerError):
            _run([str(POSTFIX), "-c", str(self.root / "postfix" / "etc"), "stop"])
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                socket.create_connection((LOOPBACK, self.smtp_port), timeout=0.5).close()
            except OSError:
                return
            time.sleep(0.05)

    def flush_queue(self) -> None:
        """Ask Postfix to try every deferred message now (what an operator does once a next hop is back)."""
        _run(self._postqueue("-f"))

    def queue_listing(self) -> str:
        """Return `postqueue -p`'s listing of the mail Postfix still holds (for failure messages; never raises)."""
        return subprocess.run(self._postqueue("-p"), capture_output=True, text=True, check=False, timeout=60).stdout  # noqa: S603

    def _postqueue(self, option: str) -> list[str]:
        return [str(POSTFIX.with_name("postqueue")), "-c", str(self.root / "postfix" / "etc"), option]

    @contextlib.contextmanager
    def smtp_down(self) -> Iterator[None]:
        """Stop Postfix inside the block and start it again afterwards."""
        self.stop_postfix()
        try:
            yield
        finally:
            self.start_postfix()

    def _postfix_main(self, queue: Path, data: Path) -> str:
        return f"""\
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.{SUPPORT_DOMAIN}
mydomain = {SUPPORT_DOMAIN}
mydestination =
inet_interfaces = {LOOPBACK}
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = {SUPPORT_DOMAIN}, {CUSTOMER_DOMAIN}
virtual_mailbox_maps = static:mailbox
virtual_transport = lmtp:inet:{LOOPBACK}:{self.lmtp_port}
relayhost =
relay_domains = {RELAY_DOMAIN}
transport_maps = inline:{{ {RELAY_DOMAIN}=smtp:[{LOOPBACK}]:{self.relay_port} }}
smtp_tls_security_level = none
default_transport = error:this test server delivers only to {SUPPORT_DOMAIN}, {CUSTOMER_DOMAIN} and {RELAY_DOMAIN}
message_size_limit = 52428800
smtputf8_enable = no
biff = no
maillog_file = {home_log(self.root)}
maillog_file_prefixes = {self.root}
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
"""

    def _postfix_master(self) -> str:
        # No chroot (the queue is a temporary directory), only the services a local delivery uses.
        services = [
            f"{LOOPBACK}:{self.smtp_port} inet n - n - - smtpd",
            "pickup unix n - n 60 1 pickup",
            "cleanup unix n - n - 0 cleanup",
            "qmgr unix n - n 300 1 qmgr",
            "rewrite unix - - n - - trivial-rewrite",
            "bounce unix - - n - 0 bounce",
            "defer unix - - n - 0 bounce",
            "trace unix - - n - 0 bounce",
            "verify unix - - n - 1 verify",
            "flush unix n - n 1000? 0 flush",
            "proxymap unix - - n - - proxymap",
            "smtp unix - - n - - smtp",
            "relay unix - - n - - smtp",
            "showq unix n - n - - showq",
            "error unix - - n - - error",
            "retry unix - - n - - error",
            "discard unix - - n - - discard",
            "lmtp unix - - n - - lmtp",
            "anvil unix - - n - 1 anvil",
            "scache unix - - n - 1 scache",
            "postlog unix-dgram n - n - 1 postlogd",
        ]
        return "\n".join(services) + "\n"

    def postfix_log(self) -> str:
        path = Path(home_log(self.root))
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    # --- users and clients ----------------------------------------------------------------------

    def new_address(self, name: str = "user", *, domain: str = SUPPORT_DOMAIN) -> str:
        """Return a new address of `domain` with an empty mailbox and the password `PASSWORD`."""
        self._counter += 1
        address = f"{name}-{self._counter}-{os.getpid()}@{domain}"
        self.add_user(address)
        return address

    def add_user(self, address: str) -> None:
        """Let `address` log in over IMAP with `PASSWORD` (it receives mail whether or not it can log in)."""
        if address in self._users:
            return
        local, _, domain = address.rpartition("@")
        if not local or "/" in address or address.startswith("."):
            raise ValueError(f"not a test address: {address!r}")
        folder = self.root / "dovecot" / "users" / domain
        folder.mkdir(mode=0o750, exist_ok=True)
        path = folder / local
        path.write_text(f"{address}:{{PLAIN}}{PASSWORD}\n")
        account = self._dovecot_account()
        for item in (folder, path):
            os.chown(item, account.pw_uid, account.pw_gid)
        self._users.add(address)

    def imap(self, address: str, *, tls: bool = False) -> imaplib.IMAP4:
        """Return an IMAP session logged in as `address` (IMAPS with a verified certificate when `tls`)."""
        self.add_user(address)
        session: imaplib.IMAP4
        if tls:
            session = imaplib.IMAP4_SSL(LOOPBACK, self.imaps_port, ssl_context=self.client_tls_context(), timeout=10)
        else:
            session = imaplib.IMAP4(LOOPBACK, self.imap_port, timeout=10)
        session.login(address, PASSWORD)
        return session

    def send(self, raw: bytes, *, sender: str, recipients: list[str]) -> None:
        """Hand `raw` to Postfix over SMTP for `recipients`."""
        if not self.has_postfix:
            raise MailServerError("Postfix is not running (it needs root)")
        with smtplib.SMTP(LOOPBACK, self.smtp_port, timeout=10) as client:
            client.sendmail(sender, recipients, raw)

    def deliver(self, raw: bytes, *, recipient: str) -> None:
        """Store `raw` in `recipient`'s INBOX directly over LMTP (no Postfix involved)."""
        self.add_user(recipient)
        with smtplib.LMTP(LOOPBACK, self.lmtp_port, timeout=10) as client:
            client.sendmail("sender@" + CUSTOMER_DOMAIN, [recipient], raw)

    def wait_for_messages(self, address: str, count: int = 1, *, folder: str = "INBOX", timeout: float = 20) -> None:
        """Wait until `address`'s `folder` holds at least `count` messages (Postfix delivers asynchronously)."""
        deadline = time.monotonic() + timeout
        while True:
            session = self.imap(address)
            try:
                status, data = session.select(folder, readonly=True)
                found = int(data[0] or 0) if status == "OK" else 0
            finally:
                with contextlib.suppress(Exception):
                    session.logout()
            if found >= count:
                return
            if time.monotonic() > deadline:
                raise MailServerError(
                    f"{address}/{folder} holds {found} of {count} messages after {timeout:.0f} s\n{self.postfix_log()}"
                )
            time.sleep(0.1)

    def fetch_all(self, address: str, *, folder: str = "INBOX") -> list[bytes]:
        """Return the raw messages in `address`'s `folder`, oldest first, without marking them seen."""
        session = self.imap(address)
        try:
            session.select(folder, readonly=True)
            _, data = session.uid("SEARCH", "ALL")
            messages = []
            for uid in (data[0] or b"").decode().split():
                _, parts = session.uid("FETCH", uid, "(BODY.PEEK[])")
                for part in parts:
                    if isinstance(part, tuple):
                        messages.append(part[1])
            return messages
        finally:
            with contextlib.suppress(Exception):
                session.logout()


def home_log(root: Path) -> str:
    return str(root / "postfix" / "maillog")
