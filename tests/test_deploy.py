"""Deployment behind a TLS proxy: one setting gives HSTS, secure `__Host-` cookies and a clean check --deploy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent

# Run in a fresh process so settings.py reads the environment as a real deployment does.
PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
plain = Client().get("/login/", HTTP_HOST="desk.example.com")
secure = Client().get("/login/", secure=True, HTTP_HOST="desk.example.com")
cookie = secure.cookies.get(settings.CSRF_COOKIE_NAME)
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location"),
    "secure_status": secure.status_code,
    "hsts": secure.get("Strict-Transport-Security"),
    "csp": secure.get("Content-Security-Policy"),
    "session_cookie_name": settings.SESSION_COOKIE_NAME,
    "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
    "csrf_cookie_secure": bool(cookie and cookie["secure"]),
    "csrf_cookie_path": cookie["path"] if cookie else None,
    "csrf_cookie_domain": cookie["domain"] if cookie else None,
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
}))
"""


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    # Nothing of the test run's own configuration (DJANGO_ALLOW_ASYNC_UNSAFE of the browser tests, say).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPDESK_", "DJANGO_")) and k != "DATABASE_URL"}
    env.update(
        SOPDESK_DATA_DIR=str(data_dir),
        SOPDESK_ALLOWED_HOSTS="desk.example.com",
        SOPDESK_LANGUAGE="en",
        DJANGO_SETTINGS_MODULE="sopdesk.settings",
        **extra,
    )
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (our own command line)
        [sys.executable, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )


def test_check_deploy_is_clean_behind_a_tls_proxy(tmp_path: Path) -> None:
    result = run(
        ["-m", "sopdesk.cli", "check", "--deploy", "--fail-level", "WARNING"],
        environment(tmp_path, SOPDESK_BEHIND_TLS_PROXY="true"),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_check_deploy_warns_without_the_tls_setting(tmp_path: Path) -> None:
    # The counter-check: the clean run above is owed to the setting, not to a silenced checklist.
    result = run(["-m", "sopdesk.cli", "check", "--deploy", "--fail-level", "WARNING"], environment(tmp_path))

    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr + result.stdout


def test_the_tls_setting_gives_hsts_a_redirect_and_secure_host_prefixed_cookies(tmp_path: Path) -> None:
    result = run(["-c", PROBE], environment(tmp_path, SOPDESK_BEHIND_TLS_PROXY="true"))
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout.strip().splitlines()[-1])

    assert facts["plain_status"] == 301
    assert facts["plain_location"] == "https://desk.example.com/login/"
    assert facts["secure_status"] == 200
    assert facts["hsts"] == "max-age=31536000; includeSubDomains"
    assert "script-src 'self'" in facts["csp"]
    assert facts["session_cookie_name"] == "__Host-sessionid"
    assert facts["csrf_cookie_name"] == "__Host-csrftoken"
    # __Host- cookies are refused by browsers unless Secure, Path=/ and without Domain.
    assert facts["csrf_cookie_secure"] is True
    assert facts["csrf_cookie_path"] == "/"
    assert facts["csrf_cookie_domain"] == ""
    assert facts["session_cookie_secure"] is True
    assert facts["session_cookie_httponly"] is True


def test_hsts_preload_is_the_domain_owners_choice(tmp_path: Path) -> None:
    env = environment(tmp_path, SOPDESK_BEHIND_TLS_PROXY="true", SOPDESK_HSTS_PRELOAD="true")
    result = run(["-c", PROBE], env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["hsts"] == "max-age=31536000; includeSubDomains; preload"

    check = run(["-m", "sopdesk.cli", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "no issues (0 silenced)" in check.stdout


def test_the_old_secure_cookies_switch_alone_is_refused_with_a_pointer_to_the_new_one(tmp_path: Path) -> None:
    result = run(["-m", "sopdesk.cli", "check"], environment(tmp_path, SOPDESK_SECURE_COOKIES="true"))

    assert result.returncode == 2
    assert "SOPDESK_BEHIND_TLS_PROXY" in result.stderr
