"""Demo casework: canned responses in both languages and one record of each kind on one open ticket.

Like the ticket content, the texts are data, not interface strings, so none of them go through gettext.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sopdesk.casework import actions
from sopdesk.casework.choices import Language, VerificationOutcome
from sopdesk.demo.directory import MONITORING_USERNAME, SERVICE_DESK, Directory
from sopdesk.tickets.choices import Status
from sopdesk.tickets.models import Ticket

_CHINESE = re.compile(r"[\u4e00-\u9fff]")

# (author, for the service desk, language, title, body)
CANNED_RESPONSES = (
    (
        "lead",
        True,
        Language.ZH_HANS,
        "已受理",
        "{requester_name}您好，您的工单 {ticket_number} 已由{agent_name}受理，我们会尽快处理。",
    ),
    (
        "lead",
        True,
        Language.EN,
        "Received",
        "Hello {requester_name}, {agent_name} has taken on ticket {ticket_number}; we will keep you posted.",
    ),
    (
        "lead",
        True,
        Language.ZH_HANS,
        "请补充信息",
        "{requester_name}您好，为尽快解决“{ticket_title}”，请提供报错截图和发生时间。",
    ),
    (
        "lead",
        True,
        Language.EN,
        "More details needed",
        "Hello {requester_name}, to solve “{ticket_title}” quickly, please send a screenshot of the error "
        "and when it happened.",
    ),
    (
        "lead",
        True,
        Language.ZH_HANS,
        "请确认解决",
        "{requester_name}您好，工单 {ticket_number} 的问题已处理，请确认是否恢复正常。{team_name}",
    ),
    (
        "lead",
        True,
        Language.EN,
        "Please confirm the fix",
        "Hello {requester_name}, ticket {ticket_number} has been fixed; please confirm everything works again. "
        "{team_name}",
    ),
    (
        "agent",
        False,
        Language.ZH_HANS,
        "远程协助说明",
        "{requester_name}您好，我需要远程连接您的电脑排查问题，请在工单中授权。——{agent_name}",
    ),
    (
        "agent",
        False,
        Language.EN,
        "Remote session",
        "Hello {requester_name}, I need a remote session on your computer; please authorise it on the ticket. "
        "{agent_name}",
    ),
)

_RECORDS = {
    "zh": {
        "checked": "客户端日志与网络连通性",
        "command": "ping -n 20 网关地址；查看客户端日志 %APPDATA%\\client\\logs",
        "result": "网关丢包 0%，客户端日志出现连接超时（约每小时一次）。",
        "scope": "查看客户端配置和日志，必要时重装客户端；不访问个人文件。",
        "method": "向日葵远程控制",
        "steps": "1. 备份当前配置\n2. 升级客户端到最新版本\n3. 重启并观察一小时",
        "resources": "一名工程师，约 30 分钟",
        "risks": "升级期间无法使用该软件",
        "rollback": "重新安装备份的旧版本并恢复配置",
        "verified": "升级后连续运行一小时无断开",
        "notes": "已与用户确认恢复正常",
    },
    "en": {
        "checked": "Client log and network reachability",
        "command": "ping -n 20 <gateway>; client log under %APPDATA%\\client\\logs",
        "result": "No packet loss to the gateway; the client log shows a connection timeout about once an hour.",
        "scope": "Read the client configuration and logs, reinstall the client if needed; no personal files.",
        "method": "Remote desktop (Sunlogin)",
        "steps": "1. Back up the configuration\n2. Upgrade the client\n3. Restart and watch for an hour",
        "resources": "One engineer, about 30 minutes",
        "risks": "The software is unavailable during the upgrade",
        "rollback": "Reinstall the backed-up version and restore the configuration",
        "verified": "One hour without a disconnection after the upgrade",
        "notes": "The user confirmed it works again",
    },
}


def add_canned_responses(directory: Directory, *, now: datetime) -> None:
    """Create the service desk's shared canned responses and a few personal ones of the demo agent."""
    for author, shared, language, title, body in CANNED_RESPONSES:
        actions.create_canned_response(
            actor=directory.users[author],
            team=directory.teams[SERVICE_DESK] if shared else None,
            title=title,
            body=body,
            language=language,
            now=now,
        )


def demo_case(now: datetime) -> Ticket | None:
    """Return the open ticket that gets the demo records: the one in progress that changed last."""
    return (
        Ticket.objects.filter(status=Status.IN_PROGRESS, assignee__isnull=False, updated_at__lt=now)
        .exclude(requester__username=MONITORING_USERNAME)
        .select_related("requester", "assignee", "team")
        .order_by("-updated_at", "-id")
        .first()
    )


def add_casework(*, now: datetime) -> Ticket | None:
    """Record a diagnosis step, a granted authorisation, a confirmed plan and a verification on `demo_case`.

    The records fall between the ticket's last entry (at most a day ago) and `now`, in the language
    of its title.
    """
    ticket = demo_case(now)
    if ticket is None:
        return None
    agent, requester = ticket.assignee, ticket.requester
    assert agent is not None  # noqa: S101 (demo_case only picks assigned tickets)
    text = _RECORDS["zh" if _CHINESE.search(ticket.title) else "en"]
    # Within the last day (after the ticket's last entry), so the authorisation is still in force.
    start = max(ticket.updated_at, now - timedelta(days=1))
    step = (now - start) / 8
    at = [start + step * n for n in range(1, 7)]
    actions.record_diagnosis_step(
        ticket, actor=agent, checked=text["checked"], command=text["command"], result=text["result"], now=at[0]
    )
    authorization = actions.request_remote_assistance(
        ticket, actor=agent, scope=text["scope"], method=text["method"], ends_at=now + timedelta(hours=4), now=at[1]
    )
    actions.grant_remote_assistance(authorization, actor=requester, now=at[2])
    plan = actions.propose_solution_plan(
        ticket,
        actor=agent,
        steps=text["steps"],
        resources=text["resources"],
        risks=text["risks"],
        rollback_plan=text["rollback"],
        scheduled_at=now + timedelta(days=1),
        now=at[3],
    )
    actions.confirm_solution_plan(plan, actor=requester, now=at[4])
    actions.record_verification(
        ticket,
        actor=agent,
        verified=text["verified"],
        outcome=VerificationOutcome.PASSED,
        notes=text["notes"],
        is_public=True,
        now=at[5],
    )
    return ticket
