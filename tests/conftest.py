"""Browser fixtures: Debian's Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags for a closed network: no background fetches that would be refused anyway.
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
# Screenshots of the main pages are kept as test artefacts (git-ignored).
SCREENSHOT_DIR = Path(
    os.environ.get("SOPDESK_SCREENSHOT_DIR", Path(__file__).resolve().parent.parent / "var" / "screenshots")
)


@pytest.fixture
def browser() -> Iterator[Any]:
    # One browser per test, started after the test's database set-up: while Playwright's event loop
    # runs in this thread, Django hands out another connection object, one without the seed data
    # that serialized_rollback restores, so a browser kept across tests left later tests unseeded.
    if not Path(CHROMIUM).exists():
        if os.environ.get("SOPDESK_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required for the browser tests (apt-get install chromium)")
        pytest.skip("Chromium is not installed; scripts/test.sh installs it where it can")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test code's ORM calls stay synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR
