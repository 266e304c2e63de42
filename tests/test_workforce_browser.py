"""The workforce in the workspace, in a real browser: the presence switch and a lead's team board.

Checked for Content-Security-Policy violations, script errors and serious accessibility problems;
screenshots in both languages and at phone width are saved as artefacts (var/screenshots).
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from sopdesk.accounts.choices import Role
from sopdesk.testing import factories
from sopdesk.workforce import actions as workforce
from sopdesk.workforce.models import AgentProfile
from tests.conftest import CHROMIUM, PHONE, log_in, open_context, serious_accessibility_problems

if not Path(CHROMIUM).exists() and os.environ.get("SOPDESK_REQUIRE_BROWSER") != "1":
    pytest.skip("Chromium is not installed; scripts/test.sh installs it where it can", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, expect

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_lead_goes_away_and_reads_the_board_in_both_languages(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, screenshot_dir: Path
) -> None:
    base_url, now = str(live_server), timezone.now()
    team = factories.make_team("service-desk", is_intake=True)
    lead = factories.make_user("li", role=Role.TEAM_LEAD, lead_of=[team])
    requester = factories.make_user("alice", organization=factories.make_organization("Eastern Manufacturing"))
    for name, capacity in (("wang", 4), ("zhang", 2), ("chen", 6)):
        agent = factories.make_user(name, role=Role.AGENT, teams=[team])
        workforce.update_profile(actor=lead, agent=agent, capacity=capacity, calendar=None, now=now)
        workforce.certify(
            actor=lead, agent=agent, team=team, passed_on=date(2026, 1, 5), expires_on=date(2027, 12, 31), now=now
        )
    workforce.add_absence(
        actor=lead,
        agent=factories.make_user("zhou", role=Role.AGENT, teams=[team]),
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=2),
        reason="Annual leave",
        now=now,
    )
    workforce.set_team_assignment(
        actor=lead, team=team, strategy="least_loaded", backup_team=None, requires_certification=True, now=now
    )
    tickets = [factories.make_ticket(requester, title=f"VPN drops {i}") for i in range(5)]

    watched = open_context(browser, contexts)
    page = watched.page
    log_in(page, base_url, "li")
    page.click("#presence-switch .dropdown-toggle")
    page.click("#presence-switch button[value=away]")
    expect(page.locator("#presence-switch .dropdown-toggle")).to_contain_text("Away")
    assert AgentProfile.objects.get(user=lead).presence == "away"

    page.click("#presence-switch .dropdown-toggle")
    page.click("#presence-switch a[href$='/desk/teams/']")
    expect(page.locator("h1")).to_contain_text("Team board")
    expect(page.locator(".team-board tbody tr")).to_have_count(5)
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=str(screenshot_dir / "team-board-en.png"), full_page=True)

    page.goto(f"{base_url}/desk/tickets/{tickets[0].number}/")
    expect(page.locator("body")).to_contain_text("by Least loaded")
    page.screenshot(path=str(screenshot_dir / "ticket-auto-assigned-en.png"), full_page=True)

    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    page.goto(f"{base_url}/desk/teams/")
    expect(page.locator("h1")).to_contain_text("团队看板")
    expect(page.locator("#presence-switch .dropdown-toggle")).to_contain_text("离开")
    page.screenshot(path=str(screenshot_dir / "team-board-zh.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(screenshot_dir / "team-board-zh-phone.png"), full_page=True)
    assert watched.problems == []
