"""The demo's channels: a support mailbox, phone calls with their ring and answer times, and monitoring alerts.

Written through the channels' own actions after the ticket histories are played (and before the
SLA clocks catch up, so the alert tickets' clocks are caught up too). Nothing reaches a server: the
mailbox is inactive and the alerts are handed to `receive_alerts` as an Alertmanager payload.
Like the ticket content, call notes and alert texts are data, not interface strings.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from sopdesk.accounts.models import User
from sopdesk.alerts.actions import receive_alerts
from sopdesk.alerts.choices import SourceKind
from sopdesk.alerts.config import SourceSettings, create_alert_source
from sopdesk.alerts.models import AlertSource
from sopdesk.alerts.payloads import read_payload
from sopdesk.calls.actions import CallDetails, log_call, log_call_creating_ticket, may_log_calls
from sopdesk.calls.choices import CallDirection, CallOutcome
from sopdesk.calls.models import PhoneCall
from sopdesk.demo.directory import INTERNAL, MONITORING_USERNAME, ORGANIZATIONS, SERVICE_DESK, Directory
from sopdesk.demo.stories import DESK_CLOSES, DESK_OPENS, DISPATCH
from sopdesk.mail.actions import create_mailbox
from sopdesk.mail.choices import AfterFetch, ImapSecurity
from sopdesk.mail.models import Mailbox
from sopdesk.tickets.choices import Channel, Status
from sopdesk.tickets.models import Ticket

_CHINESE = re.compile(r"[\u4e00-\u9fff]")
# The mailbox and the alert source were set up before the history's last month.
CONFIGURED_DAYS_AGO = 30
MAILBOX_NAME = "IT 服务台 / IT help desk"
ALERT_SOURCE_NAME = "Prometheus 生产监控 / production"
# Calls on existing tickets fall in this many days before `now`, after the ticket's last entry.
CALL_DAYS = 5
OPEN_STATUSES = (
    Status.NEW,
    Status.ASSIGNED,
    Status.IN_PROGRESS,
    Status.PENDING_CUSTOMER,
    Status.PENDING_CONFIRMATION,
)


@dataclass(frozen=True)
class CallScript:
    """How one demo call goes: seconds until answered (None: missed), talk time, outcome, direction."""

    answer_seconds: int | None
    talk_minutes: tuple[float, float]
    outcome: CallOutcome
    direction: CallDirection = CallDirection.INBOUND


# Most calls are answered within the SOP's 30 seconds, two are late, one is missed and called back.
CALLS_ON_TICKETS = (
    CallScript(8, (2, 5), CallOutcome.ANSWERED_ON_CALL),
    CallScript(14, (3, 8), CallOutcome.FOLLOW_UP),
    CallScript(21, (1, 4), CallOutcome.ANSWERED_ON_CALL),
    CallScript(27, (2, 6), CallOutcome.CALLBACK),
    CallScript(45, (3, 9), CallOutcome.FOLLOW_UP),
    CallScript(6, (1, 3), CallOutcome.ANSWERED_ON_CALL),
    CallScript(None, (0.5, 0.8), CallOutcome.MISSED),
    CallScript(18, (1, 3), CallOutcome.TRANSFERRED),
    CallScript(72, (2, 5), CallOutcome.ANSWERED_ON_CALL),
)
# A caller ringing again about the ticket their first call opened (add_call_again).
RANG_AGAIN = CallScript(10, (1, 3), CallOutcome.ANSWERED_ON_CALL)
# The agent's call back after the missed call, on the same ticket.
CALLBACK = CallScript(12, (3, 7), CallOutcome.ANSWERED_ON_CALL, CallDirection.OUTBOUND)

NOTES: dict[str, dict[CallOutcome, tuple[str, ...]]] = {
    "zh": {
        CallOutcome.ANSWERED_ON_CALL: (
            "用户来电询问处理进度，已说明当前进展和预计完成时间，用户表示认可。",
            "用户来电确认操作步骤，已在电话中指导完成，问题暂时缓解。",
        ),
        CallOutcome.FOLLOW_UP: (
            "用户来电补充：今天上午问题又出现两次，已记录报错时间，需进一步排查。",
            "用户反映影响范围扩大到同部门两位同事，已记录，需工程师跟进。",
        ),
        CallOutcome.CALLBACK: ("用户来电催办，工程师正在处理，已承诺今天下班前回电。",),
        CallOutcome.MISSED: ("未接来电（坐席全忙），需回拨。",),
        CallOutcome.TRANSFERRED: ("用户询问的是网络接入问题，已转接网络组值班电话。",),
    },
    "en": {
        CallOutcome.ANSWERED_ON_CALL: (
            "Caller asked for an update; explained where we are and when to expect the fix. Happy with that.",
            "Walked the caller through the workaround on the phone; it works for now.",
        ),
        CallOutcome.FOLLOW_UP: (
            "Caller adds that it happened twice more this morning; noted the times, needs more digging.",
            "Two more colleagues in the same team are affected now; noted for the engineer.",
        ),
        CallOutcome.CALLBACK: ("Caller chased the ticket; the engineer is on it, promised a call back today.",),
        CallOutcome.MISSED: ("Missed call (all lines busy); call back.",),
        CallOutcome.TRANSFERRED: ("The question was about network access; transferred to the network on-call line.",),
    },
}

CALLED_BACK_NOTES = {
    "zh": "回拨用户：已确认问题现象，约定明天上午远程协助。",
    "en": "Called back: confirmed what happens, booked a remote session for tomorrow morning.",
}


@dataclass(frozen=True)
class NewPhoneTicket:
    """A call that opens a ticket: who calls, the ticket title and the agent's notes."""

    requester: str
    agent: str
    title: str
    notes: str
    script: CallScript


