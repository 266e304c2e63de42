"""Benchmark search: indexing throughput and query latency on SQLite and PostgreSQL.

    python bench/search_bench.py [--quick] [--tickets N] [--articles N] [--database sqlite|postgres|both]

For each database: migrate a fresh one, fill N tickets (bench/fill.py's TicketWriter, default
1,000,000; quick 5,000) and knowledge-base articles (default 10,000; quick 1,000; nine in ten
published) from a generated Chinese/English IT corpus, then in one child process rebuild the
search index (`search.indexing.reindex` / `reindex_articles`, as `manage.py reindex_search`
does) and report documents per second, refresh the planner statistics, and time the search
service (`search_tickets`, `search_articles`: match, rank, visibility, snippets) for two-word
Chinese and English queries as an agent, a manager, a requester and an anonymous reader.
In-process calls, so the times are the service's without HTTP. PostgreSQL: `--postgres-url`
(default `DATABASE_URL`), a database the bench creates and drops. Results are printed and
written to bench/results/.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_bench import (
    DEFAULT_POSTGRES_URL,
    RESULTS_DIR,
    child_env,
    load_average,
    postgres_database,
    run_step,
    summary_ms,
)

ROOT = Path(__file__).resolve().parent.parent

# Two-word queries, the way people type them into a search box.
CHINESE_QUERIES = [
    "打印机 卡纸",
    "密码 重置",
    "账号 锁定",
    "无线网络 掉线",
    "邮件 同步",
    "蓝屏 更新",
    "报表 超时",
    "磁盘 告警",
    "VPN 认证",
    "会议 没有声音",
]
ENGLISH_QUERIES = [
    "printer jam",
    "password reset",
    "account locked",
    "wifi disconnecting",
    "outlook mail",
    "blue screen",
    "report timeout",
    "disk space",
    "vpn authentication",
    "audio teams",
]

# The article corpus: systems, symptoms, causes and fixes combined at random, so that 10,000
# articles share a realistic vocabulary without repeating one text.
SYSTEMS = [
    ("打印机", "printer"),
    ("共享打印机", "shared printer"),
    ("域账号", "domain account"),
    ("VPN 客户端", "VPN client"),
    ("无线网络", "Wi-Fi network"),
    ("Outlook 邮箱", "Outlook mailbox"),
    ("Teams 会议", "Teams meeting"),
    ("ERP 系统", "ERP system"),
    ("CRM 系统", "CRM system"),
    ("笔记本电脑", "laptop"),
    ("显示器", "monitor"),
    ("文件服务器", "file server"),
    ("云主机", "cloud VM"),
    ("OA 审批流程", "approval workflow"),
    ("杀毒软件", "antivirus"),
    ("交换机端口", "switch port"),
]
SYMPTOMS = [
    ("卡纸", "jams"),
    ("无法登录", "cannot sign in"),
    ("被锁定", "is locked out"),
    ("频繁掉线", "keeps disconnecting"),
    ("认证失败", "fails authentication"),
    ("收不到邮件", "does not receive mail"),
    ("没有声音", "has no audio"),
    ("报表超时", "report times out"),
    ("运行很慢", "is very slow"),
    ("开机蓝屏", "shows a blue screen"),
    ("磁盘空间不足告警", "raises a disk space alert"),
    ("同步失败", "fails to sync"),
    ("密码过期", "password expired"),
    ("显示脱机", "shows offline"),
]
CAUSES = [
    ("驱动版本过旧", "an outdated driver"),
    ("密码多次输错", "repeated wrong passwords"),
    ("证书过期", "an expired certificate"),
    ("安全组规则被修改", "a changed security group rule"),
    ("最近安装的更新", "a recent update"),
    ("网络信号弱", "a weak signal"),
    ("配额已满", "a full quota"),
    ("数据库连接数过高", "too many database connections"),
    ("缓存损坏", "a corrupted cache"),
]
FIXES = [
    ("重启相关服务后重新连接", "Restart the service and reconnect"),
    ("在自助服务门户重置密码", "Reset the password in the self-service portal"),
    ("升级客户端到最新版本", "Upgrade the client to the latest version"),
    ("清理缓存并重新登录", "Clear the cache and sign in again"),
    ("联系二线支持扩容磁盘", "Ask second line to extend the disk"),
    ("回滚最近的更新", "Roll back the latest update"),
    ("更换网线并检查交换机端口", "Replace the cable and check the switch port"),
    ("重新添加打印机并设为默认", "Add the printer again and make it the default"),
]
STEPS = [
    ("检查事件日志", "check the event log"),
    ("确认其他同事是否正常", "ask whether colleagues are affected"),
    ("ping 网关", "ping the gateway"),
    ("查看错误代码", "note the error code"),
    ("尝试换一台电脑", "try another computer"),
    ("检查客户端版本", "check the client version"),
]
ARTICLE_TYPES = ["faq", "how_to", "troubleshooting", "sop"]
KB_CATEGORIES = [("hardware", "硬件 Hardware"), ("network", "网络 Network"), ("accounts", "账号 Accounts"),
                 ("software", "软件 Software"), ("servers", "服务器 Servers")]  # fmt: skip


def article_text(rng: random.Random) -> dict[str, Any]:
    """One article's fields in Chinese, English or both."""
    (system_zh, system_en), (symptom_zh, symptom_en) = rng.choice(SYSTEMS), rng.choice(SYMPTOMS)
    (cause_zh, cause_en), (fix_zh, fix_en) = rng.choice(CAUSES), rng.choice(FIXES)
    steps = rng.sample(STEPS, 3)
    language = rng.choices(["zh", "en", "both"], weights=[5, 3, 2])[0]
    zh = language in {"zh", "both"}
    en = language in {"en", "both"}
    parts: dict[str, list[str]] = {"title": [], "problem": [], "diagnosis": [], "solution": [], "notes": []}
    if zh:
        parts["title"].append(f"{system_zh}{symptom_zh}")
        parts["problem"].append(f"用户反馈{system_zh}{symptom_zh}，原因通常是{cause_zh}。")
        parts["diagnosis"].extend(f"{index}. {zh_step}" for index, (zh_step, _) in enumerate(steps, start=1))
        parts["solution"].append(f"{fix_zh}。如果问题依旧，请提交工单并附上截图。")
        parts["notes"].append(f"适用于所有使用{system_zh}的部门。")
    if en:
        parts["title"].append(f"{system_en} {symptom_en}")
        parts["problem"].append(f"Users report that the {system_en} {symptom_en}, usually because of {cause_en}.")
        parts["diagnosis"].extend(f"- {en_step.capitalize()}." for _, en_step in steps)
        parts["solution"].append(f"{fix_en}. If the problem persists, open a ticket with a screenshot.")
        parts["notes"].append(f"Applies to every team using the {system_en}.")
    return {
        "title": " / ".join(parts["title"])[:200],
        "problem": "\n".join(parts["problem"]),
        "diagnosis": "\n".join(parts["diagnosis"]),
        "solution": "\n".join(parts["solution"]),
        "notes": "\n".join(parts["notes"]),
        "applies_to": "Windows 11, macOS 14" if rng.random() < 0.5 else "全公司 All offices",
        "tags": [system_en.split()[0].lower(), rng.choice(["howto", "known-issue", "hardware", "network"])],
    }


