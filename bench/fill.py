"""Fill a freshly migrated sopdesk database with bench users, teams and many tickets.

Run by api_bench.py in a child process whose environment selects the database
(SOPDESK_DATA_DIR / DATABASE_URL); prints one JSON line describing what it created.

The tickets bypass the actions on purpose: creating 100,000 tickets through
`create_ticket()` (number sequence, priority lookup, timeline event, one transaction each)
would take many minutes and measure the wrong thing. Users, teams and memberships are made
with the ORM (bulk_create for the many requesters). The tickets themselves are written in
batches with one parameterised INSERT (`executemany`; COPY on PostgreSQL) instead of
`bulk_create`, which spends about half a millisecond of CPU per ticket preparing its ~50
column values: most of a minute for 100,000 rows on a two-core machine, where the whole fill
now takes about twenty seconds. Columns come from the model, so the rows stay in step with
it, and a sample is read back and validated through the ORM afterwards.

The rows get what the list endpoints read (numbers, status, priority, team, assignee,
requester, category, timestamps, Chinese and English texts) but no timeline events, tags or
access-log entries. The per-year number sequences are set to the highest bulk number so
tickets created through the API afterwards continue the series without collisions.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

# Text is generated from a few realistic topics; each is (category, team, zh titles, en titles,
# zh details, en details). "{n}" is replaced by a floor, room or device number.
TOPICS: list[tuple[str, str, list[str], list[str], list[str], list[str]]] = [
    (
        "hardware-printer",
        "service-desk",
        ["{n}楼打印机卡纸，无法打印", "打印机打印出来是空白页", "共享打印机脱机，财务部无法打印发票"],
        ["Printer on floor {n} jams on every page", "Network printer shows offline", "Printer prints blank pages"],
        ["从今天早上开始，打印机一直提示卡纸，已经清理过纸盒。", "打印队列里有二十多个任务卡住了。"],
        ["Since this morning the printer reports a paper jam; the tray was cleaned.", "The queue is stuck."],
    ),
    (
        "account-password",
        "service-desk",
        ["域账号被锁定，无法登录电脑", "OA 系统密码过期，需要重置", "新员工账号开通申请（工号 {n}）"],
        ["Domain account locked out", "Password expired for the ERP portal", "New starter account, badge {n}"],
        ["输错密码多次后账号被锁定，急需处理，下午要开会。", "收到密码过期提醒，但是修改页面打不开。"],
        ["Locked out after several wrong passwords, needed for a meeting.", "The reset page does not open."],
    ),
    (
        "software-office",
        "service-desk",
        ["Outlook 收不到邮件", "Excel 打开大文件时崩溃", "Teams 会议没有声音"],
        ["Outlook stopped receiving mail", "Excel crashes when opening large files", "No audio in Teams calls"],
        ["重启电脑后问题依旧，其他同事正常。", "错误提示：应用程序无响应。"],
        ["Restarting did not help; colleagues are fine.", "Error: the application is not responding."],
    ),
    (
        "hardware-pc",
        "service-desk",
        ["笔记本电脑开机蓝屏", "显示器闪烁，{n} 号工位", "电脑运行非常慢，风扇声音很大"],
        ["Laptop shows a blue screen at boot", "Monitor flickers at desk {n}", "PC very slow, fan is loud"],
        ["蓝屏代码 0x0000007B，昨天安装了更新。", "已经尝试更换电源线，没有改善。"],
        ["Stop code 0x0000007B after yesterday's update.", "Swapping the power cable did not help."],
    ),
    (
        "network-vpn",
        "network",
        ["VPN 连接不上，提示认证失败", "在家办公 VPN 经常断线", "VPN 连接后无法访问内网系统"],
        ["VPN fails with an authentication error", "VPN drops every few minutes", "No intranet access over VPN"],
        ["客户端版本 5.{n}，家里网络正常。", "错误代码 809，换了热点也一样。"],
        ["Client version 5.{n}; the home network works.", "Error 809, same on a mobile hotspot."],
    ),
    (
        "network-wifi",
        "network",
        ["{n}楼会议室无线网络信号差", "访客 Wi-Fi 无法认证", "无线网络频繁掉线"],
        ["Weak Wi-Fi in meeting room {n}", "Guest Wi-Fi portal does not load", "Wi-Fi keeps disconnecting"],
        ["会议室经常有客户来访，影响演示。", "手机和电脑都连不上。"],
        ["Customers visit this room often; demos suffer.", "Neither phones nor laptops connect."],
    ),
    (
        "network-lan",
        "network",
        ["{n}号机房交换机端口故障", "办公区有线网络时断时续", "IP 地址冲突"],
        ["Switch port down in rack {n}", "Wired network drops intermittently", "IP address conflict"],
        ["网线已更换，指示灯不亮。", "整个区域约二十人受影响。"],
        ["Cable replaced, the link light stays off.", "About twenty people in the area are affected."],
    ),
    (
        "software-business",
        "second-line",
        ["ERP 系统生成报表超时", "CRM 客户资料保存失败", "审批流程卡在第 {n} 步"],
        ["ERP report generation times out", "CRM fails to save customer records", "Approval stuck at step {n}"],
        ["月底结账需要这份报表，请尽快处理。", "提示：数据库连接超时。"],
        ["Month-end closing depends on this report.", "Message: database connection timed out."],
    ),
    (
        "system",
        "second-line",
        ["服务器磁盘空间不足告警", "定时任务没有执行", "文件服务器访问很慢"],
        ["Disk space alert on server {n}", "Scheduled job did not run", "File server is very slow"],
        ["监控显示磁盘使用率 95%。", "日志里没有错误信息。"],
        ["Monitoring shows the disk at 95%.", "Nothing in the logs."],
    ),
    (
        "cloud",
        "second-line",
        ["云主机无法 SSH 登录", "对象存储上传失败", "云数据库连接数过高"],
        ["Cannot SSH into cloud VM {n}", "Object storage uploads fail", "Too many cloud database connections"],
        ["安全组规则最近被修改过。", "上传大于 100MB 的文件时报错。"],
        ["The security group was changed recently.", "Uploads above 100 MB fail."],
    ),
    (
        "software-business",
        "rnd",
        ["移动端应用登录后闪退", "接口返回 500 错误", "导出功能中文乱码"],
        ["Mobile app crashes after login", "API returns HTTP 500", "Export garbles Chinese text"],
        ["版本 3.{n}.0，安卓和 iOS 都能复现。", "复现步骤：登录后点击导出。"],
        ["Version 3.{n}.0, reproducible on Android and iOS.", "Steps: log in, click export."],
    ),
    (
        "security",
        "rnd",
        ["收到可疑钓鱼邮件", "杀毒软件报告病毒", "发现异常登录记录"],
        ["Suspicious phishing e-mail received", "Antivirus reports malware", "Unusual sign-in detected"],
        ["邮件要求点击链接修改密码，发件人地址可疑。", "已断开网络，等待处理。"],
        ["The mail asks to click a link to change the password.", "The machine was disconnected."],
    ),
]
TEAMS = [
    ("service-desk", "服务台 Service desk", "first_line", True),
    ("second-line", "二线支持 Second line", "second_line", False),
    ("network", "网络组 Network", "specialist", False),
    ("rnd", "研发 R&D", "specialist", False),
]
# Share of tickets per topic index (service desk gets most of the volume).
TOPIC_WEIGHTS = [14, 14, 10, 8, 7, 6, 5, 9, 7, 5, 9, 6]
IMPACT_WEIGHTS = {"single_user": 60, "multiple_users": 20, "department": 15, "organization": 5}
URGENCY_WEIGHTS = {"low": 20, "medium": 50, "high": 25, "critical": 5}
# Status mix for tickets older than 30 days and for recent ones.
OLD_STATUS_WEIGHTS = {
    "closed": 92,
    "resolved": 3,
    "pending_customer": 1,
    "pending_confirmation": 1,
    "in_progress": 2,
    "assigned": 0.5,
    "new": 0.5,
}
RECENT_STATUS_WEIGHTS = {
    "closed": 15,
    "resolved": 12,
    "pending_customer": 10,
    "pending_confirmation": 8,
    "in_progress": 25,
    "assigned": 15,
    "new": 15,
}
TICKET_TYPES = ["fault", "consultation", "fault", "configuration", "fault", "requirement", "fault"]
DIFFICULTIES = [1, 2, 1, 3, 1, 2, 4, 1, 2]
CHANNEL_WEIGHTS = {"web": 35, "email": 25, "phone": 20, "chat": 10, "monitoring": 5, "api": 3, "onsite": 2}
AGENTS_PER_TEAM = 5
REQUESTER_COUNT = 300
HISTORY_DAYS = 730


@dataclass(frozen=True)
class Accounts:
    agent: Any
    manager: Any
    requesters: list[Any]
    members: dict[str, list[Any]]
    teams: dict[str, Any]


def _create_accounts(password: str) -> Accounts:
    from django.contrib.auth.hashers import make_password

    from sopdesk.accounts.models import CustomerLevel, Department, Organization, Team, TeamMembership, User
    from sopdesk.tickets.models import Category

    teams = {
        code: Team.objects.create(code=code, name=name, tier=tier, is_intake=is_intake)
        for code, name, tier, is_intake in TEAMS
    }
    for category_code, team_code, *_ in TOPICS:
        Category.objects.filter(code=category_code, default_team=None).update(default_team=teams[team_code])
    vip = CustomerLevel.objects.get(code="vip")
    standard = CustomerLevel.objects.get(code="standard")
    internal = Organization.objects.create(name="本公司 Internal", is_internal=True)
    customers = [
        Organization.objects.create(name="华东制造有限公司", customer_level=vip),
        Organization.objects.create(name="Northwind Trading Ltd.", customer_level=standard, shares_tickets=True),
    ]
    departments = [
        Department.objects.create(organization=internal, name=name) for name in ("财务部", "销售部", "生产部", "HR")
    ]
    unusable = make_password(None)
    requesters = []
    for index in range(REQUESTER_COUNT):
        if index % 3 == 0:
            organization, department, kind = customers[index % 2], None, "customer"
        else:
            organization, department, kind = internal, departments[index % len(departments)], "internal"
        requesters.append(
            User(
                username=f"bench-user-{index:04d}",
                display_name=f"用户{index:04d}" if index % 2 else f"User {index:04d}",
                email=f"bench-user-{index:04d}@example.com",
                password=unusable,
                role="requester",
                organization=organization,
                department=department,
                requester_type=kind,
            )
        )
    User.objects.bulk_create(requesters)
    requesters = list(
        User.objects.filter(username__startswith="bench-user-")
        .select_related("organization__customer_level", "department")
        .order_by("pk")
    )
    staff = [
        User(
            username=f"bench-{code}-{index}",
            display_name=f"{code} agent {index}",
            password=unusable,
            role="agent" if index else "team_lead",
        )
        for code in teams
        for index in range(AGENTS_PER_TEAM)
    ]
    User.objects.bulk_create(staff)
    members: dict[str, list[Any]] = {}
    for code, team in teams.items():
        users = list(User.objects.filter(username__startswith=f"bench-{code}-").order_by("pk"))
        TeamMembership.objects.bulk_create(
            TeamMembership(team=team, user=user, is_lead=user.role == "team_lead") for user in users
        )
        members[code] = users
    agent = User.objects.create_user(username="bench-agent", password=password, role="agent", display_name="值班坐席")
    TeamMembership.objects.create(team=teams["service-desk"], user=agent)
    members["service-desk"].append(agent)
    manager = User.objects.create_user(username="bench-manager", password=password, role="manager")
    return Accounts(agent=agent, manager=manager, requesters=requesters, members=members, teams=teams)


class TicketWriter:
    """Insert ticket rows in batches: executemany of one parameterised INSERT, COPY on PostgreSQL.

    The column list comes from the Ticket model, columns a row leaves out get the field
    default, and datetimes are adapted by the backend exactly as the ORM would store them.
    Batches are written by a second thread with its own connection, so generating the next
    batch overlaps with the database storing the previous one.
    """

    def __init__(self, batch_size: int, *, search_index: bool = True) -> None:
        from django.db import connection

        from sopdesk.tickets.models import Ticket

        # The rows bypass the actions, so nothing notes them for search: close() indexes them, as
        # `reindex_search` would, so that a filled desk's search finds its tickets.
        self.search_index = search_index
        self.last_id_before = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

        self.ops = connection.ops
        self.fields = [field for field in Ticket._meta.concrete_fields if not field.primary_key]
        self.defaults = [field.get_default() for field in self.fields]
        self.datetimes = {field.attname for field in self.fields if field.get_internal_type() == "DateTimeField"}
        quote = connection.ops.quote_name
        table = quote(Ticket._meta.db_table)
        columns = ", ".join(quote(field.column) for field in self.fields)
        # Identifiers come from the model and are quoted; values are always parameters.
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(self.fields))})"  # noqa: S608
        # PostgreSQL loads rows several times faster through COPY than through INSERTs.
        self.copy_sql = f"COPY {table} ({columns}) FROM STDIN" if connection.vendor == "postgresql" else None
        self.batch_size = batch_size
        self.pending: list[tuple[Any, ...]] = []
        self.batches: queue.Queue[list[tuple[Any, ...]] | None] = queue.Queue(maxsize=2)
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._write_batches, daemon=True)
        self.thread.start()

    def add(self, row: dict[str, Any]) -> None:
        adapt = self.ops.adapt_datetimefield_value
        values = []
        for field, default in zip(self.fields, self.defaults, strict=True):
            value = row.get(field.attname, default)
            values.append(adapt(value) if field.attname in self.datetimes else value)
        self.pending.append(tuple(values))
        if len(self.pending) >= self.batch_size:
            self._hand_over()

    def close(self) -> None:
        """Write what is pending, wait for the writer and raise its failure, if any."""
        if self.failure is None and self.pending:
            self.batches.put(self.pending)
            self.pending = []
        self.batches.put(None)
        self.thread.join()
        if self.failure is not None:
            raise self.failure
        if self.search_index:
            self.index_written()

    def index_written(self) -> int:
        """Put the tickets written since this writer started into the search index; return how many."""
        from sopdesk.search.indexing import index_tickets
        from sopdesk.tickets.models import Ticket

        written = Ticket.objects.filter(pk__gt=self.last_id_before).order_by("pk").values_list("pk", flat=True)
        total = 0
        chunk: list[int] = []
        for pk in written.iterator(chunk_size=5000):
            chunk.append(pk)
            if len(chunk) == 1000:
                total += index_tickets(chunk)
                chunk = []
        return total + (index_tickets(chunk) if chunk else 0)

    def _hand_over(self) -> None:
        if self.failure is not None:
            raise self.failure
        if self.pending:
            self.batches.put(self.pending)
            self.pending = []

    def _write_batches(self) -> None:
        from django.db import connection, transaction

        try:
            while (batch := self.batches.get()) is not None:
                with transaction.atomic(), connection.cursor() as cursor:
                    if self.copy_sql is None:
                        cursor.executemany(self.sql, batch)
                        continue
                    with cursor.cursor.copy(self.copy_sql) as copy:
                        for row in batch:
                            copy.write_row(row)
        except BaseException as exc:
            self.failure = exc
            while self.batches.get() is not None:  # keep the producer from blocking
                pass
        finally:
            connection.close()


def _fill_tickets(
    accounts: Accounts, *, count: int, seed: int, batch_size: int, search_index: bool = True
) -> dict[str, Counter[str]]:
    from django.conf import settings
    from django.utils import timezone

    from sopdesk.lib.priority import compute_priority
    from sopdesk.tickets.actions import priority_matrix
    from sopdesk.tickets.models import Category, TicketNumberSequence
    from sopdesk.tickets.numbering import format_ticket_number

    rng = random.Random(seed)
    matrix = priority_matrix()
    categories = dict(Category.objects.values_list("code", "pk"))
    prefix = settings.SOPDESK_TICKET_PREFIX
    now = timezone.now()
    local_zone = timezone.get_current_timezone()
    # Creation times, oldest first and denser towards today, so numbers grow with time.
    ages = sorted((rng.random() ** 0.8 * HISTORY_DAYS for _ in range(count)), reverse=True)

    def draw(weights: dict[str, float]) -> list[str]:
        return rng.choices(list(weights), weights=list(weights.values()), k=count)

    topics = rng.choices(TOPICS, weights=TOPIC_WEIGHTS, k=count)
    impacts, urgencies, channels = draw(IMPACT_WEIGHTS), draw(URGENCY_WEIGHTS), draw(CHANNEL_WEIGHTS)
    old_statuses, recent_statuses = draw(OLD_STATUS_WEIGHTS), draw(RECENT_STATUS_WEIGHTS)
    requesters = rng.choices(accounts.requesters, k=count)
    boosts = {
        user.pk: (user.organization.customer_level.priority_boost if user.organization.customer_level else 0)
        for user in accounts.requesters
    }
    team_ids = {code: team.pk for code, team in accounts.teams.items()}
    member_ids = {code: [user.pk for user in users] for code, users in accounts.members.items()}
    sequences: Counter[int] = Counter()
    tally: dict[str, Counter[str]] = {"status": Counter(), "priority": Counter(), "team": Counter()}
    writer = TicketWriter(batch_size, search_index=search_index)
    try:
        for index, age_days in enumerate(ages):
            created_at = now - timedelta(days=age_days)
            category_code, team_code, zh_titles, en_titles, zh_details, en_details = topics[index]
            is_chinese = rng.random() < 0.65
            number_hint = str(rng.randint(1, 30))
            title = rng.choice(zh_titles if is_chinese else en_titles).replace("{n}", number_hint)
            details = rng.sample(zh_details if is_chinese else en_details, 2)
            requester = requesters[index]
            status = old_statuses[index] if age_days > 30 else recent_statuses[index]
            priority = compute_priority(
                impact=impacts[index], urgency=urgencies[index], boost=boosts[requester.pk], matrix=matrix
            )
            year = created_at.astimezone(local_zone).year
            sequences[year] += 1
            # Follow-up times never pass the present, however recent the ticket.
            handled_at = min(created_at + timedelta(minutes=rng.randint(5, 240)), now)
            is_done = status in {"resolved", "closed"}
            resolved_at = min(handled_at + timedelta(hours=rng.randint(1, 72)), now) if is_done else None
            closed_at = min(resolved_at + timedelta(days=3), now) if status == "closed" and resolved_at else None
            writer.add(
                {
                    "number": format_ticket_number(prefix, year, sequences[year]),
                    "title": title,
                    "description": "\n".join(text.replace("{n}", number_hint) for text in details),
                    "requester_id": requester.pk,
                    "created_by_id": requester.pk,
                    "contact_name": requester.display_name,
                    "contact_email": requester.email,
                    "organization_id": requester.organization_id,
                    "department_id": requester.department_id,
                    "requester_type": requester.requester_type,
                    "channel": channels[index],
                    "category_id": categories[category_code],
                    "ticket_type": TICKET_TYPES[index % len(TICKET_TYPES)],
                    "impact": impacts[index],
                    "urgency": urgencies[index],
                    "priority": priority,
                    "difficulty": DIFFICULTIES[index % len(DIFFICULTIES)],
                    "status": status,
                    "team_id": team_ids[team_code],
                    "assignee_id": None if status == "new" else rng.choice(member_ids[team_code]),
                    "created_at": created_at,
                    "updated_at": closed_at or resolved_at or handled_at,
                    "first_responded_at": None if status == "new" else handled_at,
                    "resolved_at": resolved_at,
                    "closed_at": closed_at,
                    "closure_problem": title if is_done else "",
                    "closure_diagnosis": "已定位原因。Root cause identified." if is_done else "",
                    "closure_solution": "已处理并与用户确认。Fixed and confirmed with the user." if is_done else "",
                }
            )
            tally["status"][status] += 1
            tally["priority"][priority] += 1
            tally["team"][team_code] += 1
    finally:
        writer.close()
    for year, last_value in sequences.items():
        TicketNumberSequence.objects.update_or_create(prefix=prefix, year=year, defaults={"last_value": last_value})
    return tally


def _check_rows(count: int) -> None:
    """Read the rows back through the ORM so a mismatch with the model fails the fill, not the bench."""
    from sopdesk.tickets.models import Ticket

    stored = Ticket.objects.count()
    if stored != count:
        raise SystemExit(f"expected {count} tickets, found {stored}")
    for ticket in Ticket.objects.select_related("team", "requester", "category")[:200]:
        ticket.full_clean(exclude=["tags"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, required=True)
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--analyze", action="store_true", help="refresh planner statistics (and vacuum) afterwards")
    parser.add_argument(
        "--no-search-index", action="store_true", help="leave the search index empty (a bench that builds it itself)"
    )
    args = parser.parse_args()
    password = os.environ.get("SOPDESK_BENCH_PASSWORD", "")
    if len(password) < 12:
        print("SOPDESK_BENCH_PASSWORD must be set (at least 12 characters)", file=sys.stderr)
        return 2

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sopdesk.settings")
    import django

    django.setup()
    from django.db import connection

    started = time.perf_counter()
    accounts = _create_accounts(password)
    tally = _fill_tickets(
        accounts,
        count=args.tickets,
        seed=args.seed,
        batch_size=args.batch_size,
        search_index=not args.no_search_index,
    )
    _check_rows(args.tickets)
    filled_at = time.perf_counter()
    if args.analyze:
        with connection.cursor() as cursor:
            # On PostgreSQL what autovacuum does after a bulk load: statistics, and the
            # visibility map that lets counts use index-only scans.
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    summary = {
        "tickets": args.tickets,
        "fill_seconds": round(filled_at - started, 2),
        "analyze_seconds": round(time.perf_counter() - filled_at, 2),
        "vendor": connection.vendor,
        "agent": accounts.agent.username,
        "agent_team": "service-desk",
        "manager": accounts.manager.username,
        "requesters": [user.username for user in accounts.requesters[:50]],
        "categories": sorted({topic[0] for topic in TOPICS}),
        "distribution": {name: dict(sorted(counter.items())) for name, counter in tally.items()},
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