NEW_PHONE_TICKETS = (
    NewPhoneTicket(
        "wangfang",
        "agent",
        "财务系统登录提示密码已过期",
        "用户来电：登录财务系统时提示密码已过期，修改密码页面打不开。已指导通过自助门户重置，仍然失败，需跟进。",
        CallScript(11, (4, 8), CallOutcome.FOLLOW_UP),
    ),
    NewPhoneTicket(
        "emily",
        "zhaomin",
        "Laptop shows nothing on the meeting-room projector",
        "Caller has a client meeting first thing tomorrow; the laptop shows nothing on the projector in room 5B. "
        "Tried another cable, still no signal. Needs someone on site.",
        CallScript(24, (3, 6), CallOutcome.FOLLOW_UP),
    ),
    NewPhoneTicket(
        "zhanglei",
        "agent",
        "车间标签打印机脱机，无法打印",
        "用户来电：生产部标签打印机显示脱机，重启打印机和电脑都无效，影响今天出货，请尽快处理。",
        CallScript(9, (3, 7), CallOutcome.FOLLOW_UP),
    ),
)


@dataclass(frozen=True)
class AlertScript:
    """One monitoring alert of the demo: its labels, texts and when it started (hours before `now`)."""

    fingerprint: str
    alertname: str
    instance: str
    severity: str
    summary: str
    description: str
    started_hours_ago: float


# Resolved a day ago (the ticket resolved automatically), fired again two hours ago, firing now.
RESOLVED_ALERT = AlertScript(
    "5d1c0e6b2a9f4e31",
    "DiskSpaceLow",
    "fs-01.qiming.example.com",
    "warning",
    "文件服务器 fs-01 磁盘空间不足 / File server fs-01 low on disk space",
    "/data 分区使用率 92%（阈值 90%）。/data is 92% full (threshold 90%).",
    27,
)
REFIRED_ALERT = AlertScript(
    "8f3a61c07be2d954",
    "ERPLatencyHigh",
    "erp.qiming.example.com",
    "high",
    "ERP 接口响应慢 / ERP API responding slowly",
    "95% 分位响应时间超过 3 秒已持续 10 分钟。p95 latency above 3 s for 10 minutes.",
    6,
)
FIRING_ALERT = AlertScript(
    "c27e9d4410fa6b88",
    "CoreSwitchDown",
    "sw-core-01.qiming.example.com",
    "critical",
    "核心交换机 sw-core-01 不可达 / Core switch sw-core-01 unreachable",
    "ICMP 与 SNMP 探测连续失败 5 分钟。ICMP and SNMP probes failing for 5 minutes.",
    0.2,
)