# --- child steps (run inside a configured Django process) ------------------------------------


def fill_articles(count: int, seed: int) -> dict[str, Any]:
    """Write `count` articles, nine in ten published (a live version), straight to the tables."""
    from django.db import connection, transaction
    from django.utils import timezone

    from sopdesk.accounts.models import User
    from sopdesk.kb.models import Article, ArticleCategory, ArticleVersion

    rng = random.Random(seed)
    owner = User.objects.filter(role="agent").order_by("pk").first()
    if owner is None:
        raise SystemExit("no agent to own the articles (fill the tickets first)")
    now = timezone.now()
    categories = [ArticleCategory.objects.create(code=code, name=name) for code, name in KB_CATEGORIES]
    started = time.perf_counter()
    published = 0
    for start in range(0, count, 1000):
        with transaction.atomic():
            texts = [article_text(rng) for _ in range(start, min(start + 1000, count))]
            rows = []
            for text in texts:
                rows.append(
                    Article(
                        **text,
                        article_type=rng.choice(ARTICLE_TYPES),
                        category=rng.choice(categories),
                        visibility="public" if rng.random() < 0.75 else "internal",
                        status="published" if rng.random() < 0.9 else "draft",
                        owner=owner,
                        created_at=now - timedelta(days=rng.randint(1, 700)),
                        updated_at=now,
                    )
                )
            Article.objects.bulk_create(rows)
            versions = [
                ArticleVersion(
                    article=article,
                    number=1,
                    published_at=article.created_at,
                    published_by=owner,
                    **{name: getattr(article, name) for name in (*text, "article_type", "category", "visibility")},
                )
                for article, text in zip(rows, texts, strict=True)
                if article.status == "published"
            ]
            ArticleVersion.objects.bulk_create(versions)
            published += len(versions)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE kb_article SET live_version_id = "
            "(SELECT v.id FROM kb_articleversion v WHERE v.article_id = kb_article.id) WHERE status = 'published'"
        )
    return {"articles": count, "published": published, "fill_seconds": round(time.perf_counter() - started, 2)}


