"""The `sopdesk` command: operators never need manage.py.

sopdesk serve            web server + job worker, supervised together
sopdesk worker           job worker only (scale-out)
sopdesk demo             migrate, load demo data, print the demo logins, then serve
sopdesk backup           back up the database and attachments (--verify FILE checks an archive)
sopdesk restore FILE     restore an archive (--data-dir DIR, --force)
sopdesk <django command> any management command: migrate, createsuperuser, ...
"""

from __future__ import annotations

import os
import shlex
import sys

from sopdesk.lib.env import EnvError

USAGE = __doc__ or ""


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sopdesk.settings")
    import django

    django.setup()


def _manage(*args: str) -> None:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["sopdesk", *args])


DEFAULT_WEB_THREADS = 1  # threads per web worker: one, see default_web_workers()


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, else all of the machine's)."""
    return max(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 1)


def default_web_workers(*, on_sqlite: bool) -> int:
    """Worker processes of `sopdesk serve`: one per usable CPU on SQLite, two on a database server.

    Python requests are CPU-bound, and a process per request in flight avoids threads of one process
    taking turns on the interpreter lock (the slow tail). A process waiting for a database server
    leaves its CPU to a second one. On SQLite nothing waits but for the one write lock, and a second
    process per CPU only takes the CPU from the lock's holder: with four processes on two CPUs a
    creation cost about 9 % more CPU and held the lock longer than with two (bench/README.md).
    """
    return usable_cpus() * (1 if on_sqlite else 2)


def _on_sqlite() -> bool:
    from django.db import connection

    return bool(connection.vendor == "sqlite")  # the backend's class attribute: nothing is opened


def web_command(python: str, bind: str) -> str:
    """Return the gunicorn command line of `sopdesk serve` (workers, threads and access log from the environment)."""
    from sopdesk.lib.env import env_int, env_str

    web = (
        f"{python} -m gunicorn sopdesk.wsgi:application --bind {bind} --worker-class gthread"
        f" --workers {env_int('SOPDESK_WEB_WORKERS', default_web_workers(on_sqlite=_on_sqlite()), minimum=1)}"
        f" --threads {env_int('SOPDESK_WEB_THREADS', DEFAULT_WEB_THREADS, minimum=1)}"
        " --graceful-timeout 10"
    )
    # Off by default: every line would pass through the supervisor, which costs each request about
    # a millisecond; the TLS proxy in front keeps an access log anyway (docs/configuration.md).
    access_log = env_str("SOPDESK_ACCESS_LOG", "")
    if access_log:
        web += f" --access-logfile {shlex.quote(access_log)}"
    return web


def serve() -> int:
    """Run gunicorn and the huey consumer under one supervisor; if either exits, both stop."""
    from honcho.manager import Manager

    from sopdesk.lib.env import env_int, env_str

    _setup_django()
    from django.conf import settings

    # A restored or freshly imported SQLite database has no planner statistics until the hourly
    # job runs; refreshing them here takes well under a second at 100,000 tickets.
    _manage("refresh_statistics")

    bind = f"{env_str('SOPDESK_BIND', '127.0.0.1')}:{env_int('PORT', 8000, minimum=1)}"
    python = shlex.quote(sys.executable)
    web = web_command(python, bind)
    # The consumer reads its options (workers, polling) from settings.HUEY["consumer"].
    worker = f"{python} -m sopdesk.cli run_huey"
    manager = Manager()
    manager.add_process("web", web)
    manager.add_process("worker", worker)
    print(f"sopdesk is starting on http://{bind}/ (data in {settings.DATA_DIR})", flush=True)
    if settings.EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend":
        print(
            f"outgoing mail is written to files in {settings.EMAIL_FILE_PATH}, not sent:"
            " set SOPDESK_EMAIL_BACKEND and the SMTP server (docs/configuration.md)",
            flush=True,
        )
    manager.loop()
    return manager.returncode or 0


def main(argv: list[str] | None = None) -> int:
    try:
        return _run(list(sys.argv[1:] if argv is None else argv))
    except EnvError as exc:
        print(f"sopdesk: configuration error: {exc}", file=sys.stderr)
        return 2


def _run(args: list[str]) -> int:
    if not args or args[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0
    command, rest = args[0], args[1:]
    if command == "serve":
        return serve()
    if command == "demo":
        # The demo creates accounts with a published password; mark this process as a demo.
        os.environ["SOPDESK_DEMO_MODE"] = "1"
    _setup_django()
    if command == "worker":
        _manage("run_huey", *rest)
    elif command == "demo":
        serve_after = "--no-serve" not in rest
        _manage("migrate", "--no-input")
        _manage("compiletranslations")
        _manage("loaddemo", *[a for a in rest if a != "--no-serve"])
        if serve_after:
            return serve()
        _manage("refresh_statistics")
    else:
        _manage(command, *rest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
