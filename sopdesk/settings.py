"""sopdesk settings, read from environment variables (see `.env.example` and docs/configuration.md)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import dj_database_url

from sopdesk.lib.env import EnvError, env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# All state of the embedded mode lives under one folder so operators back up or move one thing.
DATA_DIR = Path(env_str("SOPDESK_DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    configured = env_secret("SOPDESK_SECRET_KEY")
    if configured:
        return configured
    # Embedded mode: generate once and keep it beside the data it protects.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("SOPDESK_DEBUG", False)
ALLOWED_HOSTS = env_list("SOPDESK_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("SOPDESK_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "django_filters",
    "huey.contrib.djhuey",
    "axes",
    "csp",
    "django_htmx",
    "sopdesk.core",
    "sopdesk.accounts",
    "sopdesk.audit",
    "sopdesk.tickets",
    "sopdesk.sla",
    "sopdesk.casework",
    "sopdesk.closing",
    "sopdesk.collaboration",
    "sopdesk.workforce",
    "sopdesk.routing",
    "sopdesk.kb",
    "sopdesk.integrations",
    "sopdesk.calls",
    "sopdesk.alerts",
    "sopdesk.search",
    "sopdesk.notifications",
    "sopdesk.mail",
    "sopdesk.backup",
    "sopdesk.web",
    "sopdesk.workspace",
    "sopdesk.portal",
    "sopdesk.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "sopdesk.core.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise, so static files stay cacheable; everything else is marked no-store.
    "sopdesk.core.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: pages show times in the user's own zone (profile), else the desk's.
    "sopdesk.core.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so lockouts see the authenticated user and the resolved view.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sopdesk.urls"
WSGI_APPLICATION = "sopdesk.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]


def _databases() -> dict[str, Any]:
    url = env_str("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=env_int("SOPDESK_DB_CONN_MAX_AGE", 60))
    else:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "sopdesk.sqlite3")}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Django's backend with writers queued for their turn (sopdesk/core/sqlite/base.py).
        config["ENGINE"] = "sopdesk.core.sqlite"
        config["OPTIONS"] = {
            # IMMEDIATE takes the write lock at BEGIN, so concurrent writers wait
            # (busy timeout) instead of failing on lock upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SOPDESK_SQLITE_TIMEOUT", 20, minimum=1),
            # The commit that takes the log past `wal_autocheckpoint` pages copies it into the database
            # and syncs both files, still holding the write lock: every 19 creations for 9 ms at
            # SQLite's 1,000 pages, every 75 for 20 ms at 4,000 (0.44 -> 0.25 ms a creation; bench/README.md).
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            f" PRAGMA wal_autocheckpoint={env_int('SOPDESK_SQLITE_WAL_AUTOCHECKPOINT', 4000, minimum=100)};",
        }
        # Kept open between requests like a URL database's: a new connection costs its setup and
        # starts with an empty page cache (bench/README.md). `sopdesk restore` refuses to replace
        # the file while a process holds it open (sopdesk.lib.inuse).
        config["CONN_MAX_AGE"] = env_int("SOPDESK_DB_CONN_MAX_AGE", 60, minimum=0)
    return {"default": config}


DATABASES = _databases()
# SQLite: transactions wait for their turn on a lock file instead of retrying in SQLite's busy
# handler, whose sleeps grow to 100 ms a try and made the slowest 1 % of creations take 130-190 ms
# (up to 1.5 s) while the lock was mostly free; with the queue they took 60-67 ms (bench/README.md).
SOPDESK_SQLITE_QUEUE_WRITERS = env_bool("SOPDESK_SQLITE_QUEUE_WRITERS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env_str("SOPDESK_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "sopdesk" / "locale"]
TIME_ZONE = env_str("SOPDESK_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("SOPDESK_STATIC_ROOT", str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve straight from app folders so the embedded mode needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "attachments"  # never served directly: downloads go through a checked view

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# One switch for an operator behind a TLS-terminating proxy: trust its X-Forwarded-Proto, redirect
# plain HTTP, send HSTS, and keep the session and CSRF cookies on HTTPS under the __Host- prefix
# (no Domain, Path=/, Secure: a sibling subdomain cannot set or overwrite them).
BEHIND_TLS_PROXY = env_bool("SOPDESK_BEHIND_TLS_PROXY", False)
if env_bool("SOPDESK_SECURE_COOKIES", False) and not BEHIND_TLS_PROXY:
    # The old separate switch: refuse to start with cookies silently less protected than asked.
    raise EnvError("SOPDESK_SECURE_COOKIES was replaced by SOPDESK_BEHIND_TLS_PROXY=true (docs/operations.md)")
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env_int("SOPDESK_HSTS_SECONDS", 365 * 24 * 3600, minimum=1)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SOPDESK_HSTS_PRELOAD", False)
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    if not SECURE_HSTS_PRELOAD:
        # Asking browsers to preload HSTS binds the whole registrable domain for months: the
        # domain's owner opts in with SOPDESK_HSTS_PRELOAD, so its absence is not a warning here.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content-Security-Policy on every response (django-csp). Pages load scripts, styles, fonts and
# images from this site only; no inline scripts or styles (STYLE.md), no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Failed-login lockout (web login and API token endpoint): one username from one address, one
# address trying many usernames (spraying), one username from many addresses; each has its limit.
AXES_FAILURE_LIMIT = env_int("SOPDESK_LOGIN_FAILURE_LIMIT", 5, minimum=1)
SOPDESK_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("SOPDESK_LOGIN_ADDRESS_FAILURE_LIMIT", 30, minimum=1)
SOPDESK_LOGIN_USERNAME_FAILURE_LIMIT = env_int("SOPDESK_LOGIN_USERNAME_FAILURE_LIMIT", 20, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SOPDESK_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address", "username"]
AXES_HANDLER = "sopdesk.accounts.lockout.PerParameterLimitHandler"
AXES_CLIENT_IP_CALLABLE = "sopdesk.core.http.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("SOPDESK_LOGIN_LOCKOUT", True)
# Keep the JSON 429 of the API and the styled login page instead of axes' plain-text page.
AXES_LOCKOUT_CALLABLE = "sopdesk.accounts.lockout.lockout_response"


def _huey() -> dict[str, object]:
    backend = env_str("SOPDESK_QUEUE", "sqlite")
    common: dict[str, object] = {
        "name": "sopdesk",
        # Explicit: djhuey would otherwise follow DEBUG.
        "immediate": env_bool("SOPDESK_QUEUE_IMMEDIATE", False),
        "results": False,
        "consumer": {
            "workers": env_int("SOPDESK_WORKERS", 2, minimum=1),
            "worker_type": "thread",
            # Poll an idle queue at most every second so jobs start promptly (SQLite queue polls).
            "initial_delay": 0.1,
            "backoff": 1.15,
            "max_delay": 1.0,
        },
    }
    if backend == "sqlite":
        # Huey's SQLite queue, committed with synchronous=NORMAL (sopdesk.core.jobqueue).
        huey_class = "sopdesk.core.jobqueue.EmbeddedHuey"
        return {**common, "huey_class": huey_class, "filename": str(DATA_DIR / "jobs.sqlite3")}
    if backend == "redis":
        return {
            **common,
            "huey_class": "huey.RedisHuey",
            "url": env_str("SOPDESK_REDIS_URL", "redis://127.0.0.1:6379/0"),
        }
    if backend == "postgres":
        dsn = env_str("SOPDESK_QUEUE_DATABASE_URL") or env_str("DATABASE_URL")
        return {**common, "huey_class": "huey.PostgresHuey", "dsn": dsn}
    raise EnvError(f"SOPDESK_QUEUE must be sqlite, redis or postgres, got {backend!r}")


HUEY = _huey()

# Until a mail server is configured, mail is written to files in EMAIL_FILE_PATH: not to the
# service's log, which would then hold requesters' names and messages, and through whose supervisor
# each line would cost CPU the web workers need (bench/README.md).
EMAIL_BACKEND = env_str("SOPDESK_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("SOPDESK_FROM_EMAIL", "sopdesk@localhost")
EMAIL_HOST = env_str("SOPDESK_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("SOPDESK_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("SOPDESK_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_secret("SOPDESK_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("SOPDESK_EMAIL_STARTTLS", False)
EMAIL_USE_SSL = env_bool("SOPDESK_EMAIL_SSL", False)
EMAIL_TIMEOUT = env_int("SOPDESK_EMAIL_TIMEOUT", 30, minimum=1)
# Used by django.core.mail.backends.filebased.EmailBackend (the default, until SMTP is configured).
EMAIL_FILE_PATH = env_str("SOPDESK_EMAIL_FILE_PATH", str(DATA_DIR / "sent-mail"))
# The domain of the Message-IDs of the desk's mail ("<TS-2026-000123.e45.1a2b3c4d@desk.example>"): replies
# that name one of them find their ticket. Default: the domain of the sender address.
SOPDESK_MAIL_DOMAIN = env_str("SOPDESK_MAIL_DOMAIN") or (
    parseaddr(DEFAULT_FROM_EMAIL)[1].rpartition("@")[2].lower() or "localhost"
)
# A PEM file of certificate authorities the IMAP poller trusts besides the system's (a private mail server).
SOPDESK_MAIL_CA_FILE = env_str("SOPDESK_MAIL_CA_FILE")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("SOPDESK_LOG_LEVEL", "INFO")},
    # huey's consumer installs its own handler; do not print every line twice.
    "loggers": {
        "axes": {"level": "WARNING"},
        "huey": {"level": "INFO", "propagate": False},
        # httpx logs every request's URL at INFO; a chat robot's URL carries its key.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# --- sopdesk domain settings -------------------------------------------------------------
SOPDESK_DEMO_MODE = env_bool("SOPDESK_DEMO_MODE", False)
SOPDESK_TICKET_PREFIX = env_str("SOPDESK_TICKET_PREFIX", "TS")
# How requesters reach the desk besides the portal: shown on the confirmation page and in the acknowledgement.
SOPDESK_SUPPORT_PHONE = env_str("SOPDESK_SUPPORT_PHONE")
SOPDESK_SUPPORT_EMAIL = env_str("SOPDESK_SUPPORT_EMAIL")
# The acknowledgement e-mail for requests filed in the portal (mailboxes have their own switch).
SOPDESK_PORTAL_ACKNOWLEDGEMENT = env_bool("SOPDESK_PORTAL_ACKNOWLEDGEMENT", True)
# Password reset mails per address and hour; more requests are accepted but send nothing.
SOPDESK_PASSWORD_RESET_LIMIT = env_int("SOPDESK_PASSWORD_RESET_LIMIT", 3, minimum=1)
SOPDESK_REOPEN_WINDOW_DAYS = env_int("SOPDESK_REOPEN_WINDOW_DAYS", 7, minimum=0)
# Where requesters reach the desk: the links in their mails point here (/portal/requests/<number>/).
SOPDESK_BASE_URL = env_str("SOPDESK_BASE_URL", "http://localhost:8000")
# A resolved or pending-confirmation ticket closes after this many working days without an answer.
SOPDESK_AUTOCLOSE_WORKING_DAYS = env_int("SOPDESK_AUTOCLOSE_WORKING_DAYS", 3, minimum=1)
# The calendar (code) that counts those days for tickets without SLA clocks; empty: Monday to Friday.
SOPDESK_DEFAULT_CALENDAR = env_str("SOPDESK_DEFAULT_CALENDAR", "")
# A team asked for collaboration accepts or rejects within this many working days of its calendar.
SOPDESK_COLLABORATION_ACCEPT_WORKING_DAYS = env_int("SOPDESK_COLLABORATION_ACCEPT_WORKING_DAYS", 1, minimum=1)
# A ticket with open collaboration requests cannot be resolved (or a fix proposed) while this is on.
SOPDESK_COLLABORATION_BLOCKS_RESOLVE = env_bool("SOPDESK_COLLABORATION_BLOCKS_RESOLVE", True)
SOPDESK_ATTACHMENT_MAX_BYTES = env_int("SOPDESK_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
# Largest accepted monitoring-alert payload (docs/alerts.md); the request limit above still applies.
SOPDESK_ALERT_MAX_BYTES = env_int("SOPDESK_ALERT_MAX_BYTES", 1024 * 1024, minimum=1024)
# Inbound mail (docs/mail.md): a larger message is stored and quarantined, never processed.
SOPDESK_MAIL_MAX_BYTES = env_int("SOPDESK_MAIL_MAX_BYTES", 30 * 1024 * 1024, minimum=1024)
# Acknowledgement mails to one sender address per hour; more new tickets from it get none.
SOPDESK_MAIL_ACKS_PER_HOUR = env_int("SOPDESK_MAIL_ACKS_PER_HOUR", 5, minimum=0)
SOPDESK_API_TOKEN_TTL_DAYS = env_int("SOPDESK_API_TOKEN_TTL_DAYS", 30, minimum=1)
# Backups: `sopdesk backup` writes here by default; the daily job keeps the newest KEEP archives.
SOPDESK_BACKUP_DIR = Path(env_str("SOPDESK_BACKUP_DIR", str(DATA_DIR / "backups"))).resolve()
SOPDESK_BACKUP_DAILY = env_bool("SOPDESK_BACKUP_DAILY", True)
SOPDESK_BACKUP_HOUR = env_int("SOPDESK_BACKUP_HOUR", 3, minimum=0)  # in SOPDESK_TIME_ZONE
if SOPDESK_BACKUP_HOUR > 23:
    raise EnvError(f"SOPDESK_BACKUP_HOUR must be an hour from 0 to 23, got {SOPDESK_BACKUP_HOUR}")
SOPDESK_BACKUP_KEEP = env_int("SOPDESK_BACKUP_KEEP", 7, minimum=1)
# Django refuses request bodies above this before our own attachment check can answer.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Server-side requests to configured URLs (chat robots, webhooks) refuse internal addresses; these
# host names and CIDR networks are allowed all the same (docs/integrations.md).
SOPDESK_OUTBOUND_ALLOW = env_list("SOPDESK_OUTBOUND_ALLOW")
SOPDESK_OUTBOUND_TIMEOUT = env_int("SOPDESK_OUTBOUND_TIMEOUT", 10, minimum=1)