def index_everything() -> dict[str, Any]:
    """Rebuild both indexes as `reindex_search` does; return documents per second of each."""
    from sopdesk.search.indexing import reindex, reindex_articles

    started = time.perf_counter()
    tickets = reindex()
    ticket_seconds = time.perf_counter() - started
    started = time.perf_counter()
    articles = reindex_articles()
    article_seconds = time.perf_counter() - started
    return {
        "tickets": tickets,
        "ticket_seconds": round(ticket_seconds, 2),
        "tickets_per_second": round(tickets / ticket_seconds, 1) if ticket_seconds else None,
        "articles": articles,
        "article_seconds": round(article_seconds, 2),
        "articles_per_second": round(articles / article_seconds, 1) if article_seconds else None,
    }


def refresh_statistics() -> dict[str, Any]:
    """What the service does for its planner: `refresh_statistics` on SQLite, VACUUM ANALYZE on PostgreSQL."""
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        call_command("refresh_statistics", verbosity=0)
    return {"seconds": round(time.perf_counter() - started, 2)}


def time_searches(rounds: int, warmup: int) -> list[dict[str, Any]]:
    """Time each query set for each reader: `rounds` passes over the queries after `warmup` passes."""
    from django.contrib.auth.models import AnonymousUser

    from sopdesk.accounts.models import User
    from sopdesk.search.service import search_articles, search_tickets

    agent = User.objects.get(username="bench-agent")
    manager = User.objects.get(username="bench-manager")
    requester = User.objects.filter(username__startswith="bench-user-").order_by("pk").first()
    readers: list[tuple[str, str, Any, Any]] = [
        ("tickets", "agent", agent, search_tickets),
        ("tickets", "manager", manager, search_tickets),
        ("tickets", "requester", requester, search_tickets),
        ("articles", "agent", agent, search_articles),
        ("articles", "anonymous", AnonymousUser(), search_articles),
    ]
    rows = []
    for kind, reader, user, search in readers:
        for language, queries in (("zh", CHINESE_QUERIES), ("en", ENGLISH_QUERIES)):
            timings: list[float] = []
            hits = 0
            for round_index in range(warmup + rounds):
                for query in queries:
                    started = time.perf_counter()
                    found = search(user, query)
                    elapsed = time.perf_counter() - started
                    if round_index >= warmup:
                        timings.append(elapsed)
                        hits += len(found)
            summary = summary_ms(timings)
            summary.pop("timings_ms")
            rows.append({"kind": kind, "reader": reader, "language": language, "queries": len(timings),
                         "mean_hits": round(hits / max(len(timings), 1), 1)} | summary)  # fmt: skip
    return rows


