"""Browser fixtures: Debian's Chromium driven by Playwright (never a downloaded browser).

Shared by the browser test modules: `browser` (one Chromium per test), `contexts` (closed after the
test), `Watched` pages that collect Content-Security-Policy violations, script errors and dialogs,
`log_in`, and `serious_accessibility_problems` (axe-core from the npm lock file).
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sopdesk.testing.factories import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

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
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
# A title or reply that would run script if it were rendered as markup instead of text.
HOSTILE = '<img src=x onerror="window.hacked=1"><script>window.hacked=2</script>Printer'
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
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


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    """Collect the test's browser contexts and close them afterwards."""
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


class Watched:
    """A page whose CSP violations, script errors and dialogs are collected."""

    def __init__(self, context: BrowserContext) -> None:
        self.page = context.new_page()
        self.problems: list[str] = []
        self.page.on(
            "console",
            # Refused requests (a 412, a 404) are the tests' business; violations and errors are not.
            lambda message: (
                self.problems.append(message.text)
                if message.type == "error" and not message.text.startswith("Failed to load resource")
                else None
            ),
        )
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.on("dialog", lambda dialog: self.problems.append(f"dialog: {dialog.message}"))


def open_context(browser: Browser, made: list[BrowserContext], locale: str = "en-US", **options: Any) -> Watched:
    """Open a desktop-sized context (kept in `made`, closed by `contexts`) and a watched page in it."""
    context = browser.new_context(locale=locale, viewport=DESKTOP, **options)
    made.append(context)
    return Watched(context)


def log_in(page: Page, base_url: str, username: str) -> None:
    """Log in through the shared login page and wait for the landing page (portal or workspace)."""
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/(portal|desk)/$"))
    # The landing page loads parts of itself after the page (presence switch, queue counts); a click
    # while those swap in was once lost on a slow run, so the test goes on when the page is quiet.
    page.wait_for_load_state("networkidle")


def serious_accessibility_problems(page: Page) -> list[str]:
    """Run axe-core on the page and return its serious and critical violations."""
    page.evaluate(AXE.read_text())
    problems: list[str] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)"""
    )
    return problems


# A 1×1 PNG, as a screenshot on the clipboard would be.
SCREENSHOT_PNG = base64.b64encode(
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
).decode()
PASTE_SCREENSHOT = """([selector, data]) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const clipboard = new DataTransfer();
    clipboard.items.add(new File([bytes], "image.png", { type: "image/png" }));
    const event = new ClipboardEvent("paste", { clipboardData: clipboard, bubbles: true, cancelable: true });
    document.querySelector(selector).dispatchEvent(event);
}"""
