"""The agent workspace in a real browser: an agent's day in a few scenarios (Chromium via Playwright).

Every page is checked for Content-Security-Policy violations and script errors, the main pages
for serious accessibility problems (axe-core from the npm lock file), and screenshots of the main
pages in both languages are saved as artefacts (var/screenshots, git-ignored).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from sopdesk.accounts.choices import Role
from sopdesk.casework.actions import create_canned_response
from sopdesk.testing import factories
from sopdesk.tickets import actions
from sopdesk.tickets.choices import Status
from sopdesk.tickets.models import Ticket
from tests.conftest import (
    CHROMIUM,
    HOSTILE,
    PASTE_SCREENSHOT,
    SCREENSHOT_PNG,
    log_in,
    open_context,
    serious_accessibility_problems,
)

if not Path(CHROMIUM).exists() and os.environ.get("SOPDESK_REQUIRE_BROWSER") != "1":
    pytest.skip("Chromium is not installed; scripts/test.sh installs it where it can", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, expect

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def desk(transactional_db: None) -> dict[str, Any]:
    team = factories.make_team("service-desk", is_intake=True)
    other = factories.make_team("network")
    organisation = factories.make_organization("Eastern Manufacturing")
    people = {
        "team": team,
        "agent": factories.make_user("wang", role=Role.AGENT, teams=[team]),
        "lead": factories.make_user("li", role=Role.TEAM_LEAD, lead_of=[team]),
        "outsider": factories.make_user("zhao", role=Role.ENGINEER, teams=[other]),
        "auditor": factories.make_user("qa", role=Role.QA_AUDITOR),
        "requester": factories.make_user("alice", organization=organisation),
    }
    return people


def test_an_agent_takes_replies_notes_and_resolves_a_ticket(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, desk: dict[str, Any], screenshot_dir: Path
) -> None:
    base_url = str(live_server)
    ticket = factories.make_ticket(desk["requester"], title="VPN drops every hour", description="Since Monday.")
    create_canned_response(
        actor=desk["agent"],
        title="Looking into it",
        body="Hello {requester_name}, we are working on {ticket_number}.",
        language="en",
        now=timezone.now(),
    )
    watched = open_context(browser, contexts)
    page = watched.page
    log_in(page, base_url, "wang")

    # Canned responses: the list from the navigation, and the new form's live preview.
    page.click("a.nav-link:has-text('Canned responses')")
    expect(page.locator("tr[data-canned-row]")).to_contain_text("Looking into it")
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=str(screenshot_dir / "canned-en.png"), full_page=True)
    page.click("a:has-text('New canned response')")
    page.fill("#id_body", "Dear {requester_name}, {agent_name} here.")
    expect(page.locator("#canned-preview")).to_contain_text("Dear Li Wei, wang here.")
    assert serious_accessibility_problems(page) == []

    page.click("a.nav-link:has-text('Unassigned')")
    expect(page.locator("[data-count-for=unassigned]")).to_have_text("1")
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=str(screenshot_dir / "queue-en.png"), full_page=True)
    page.click(f"a:has-text('{ticket.title}')")
    page.wait_for_url(f"**/desk/tickets/{ticket.number}/")
    page.screenshot(path=str(screenshot_dir / "ticket-en.png"), full_page=True)

    page.keyboard.press("a")  # shortcut: assign to me
    expect(page.locator(".alert-success")).to_contain_text("The ticket is yours.")
    expect(page.locator("#ticket-assignee")).to_contain_text("wang")

    page.select_option("#canned-select", label="Looking into it (English)")
    expect(page.locator("#composer-body")).to_have_value(f"Hello alice, we are working on {ticket.number}.")
    expect(page.locator(".composer-send")).to_have_text("Send — visible to the requester")
    page.select_option("#composer-then", "in_progress")
    page.evaluate(PASTE_SCREENSHOT, ["#composer-body", SCREENSHOT_PNG])  # a pasted screenshot joins the reply
    expect(page.locator("[data-drop-zone] [data-file-list]")).to_contain_text("screenshot-")
    page.click(".composer-send")
    expect(page.locator(".timeline-reply").last).to_contain_text(f"we are working on {ticket.number}")
    expect(page.locator("#timeline")).to_contain_text("screenshot-")
    expect(page.locator("#ticket-status")).to_have_text("In progress")

    page.keyboard.press("n")  # shortcut: internal note
    expect(page.locator(".composer-send")).to_have_text("Add internal note — staff only")
    page.keyboard.type("Firmware 9.1 has a known keep-alive bug.")
    page.click(".composer-send")
    expect(page.locator(".timeline-note").last).to_contain_text("keep-alive bug")

    page.click("summary:has-text('Record a diagnosis step')")
    page.fill("#id_checked", "VPN concentrator logs")
    page.fill("#id_command", "show vpn-sessiondb detail")
    page.fill("#id_result", "Sessions time out after 60 minutes of keep-alive loss")
    page.click("form[action$='/diagnosis/'] button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("Diagnosis step recorded.")

    in_a_day = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page.click("summary:has-text('Ask for remote-assistance authorisation')")
    page.fill("#id_scope", "Check the VPN client settings on the laptop")
    page.fill("#id_method", "Remote desktop")
    page.fill("#id_ends_at", in_a_day)
    page.click("form[action$='/remote/'] button[type=submit]")
    expect(page.locator("#casework")).to_contain_text("Check the VPN client settings")

    page.click("summary:has-text('Propose a solution plan')")
    page.fill("#id_steps", "Upgrade the concentrator firmware to 9.2")
    page.fill("#id_rollback_plan", "Boot the previous image")
    page.fill("#id_scheduled_at", in_a_day)
    page.click("form[action$='/plan/'] button[type=submit]")
    expect(page.locator("#casework")).to_contain_text("Upgrade the concentrator firmware")

    page.select_option("#status-to", "resolved")
    page.click("details.closure summary")
    page.fill("#id_closure_problem", "VPN dropped hourly")
    page.fill("#id_closure_diagnosis", "Keep-alive bug in firmware 9.1")
    page.fill("#id_closure_solution", "Upgraded the concentrator to 9.2")
    page.click(".status-form button[type=submit]")
    expect(page.locator("#ticket-status")).to_have_text("Resolved")
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=str(screenshot_dir / "ticket-worked-en.png"), full_page=True)

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.assignee == desk["agent"]
    assert watched.problems == []


def test_two_agents_on_one_ticket_see_each_other_and_a_stale_reply_is_refused(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, desk: dict[str, Any]
) -> None:
    base_url = str(live_server)
    ticket = factories.make_ticket(desk["requester"], title="Outlook cannot sync")
    first, second = open_context(browser, contexts), open_context(browser, contexts)
    log_in(first.page, base_url, "wang")
    log_in(second.page, base_url, "li")
    url = f"{base_url}/desk/tickets/{ticket.number}/"
    first.page.goto(url)
    second.page.goto(url)

    second.page.fill("#composer-body", "I will call the requester.")
    second.page.click(".composer-send")
    expect(second.page.locator(".timeline-reply").last).to_contain_text("I will call the requester.")

    # The first agent's page shows the reply and a reload banner without a reload (polling).
    expect(first.page.locator("#timeline")).to_contain_text("I will call the requester.", timeout=15_000)
    expect(first.page.locator("#live-banner")).to_contain_text("This ticket was changed")

    # Their own reply was written against the old version: refused, kept, offered a reload.
    first.page.fill("#composer-body", "Calling them now as well.")
    first.page.click(".composer-send")
    expect(first.page.locator("#stale-banner")).to_be_visible()
    expect(first.page.locator("#composer-body")).to_have_value("Calling them now as well.")
    first.page.click("#stale-banner a")
    expect(first.page.locator("#stale-banner")).to_have_count(0)
    assert ticket.events.filter(body="Calling them now as well.").count() == 0
    assert first.problems == []
    assert second.problems == []


def test_bulk_actions_language_hostile_text_and_who_may_do_what(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, desk: dict[str, Any], screenshot_dir: Path
) -> None:
    base_url = str(live_server)
    now = timezone.now()
    hostile = factories.make_ticket(desk["requester"], title=HOSTILE)
    plain = factories.make_ticket(desk["requester"], title="Monitor flickers")
    done = factories.make_ticket(desk["requester"], title="Already solved")
    actions.assign_ticket(done, team=None, assignee=desk["lead"], actor=desk["lead"], now=now)
    actions.change_status(done, to_status=Status.IN_PROGRESS, actor=desk["lead"], now=now)
    actions.change_status(
        done,
        to_status=Status.RESOLVED,
        actor=desk["lead"],
        now=now,
        closure=actions.ClosureSummary(problem="p", diagnosis="d", solution="s"),
    )
    create_canned_response(
        actor=desk["agent"],
        title=HOSTILE,
        body="您好，{requester_name}，我们正在处理 {ticket_number}。",
        language="zh-hans",
        now=now,
    )
    watched = open_context(browser, contexts, locale="zh-CN")
    page = watched.page
    log_in(page, base_url, "wang")

    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    page.goto(f"{base_url}/desk/queues/all/")
    expect(page.locator("h1")).to_have_text("我可查看的全部工单")
    assert page.locator(f"a:has-text('{hostile.number}'), .ticket-title").count() >= 3
    page.screenshot(path=str(screenshot_dir / "queue-zh.png"), full_page=True)

    # Bulk "assign to me" on all three: the resolved one is refused, the others are taken.
    page.check("[data-select-all]")
    page.select_option("#bulk-operation", "take")
    page.click("#bulk-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("已处理 2 个工单")
    expect(page.locator(".alert-danger")).to_contain_text(done.number)
    assert set(Ticket.objects.filter(assignee=desk["agent"]).values_list("number", flat=True)) == {
        hostile.number,
        plain.number,
    }

    page.goto(f"{base_url}/desk/canned/")
    expect(page.locator(".canned-title")).to_have_text(HOSTILE)
    assert page.evaluate("window.hacked") is None
    page.screenshot(path=str(screenshot_dir / "canned-zh.png"), full_page=True)
    page.goto(f"{base_url}/desk/tickets/{hostile.number}/")
    expect(page.locator(".ticket-heading")).to_have_text(HOSTILE)
    assert page.evaluate("window.hacked") is None
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=str(screenshot_dir / "ticket-zh.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshot_dir / "ticket-zh-phone.png"), full_page=True)
    assert watched.problems == []

    outsider = open_context(browser, contexts)
    log_in(outsider.page, base_url, "zhao")
    response = outsider.page.goto(f"{base_url}/desk/tickets/{plain.number}/")
    assert response is not None
    assert response.status == 404

    auditor = open_context(browser, contexts)
    log_in(auditor.page, base_url, "qa")
    auditor.page.goto(f"{base_url}/desk/tickets/{plain.number}/")
    expect(auditor.page.locator("text=You can read this ticket but not change it.")).to_be_visible()
    expect(auditor.page.locator("#composer-body")).to_have_count(0)
