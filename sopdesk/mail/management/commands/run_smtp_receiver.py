"""Run the built-in SMTP receiver: mail for the active mailboxes' addresses is stored and becomes tickets."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from sopdesk.mail.models import is_loopback_host
from sopdesk.mail.smtp import DEFAULT_HOST, DEFAULT_PORT, make_controller


class Command(BaseCommand):
    help = "Receive mail over SMTP for the active mailboxes' addresses (loopback by default; put a relay in front)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=DEFAULT_HOST, help="Address to listen on (default: 127.0.0.1).")
        parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="Port to listen on (default: 2525).")
        parser.add_argument(
            "--allow-remote",
            action="store_true",
            help="Allow listening on an address that is not loopback (the receiver has no TLS and no spam filter).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        if not is_loopback_host(host) and not options["allow_remote"]:
            raise CommandError(
                _("%(host)s is not a loopback address; pass --allow-remote to listen there anyway.") % {"host": host}
            )
        if not 0 < port < 65536:
            raise CommandError(_("The port must be between 1 and 65535."))
        # aiosmtpd logs every SMTP command at INFO: only its warnings and errors.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        controller = make_controller(host=host, port=port)
        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        try:
            controller.start()
        except OSError as error:
            raise CommandError(_("Cannot listen on %(host)s:%(port)s: %(error)s") % {
                "host": host, "port": port, "error": error.strerror or error
            }) from error  # fmt: skip
        self.stdout.write(_("Receiving mail on %(host)s:%(port)s; Ctrl+C stops.") % {"host": host, "port": port})
        try:
            stop.wait()
        finally:
            controller.stop()
            self.stdout.write(_("Stopped."))