ALERTS = (RESOLVED_ALERT, REFIRED_ALERT, FIRING_ALERT)


@dataclass(frozen=True)
class DemoChannels:
    """What the channels added: the mailbox, the calls, the alert source and how many alerts it sent."""

    mailbox: Mailbox
    calls: list[PhoneCall]
    alert_source: AlertSource
    alert_count: int


def add_channels(directory: Directory, *, now: datetime, rng: random.Random) -> DemoChannels:
    """Create the demo mailbox, log phone calls on open tickets (and a few new phone tickets), and
    receive monitoring alerts: one resolved, one fired again, one firing."""
    mailbox = add_mailbox(directory, now=now)
    calls = [*add_calls_on_tickets(directory, now=now, rng=rng)]
    opened = add_phone_tickets(directory, now=now, rng=rng)
    calls += [*opened, *add_call_again(directory, opened, now=now, rng=rng)]
    source = add_alerts(directory, now=now)
    return DemoChannels(mailbox=mailbox, calls=calls, alert_source=source, alert_count=len(ALERTS))


def add_mailbox(directory: Directory, *, now: datetime) -> Mailbox:
    """Create the service desk's support mailbox, inactive, so no poller tries to reach its loopback server."""
    domain = next(spec.mail_domain for spec in ORGANIZATIONS if spec.key == INTERNAL)
    return create_mailbox(
        actor=directory.users["admin"],
        values={
            "name": MAILBOX_NAME,
            "address": f"helpdesk@{domain}",
            "is_active": False,
            "imap_host": "127.0.0.1",
            "imap_port": 143,
            "imap_security": ImapSecurity.PLAIN,
            "imap_username": f"helpdesk@{domain}",
            "imap_folder": "INBOX",
            "after_fetch": AfterFetch.FLAG,
            "allow_new_requesters": False,
            "send_acknowledgement": True,
        },
        now=now - timedelta(days=CONFIGURED_DAYS_AGO),
    )


def add_calls_on_tickets(directory: Directory, *, now: datetime, rng: random.Random) -> list[PhoneCall]:
    """Log CALLS_ON_TICKETS on open tickets (phone tickets first), each after the ticket's last entry."""
    tickets = (
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .exclude(requester__username=MONITORING_USERNAME)
        .exclude(channel=Channel.MONITORING)
        .select_related("requester", "assignee", "team")
    )
    candidates = sorted(tickets, key=lambda ticket: (ticket.channel != Channel.PHONE, ticket.pk))
    calls: list[PhoneCall] = []
    scripts = iter(CALLS_ON_TICKETS)
    script = next(scripts, None)
    for ticket in candidates:
        if script is None:
            break
        span = _later_call(ticket, directory, now=now)
        if span is None:
            continue
        agent, earliest, latest = span
        language = _language_of(ticket)
        ring_at = _desk_time(earliest, latest, rng)
        call = _log(ticket, agent, script, ring_at=ring_at, notes=rng.choice(NOTES[language][script.outcome]), rng=rng)
        calls.append(call)
        if script.outcome == CallOutcome.MISSED:
            assert call.ended_at is not None  # noqa: S101 (every demo call has an end)
            ring_at = call.ended_at + timedelta(minutes=rng.uniform(5, 20))
            calls.append(_log(ticket, agent, CALLBACK, ring_at=ring_at, notes=CALLED_BACK_NOTES[language], rng=rng))
        script = next(scripts, None)
    return calls


