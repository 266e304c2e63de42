"""The knowledge-base editor in a real browser: an agent writes an article and pastes a screenshot, a
knowledge-base admin approves it from the review queue, the agent edits and it is published again,
then the diff is read and the first version restored.

Every page is checked for CSP violations, script errors and serious accessibility problems;
screenshots of the list, the editor and the diff in both languages are saved as artefacts
(var/screenshots, git-ignored).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from sopdesk.accounts.choices import Role
from sopdesk.kb import actions
from sopdesk.kb.choices import ArticleStatus
from sopdesk.kb.models import Article, ArticleAttachment
from sopdesk.testing import factories
from tests.conftest import (
    CHROMIUM,
    HOSTILE,
    PASTE_SCREENSHOT,
    SCREENSHOT_PNG,
    Watched,
    log_in,
    open_context,
    serious_accessibility_problems,
)

if not Path(CHROMIUM).exists() and os.environ.get("SOPDESK_REQUIRE_BROWSER") != "1":
    pytest.skip("Chromium is not installed; scripts/test.sh installs it where it can", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, Page, expect

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _clean(watched: Watched) -> None:
    page = watched.page
    assert page.evaluate("window.hacked") is None
    assert serious_accessibility_problems(page) == []
    assert watched.problems == []


def _step(page: Page, step: str) -> None:
    with page.expect_navigation():
        page.click(f"button[formaction$='/steps/{step}/']")


def _switch(page: Page, language: str) -> None:
    with page.expect_navigation():
        page.select_option("#language-select", language)


def test_write_paste_review_publish_edit_diff_and_restore(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, screenshot_dir: Path
) -> None:
    base_url = str(live_server)
    desk = factories.make_team("service-desk", is_intake=True)
    factories.make_user("wang", role=Role.AGENT, teams=[desk])
    factories.make_user("li", role=Role.KB_ADMIN, teams=[desk])
    actions.create_category(actor=None, values={"code": "network", "name": "网络 Network"}, now=timezone.now())

    author = open_context(browser, contexts)
    page = author.page
    log_in(page, base_url, "wang")
    page.click("a.nav-link[href='/desk/kb/']")
    expect(page.locator("h1")).to_have_text("Knowledge base")
    page.click("a[href='/desk/kb/new/']")
    page.fill("#id_title", "VPN 每小时断开 drops every hour")
    page.select_option("#id_article_type", "troubleshooting")
    page.select_option("#id_category", label="网络 Network")
    page.fill("#id_problem", HOSTILE)
    page.fill("#id_diagnosis", "1. Open the client log\n2. Look for **TLS** errors")
    page.fill("#id_solution", "Update the VPN client to 5.2.")
    page.select_option("#id_visibility", "public")
    page.fill("#id_tags", "vpn, 网络")
    expect(page.locator("#kb-preview strong")).to_have_text("TLS")
    with page.expect_navigation():
        page.click("#kb-form button[type=submit]")
    article = Article.objects.get()
    expect(page.locator("[data-kb-status]")).to_have_text("Draft")
    _clean(author)

    # Paste a screenshot into the solution: it is uploaded and its Markdown line lands at the cursor.
    page.goto(f"{base_url}/desk/kb/{article.pk}/edit/")
    page.click("#id_solution")
    page.keyboard.press("End")
    page.evaluate(PASTE_SCREENSHOT, ["#id_solution", SCREENSHOT_PNG])
    expect(page.locator("#id_solution")).to_have_value(
        re.compile(r"Update the VPN client to 5\.2\.\n!\[screenshot-\d+-1\.png\]\(/kb/files/\d+/")
    )
    image = page.locator("#kb-preview img")
    expect(image).to_have_count(1)
    page.wait_for_function("() => document.querySelector('#kb-preview img').naturalWidth > 0")
    assert ArticleAttachment.objects.filter(article=article).count() == 1
    _clean(author)
    page.screenshot(path=str(screenshot_dir / "kb-editor-en.png"), full_page=True)
    with page.expect_navigation():
        page.click("#kb-form button[type=submit]")
    expect(page.locator("[data-kb-working-copy] img")).to_have_count(1)
    page.fill("#id_comment", "Ready for review")
    _step(page, "submit")
    expect(page.locator("[data-kb-status]")).to_have_text("In review")
    expect(page.locator("button[formaction$='/steps/approve/']")).to_have_count(0)

    # The knowledge-base admin approves it from the review queue (in Chinese).
    reviewer = open_context(browser, contexts, locale="zh-CN")
    review = reviewer.page
    log_in(review, base_url, "li")
    _switch(review, "zh-hans")
    review.goto(f"{base_url}/desk/kb/queues/review/")
    expect(review.locator("h1")).to_have_text("知识库")
    with review.expect_navigation():
        review.click(f"[data-kb-row='{article.pk}'] a")
    _step(review, "approve")
    expect(review.locator("[data-kb-status]")).to_have_text("已发布")
    _clean(reviewer)
    review.goto(f"{base_url}/desk/kb/")
    review.screenshot(path=str(screenshot_dir / "kb-list-zh.png"), full_page=True)
    review.goto(f"{base_url}/desk/kb/{article.pk}/edit/")
    review.screenshot(path=str(screenshot_dir / "kb-editor-zh.png"), full_page=True)
    article.refresh_from_db()
    assert (article.status, article.live_version.number) == (ArticleStatus.PUBLISHED, 1)  # type: ignore[union-attr]

    # The author edits the published article: a new draft; readers keep version 1 until approval.
    page.goto(f"{base_url}/desk/kb/{article.pk}/edit/")
    page.fill("#id_applies_to", "Windows 11, macOS 14")
    page.fill("#id_solution", "Update the VPN client to 5.3 and restart.")
    with page.expect_navigation():
        page.click("#kb-form button[type=submit]")
    expect(page.locator("[data-kb-status]")).to_have_text("Draft")
    expect(page.locator("[data-kb-live]")).to_have_count(1)
    _step(page, "submit")
    review.goto(f"{base_url}/desk/kb/{article.pk}/")
    _step(review, "approve")
    article.refresh_from_db()
    assert article.live_version.number == 2  # type: ignore[union-attr]

    # The diff from version 1 to 2, then version 1 restored as a draft.
    page.goto(f"{base_url}/desk/kb/{article.pk}/versions/?from=1&to=2")
    solution = page.locator("[data-diff-field='solution']")
    expect(solution.locator("del").first).to_have_text("Update the VPN client to 5.2.")
    expect(solution.locator("ins")).to_have_text("Update the VPN client to 5.3 and restart.")
    expect(page.locator("[data-diff-field='applies_to'] ins")).to_have_text("Windows 11, macOS 14")
    _clean(author)
    page.screenshot(path=str(screenshot_dir / "kb-diff-en.png"), full_page=True)
    page.goto(f"{base_url}/desk/kb/")
    page.screenshot(path=str(screenshot_dir / "kb-list-en.png"), full_page=True)
    review.goto(f"{base_url}/desk/kb/{article.pk}/versions/?from=1&to=2")
    review.screenshot(path=str(screenshot_dir / "kb-diff-zh.png"), full_page=True)
    page.goto(f"{base_url}/desk/kb/{article.pk}/versions/")
    with page.expect_navigation():
        page.click("[data-version='1'] form button[type=submit]")
    expect(page.locator("[data-kb-status]")).to_have_text("Draft")
    article.refresh_from_db()
    assert article.solution.startswith("Update the VPN client to 5.2.")
    assert article.live_version.number == 2  # type: ignore[union-attr]
    assert "![screenshot-" in article.solution
