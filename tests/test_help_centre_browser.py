"""The portal's help centre in a real browser (Chromium): search in Chinese, read, vote, suggestions while asking.

Screenshots of the help centre's pages and of the request form's suggestions are saved in English and
Chinese (var/screenshots/help-<page>-<en|zh>.png, git-ignored).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from sopdesk.accounts.choices import Role
from sopdesk.kb import actions as kb
from sopdesk.kb.models import Article
from sopdesk.portal.models import DeflectionVisit
from sopdesk.portal.tests.conftest import PUBLISHED_AT, index_articles, publish_article
from sopdesk.testing import factories
from tests.conftest import CHROMIUM, HOSTILE, PHONE, log_in, open_context, serious_accessibility_problems

if not Path(CHROMIUM).exists() and os.environ.get("SOPDESK_REQUIRE_BROWSER") != "1":
    pytest.skip("Chromium is not installed; scripts/test.sh installs it where it can", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, expect

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _articles() -> tuple[Article, Article]:
    team = factories.make_team("service-desk", is_intake=True)
    author = factories.make_user("wang", role=Role.AGENT, teams=[team])
    approver = factories.make_user("li", role=Role.KB_ADMIN, teams=[team])
    network = kb.create_category(actor=None, values={"code": "network", "name": "网络 Network"}, now=PUBLISHED_AT)
    printing = kb.create_category(actor=None, values={"code": "printing", "name": "打印 Printing"}, now=PUBLISHED_AT)
    vpn = publish_article(
        author=author,
        approver=approver,
        title="VPN 连接频繁断开 VPN keeps disconnecting",
        article_type="troubleshooting",
        category=network,
        problem="在家办公时 VPN 每隔十分钟断开一次。",
        diagnosis="1. 查看客户端日志\n2. Ping 网关",
        solution="把 **VPN 客户端** 升级到 5.2，然后重新登录。",
        notes="只影响 Windows 客户端。",
        applies_to="VPN 客户端 5.x",
        visibility="public",
    )
    printer = publish_article(
        author=author,
        approver=approver,
        title="打印机打印空白页 Printer prints blank pages",
        article_type="how_to",
        category=printing,
        problem="驱动更新后打印机只打印空白页。",
        solution="重新安装打印机驱动。",
        visibility="public",
    )
    publish_article(
        author=author, approver=approver, title=HOSTILE, category=printing, problem=HOSTILE, visibility="public"
    )
    publish_article(
        author=author, approver=approver, title="内部打印机管理密码", category=printing, visibility="internal"
    )
    return vpn, printer


def test_a_requester_searches_in_chinese_reads_votes_and_gets_suggestions_while_asking(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, screenshot_dir: Path
) -> None:
    base_url = str(live_server)
    vpn, printer = _articles()
    index_articles()
    factories.make_user("alice", organization=factories.make_organization("Eastern Manufacturing"))

    for language, locale in (("en", "en-US"), ("zh", "zh-CN")):
        watched = open_context(browser, contexts, locale=locale)
        page = watched.page
        log_in(page, base_url, "alice")

        page.click("#nav-help")
        page.wait_for_url("**/portal/help/")
        expect(page.locator(".help-tree")).to_contain_text("网络 Network")
        expect(page.locator(".help-tree")).to_contain_text("打印 Printing")
        expect(page.locator("main")).not_to_contain_text("内部打印机管理密码")
        assert serious_accessibility_problems(page) == []
        page.screenshot(path=str(screenshot_dir / f"help-home-{language}.png"), full_page=True)

        # Search in Chinese: a two-character word inside a longer title.
        page.fill("#id_q", "打印")
        page.click(".help-search button[type=submit]")
        page.wait_for_url("**/portal/help/search/?q=*")
        results = page.locator("#search-results")
        expect(results).to_contain_text("打印机打印空白页")
        expect(results.locator("mark").first).to_have_text("打印")
        expect(results).not_to_contain_text("内部打印机管理密码")
        assert page.evaluate("window.hacked") is None
        assert serious_accessibility_problems(page) == []
        page.screenshot(path=str(screenshot_dir / f"help-search-{language}.png"), full_page=True)

        results.locator("a", has_text="打印机打印空白页").click()
        page.wait_for_url(f"**/portal/help/articles/{printer.pk}/")
        expect(page.locator("h1")).to_have_text("打印机打印空白页 Printer prints blank pages")
        expect(page.locator("#help-article")).to_contain_text("重新安装打印机驱动。")
        assert serious_accessibility_problems(page) == []
        page.click("#vote-form button[value=yes]")
        if language == "en":
            expect(page.locator(".alert-success")).to_be_visible()
        else:  # alice rated this version already (in English): one vote per reader and version
            expect(page.locator(".alert-danger")).to_contain_text("您已评价过该文章的这个版本。")
        page.screenshot(path=str(screenshot_dir / f"help-article-{language}.png"), full_page=True)

        # Writing a request: matching articles appear while typing; one opens in a new tab.
        page.goto(f"{base_url}/portal/new/")
        page.fill("#id_title", "VPN 又断开了")
        suggestions = page.locator("#article-suggestions-list")
        expect(suggestions).to_contain_text("VPN 连接频繁断开")
        assert serious_accessibility_problems(page) == []
        page.screenshot(path=str(screenshot_dir / f"help-suggestions-{language}.png"), full_page=True)
        with page.context.expect_page() as opened:
            suggestions.locator("a", has_text="VPN 连接频繁断开").click()
        article_tab = opened.value
        article_tab.wait_for_load_state()
        expect(article_tab.locator("h1")).to_contain_text("VPN 连接频繁断开")
        expect(page.locator("#id_title")).to_have_value("VPN 又断开了")  # the request form keeps what was typed

        page.goto(f"{base_url}/portal/help/articles/{vpn.pk}/")
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(screenshot_dir / f"help-article-{language}-phone.png"), full_page=True)
        assert watched.problems == []

    printer.refresh_from_db()
    assert printer.helpful_count == 1  # one vote per reader and version: the second language's was refused
    assert DeflectionVisit.objects.filter(article=vpn).count() == 2