def add_phone_tickets(directory: Directory, *, now: datetime, rng: random.Random) -> list[PhoneCall]:
    """Log the NEW_PHONE_TICKETS calls, each opening a phone ticket in the last two days."""
    calls = []
    for spec in NEW_PHONE_TICKETS:
        requester = directory.users[spec.requester]
        ring_at = _desk_time(now - timedelta(days=2), now - timedelta(hours=1), rng)
        details = _details(spec.script, caller=requester, ring_at=ring_at, notes=spec.notes, rng=rng)
        assert details.ended_at is not None  # noqa: S101 (every demo call has an end)
        calls.append(
            log_call_creating_ticket(
                actor=directory.users[spec.agent],
                details=details,
                title=spec.title,
                requester=requester,
                now=details.ended_at + timedelta(minutes=1),
            )
        )
    return calls


def add_call_again(
    directory: Directory, opened: list[PhoneCall], *, now: datetime, rng: random.Random
) -> list[PhoneCall]:
    """Log RANG_AGAIN on the first ticket of `opened` with room for it: its caller rings again.

    The played histories may leave no open phone ticket (they depend on the time the demo is
    loaded), so this is the one call on a phone ticket that the call did not open.
    """
    for call in opened:
        ticket = Ticket.objects.select_related("requester", "assignee", "team").get(pk=call.ticket_id)
        span = _later_call(ticket, directory, now=now)
        if span is None:
            continue
        agent, earliest, latest = span
        notes = rng.choice(NOTES[_language_of(ticket)][RANG_AGAIN.outcome])
        return [_log(ticket, agent, RANG_AGAIN, ring_at=_desk_time(earliest, latest, rng), notes=notes, rng=rng)]
    return []


def _later_call(ticket: Ticket, directory: Directory, *, now: datetime) -> tuple[User, datetime, datetime] | None:
    """Return who takes a later call on `ticket` and the span it may ring in: from ten minutes after
    the ticket's last entry (within the last CALL_DAYS) to an hour before `now`. None when the span
    is under half an hour or nobody may log calls on the ticket."""
    latest = now - timedelta(hours=1)
    earliest = max(ticket.updated_at + timedelta(minutes=10), now - timedelta(days=CALL_DAYS))
    agent = _agent_for(ticket, directory)
    if latest - earliest < timedelta(minutes=30) or agent is None:
        return None
    return agent, earliest, latest


def _language_of(ticket: Ticket) -> str:
    """The language of the notes about `ticket`: its title's."""
    return "zh" if _CHINESE.search(ticket.title) else "en"


def _agent_for(ticket: Ticket, directory: Directory) -> User | None:
    """Return who takes the ticket's calls: its assignee, else its team's dispatcher, if they may change it."""
    agent = ticket.assignee
    if agent is None:
        team_code = ticket.team.code if ticket.team is not None else SERVICE_DESK
        agent = directory.users[DISPATCH.get(team_code, DISPATCH[SERVICE_DESK])[0]]
    if not may_log_calls(agent) or not Ticket.objects.writable_by(agent).filter(pk=ticket.pk).exists():
        return None
    return agent


def _details(script: CallScript, *, caller: User, ring_at: datetime, notes: str, rng: random.Random) -> CallDetails:
    answered_at = None if script.answer_seconds is None else ring_at + timedelta(seconds=script.answer_seconds)
    talk = timedelta(seconds=round(rng.uniform(*script.talk_minutes) * 60))
    return CallDetails(
        caller_number=caller.phone,
        caller_name=caller.display_name,
        direction=script.direction,
        ring_at=ring_at,
        answered_at=answered_at,
        ended_at=(answered_at or ring_at) + talk,
        notes=notes,
        outcome=script.outcome,
    )


