"""The login and landing pages in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sopdesk.accounts.models import User
from sopdesk.testing import factories
from sopdesk.testing.factories import PASSWORD
from tests.conftest import CHROMIUM

if not Path(CHROMIUM).exists() and os.environ.get("SOPDESK_REQUIRE_BROWSER") != "1":
    pytest.skip("Chromium is not installed; scripts/test.sh installs it where it can", allow_module_level=True)

from playwright.sync_api import Browser, Page

# serialized_rollback: the seed rows come back afterwards, and the flush does not re-create content
# types that a later serialized test would then insert a second time.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def requester(transactional_db: None) -> User:
    # No seeded rows needed: transactional tests start from an emptied database.
    return factories.make_user("walter")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    yield page
    context.close()


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]:has-text('Log in')")


def test_a_requester_logs_in_lands_in_the_portal_and_switches_to_chinese(
    page: Page, live_server: object, requester: User, tmp_path: Path
) -> None:
    base_url = str(live_server)
    log_in(page, base_url, "walter", PASSWORD)
    page.wait_for_selector("h1:has-text('My requests')")
    assert page.url == f"{base_url}/portal/"

    # Choosing a language submits the switch (the button is there for browsers without scripts).
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_selector("h1:has-text('我的请求')")
    page.screenshot(path=str(tmp_path / "landing-zh.png"))

    page.click("button:has-text('退出登录')")
    page.wait_for_url(f"{base_url}/login/")


def test_a_wrong_password_shows_an_error_and_does_not_log_in(page: Page, live_server: object, requester: User) -> None:
    base_url = str(live_server)
    log_in(page, base_url, "walter", "not-the-password")
    error = page.wait_for_selector("[role=alert]")
    assert error is not None
    assert "Wrong username or password" in error.inner_text()
    assert page.url.startswith(f"{base_url}/login/")


def test_the_admin_and_the_api_documentation_work_under_the_content_security_policy(
    page: Page, live_server: object, tmp_path: Path
) -> None:
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    ticket = factories.make_ticket(factories.make_user("wendy"), title="Printer jams")
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security" in message.text else None)
    page.on("pageerror", lambda error: violations.append(str(error)))
    base_url = str(live_server)

    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", root.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    for path in (
        "/admin/tickets/ticket/?status__exact=new",
        f"/admin/tickets/ticket/{ticket.pk}/change/",
        f"/admin/accounts/user/{root.pk}/change/",
        f"/admin/accounts/user/{root.pk}/password/",
        "/admin/tickets/category/add/",
    ):
        page.goto(f"{base_url}{path}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(tmp_path / (path.strip("/").replace("/", "_").replace("?", "_") + ".png")))
    # The admin's scripts ran: the collapsible filter and the date shortcuts are there.
    page.goto(f"{base_url}/admin/tickets/category/add/")
    assert page.locator("#id_name").is_visible()

    page.goto(f"{base_url}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info .title")

    assert violations == []