def child(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sopdesk.settings")
    import django

    django.setup()
    if args.child == "articles":
        result = fill_articles(args.articles, args.seed)
    elif args.child == "index":
        result = index_everything()
    elif args.child == "statistics":
        result = refresh_statistics()
    else:
        result = {"searches": time_searches(args.rounds, warmup=1)}
    print(json.dumps(result, ensure_ascii=False))
    return 0


# --- the parent: one fresh database per run ----------------------------------------------------


def run_database(database: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"\n[{database}] {args.tickets:,} tickets, {args.articles:,} articles", flush=True)
    password = "bench-" + os.urandom(12).hex()
    result: dict[str, Any] = {"database": database, "load_average_before": load_average()}
    kept = contextlib.nullcontext(tempfile.mkdtemp(prefix="sopdesk-searchbench-")) if args.keep else None
    with kept or tempfile.TemporaryDirectory(prefix="sopdesk-searchbench-") as temp:
        data_dir = Path(temp) / "data"
        data_dir.mkdir()
        if args.keep:
            print(f"  data directory kept: {data_dir}", flush=True)
        postgres = postgres_database(args.postgres_url, keep=args.keep) if database == "postgres" else None
        facts = postgres.__enter__() if postgres is not None else {}
        try:
            env = child_env(data_dir, args.postgres_url if database == "postgres" else None, {})
            python = sys.executable
            me = [python, str(Path(__file__).resolve())]
            run_step("migrate", [python, "-m", "sopdesk.cli", "migrate", "--no-input", "-v0"], env, timeout=600)
            # The index is built (and timed) below, not by the fill.
            fill = [python, str(ROOT / "bench" / "fill.py"), "--tickets", str(args.tickets), "--no-search-index"]
            filled = json.loads(
                run_step(f"fill {args.tickets:,} tickets", fill, env | {"SOPDESK_BENCH_PASSWORD": password}, 7200)
            )
            articles_command = [*me, "--child", "articles", "--articles", str(args.articles)]
            articles = json.loads(run_step(f"fill {args.articles:,} articles", articles_command, env, 3600))
            indexed = json.loads(run_step("index everything", [*me, "--child", "index"], env, 4 * 3600))
            print(
                f"    indexing: {indexed['tickets_per_second']:,.0f} tickets/s, "
                f"{indexed['articles_per_second']:,.0f} articles/s",
                flush=True,
            )
            run_step("refresh planner statistics", [*me, "--child", "statistics"], env, 3600)
            searched = json.loads(
                run_step("search", [*me, "--child", "search", "--rounds", str(args.rounds)], env, 3600)
            )
            for row in searched["searches"]:
                print(
                    f"    {row['kind']:8} {row['reader']:9} {row['language']}  p50 {row['p50_ms']:7.1f} ms"
                    f"  p95 {row['p95_ms']:7.1f} ms  ({row['queries']} queries, {row['mean_hits']} hits each)",
                    flush=True,
                )
            result |= {"facts": facts, "fill": {"tickets_seconds": filled["fill_seconds"]} | articles}
            result |= {"indexing": indexed, "searches": searched["searches"]}
        finally:
            if postgres is not None:
                postgres.__exit__(None, None, None)
    result["load_average_after"] = load_average()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5,000 tickets, 1,000 articles, fewer rounds")
    parser.add_argument("--tickets", type=int, help="tickets to fill (default 1,000,000; quick 5,000)")
    parser.add_argument("--articles", type=int, help="articles to fill (default 10,000; quick 1,000)")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("DATABASE_URL") or DEFAULT_POSTGRES_URL,
        help="database to create and drop (default: DATABASE_URL)",
    )
    parser.add_argument("--rounds", type=int, help="timed passes over each query set (default 10; quick 3)")
    parser.add_argument("--keep", action="store_true", help="keep the filled databases (to look into a figure)")
    parser.add_argument("--child", choices=["articles", "index", "statistics", "search"], help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=20261206, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.tickets = args.tickets or (5_000 if args.quick else 1_000_000)
    args.articles = args.articles or (1_000 if args.quick else 10_000)
    args.rounds = args.rounds or (3 if args.quick else 10)
    if args.child:
        return child(args)
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    report = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "tickets": args.tickets,
        "articles": args.articles,
        "runs": [run_database(database, args) for database in databases],
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"search-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