def _log(
    ticket: Ticket, agent: User, script: CallScript, *, ring_at: datetime, notes: str, rng: random.Random
) -> PhoneCall:
    """Log a call with the ticket's contact as the caller, a minute or two after it ended."""
    caller = ticket.requester
    details = _details(script, caller=caller, ring_at=ring_at, notes=notes, rng=rng)
    if ticket.contact_phone:
        details = replace(details, caller_number=ticket.contact_phone)
    assert details.ended_at is not None  # noqa: S101 (every demo call has an end)
    logged_at = details.ended_at + timedelta(seconds=rng.randrange(30, 180))
    return log_call(ticket, actor=agent, details=details, now=logged_at)


def _desk_time(start: datetime, end: datetime, rng: random.Random) -> datetime:
    """Return a whole second in [start, end), during the desk's hours when the span has any."""
    zone = timezone.get_current_timezone()
    at = start
    for _ in range(100):
        at = start + (end - start) * rng.random()
        if DESK_OPENS <= timezone.localtime(at, zone).time() < DESK_CLOSES:
            break
    return max(start, at.replace(microsecond=0))


def add_alerts(directory: Directory, *, now: datetime) -> AlertSource:
    """Create an Alertmanager source (its token thrown away) and receive its alerts as Alertmanager sends them."""
    source, _token = create_alert_source(
        settings=SourceSettings(
            name=ALERT_SOURCE_NAME,
            kind=SourceKind.ALERTMANAGER,
            team=directory.teams["second-line"],
            category=directory.categories.get("hardware-server"),
            auto_resolve=True,
        ),
        actor=directory.users["admin"],
        now=now - timedelta(days=CONFIGURED_DAYS_AGO),
    )
    resolved_start = now - timedelta(hours=RESOLVED_ALERT.started_hours_ago)
    resolved_end = resolved_start + timedelta(hours=3, minutes=12)
    refired_start = now - timedelta(hours=REFIRED_ALERT.started_hours_ago)
    refired_again = now - timedelta(hours=2, minutes=17)
    firing_start = now - timedelta(hours=FIRING_ALERT.started_hours_ago)
    deliveries = [
        (resolved_start, [_alert(RESOLVED_ALERT, starts_at=resolved_start)]),
        (resolved_end, [_alert(RESOLVED_ALERT, starts_at=resolved_start, ends_at=resolved_end)]),
        (refired_start, [_alert(REFIRED_ALERT, starts_at=refired_start)]),
        # A new start while still firing: the alert cleared and came back between two deliveries.
        (refired_again, [_alert(REFIRED_ALERT, starts_at=refired_again)]),
        (firing_start, [_alert(FIRING_ALERT, starts_at=firing_start)]),
    ]
    for sent_at, alerts in deliveries:
        # Alertmanager waits for its group_wait before sending.
        received_at = sent_at + timedelta(seconds=30)
        receive_alerts(source, read_payload(SourceKind.ALERTMANAGER, _payload(alerts)), now=received_at)
    return source


def _alert(script: AlertScript, *, starts_at: datetime, ends_at: datetime | None = None) -> dict[str, Any]:
    """Return one alert as Alertmanager's webhook (version 4) writes it."""
    return {
        "status": "firing" if ends_at is None else "resolved",
        "fingerprint": script.fingerprint,
        "labels": {
            "alertname": script.alertname,
            "instance": script.instance,
            "job": "blackbox" if script.alertname == "CoreSwitchDown" else "node",
            "severity": script.severity,
        },
        "annotations": {"summary": script.summary, "description": script.description},
        "startsAt": _go_time(starts_at),
        "endsAt": _go_time(ends_at) if ends_at is not None else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.qiming.example.com/graph",
    }


def _payload(alerts: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the webhook body Alertmanager sends for one group of `alerts`."""
    name = alerts[0]["labels"]["alertname"]
    return {
        "version": "4",
        "status": "firing" if any(alert["status"] == "firing" for alert in alerts) else "resolved",
        "receiver": "sopdesk",
        "groupKey": '{}:{alertname="' + name + '"}',
        "alerts": alerts,
    }


def _go_time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
