"""Demo knowledge base: a small category tree and a few articles in Chinese and English in every stage.

Written through the kb actions by the demo agent and engineer and approved by the administrator,
so the versions, review entries and the search index follow as they would in use. One published
article is past its review date, so the review-due queue has something to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from sopdesk.demo.directory import Directory
from sopdesk.kb import actions
from sopdesk.kb.choices import ArticleStatus, ArticleType, ArticleVisibility
from sopdesk.kb.models import Article, ArticleCategory

CATEGORIES = (
    ("network", "网络与 VPN Network & VPN", None),
    ("accounts", "账号与密码 Accounts", None),
    ("printing", "打印 Printing", None),
    ("onboarding", "入职 Onboarding", "accounts"),
)


@dataclass(frozen=True)
class DemoArticle:
    author: str
    stage: ArticleStatus
    days_ago: int
    values: dict[str, Any]
    review_in_days: int | None = 180


ARTICLES = (
    DemoArticle(
        "engineer",
        ArticleStatus.PUBLISHED,
        40,
        {
            "title": "VPN 每小时自动断开",
            "article_type": ArticleType.TROUBLESHOOTING,
            "category": "network",
            "problem": "使用公司 VPN 客户端时，连接大约每 60 分钟断开一次，需要重新登录。",
            "diagnosis": "1. 打开客户端日志，查看断开时间是否整点出现\n2. 检查客户端版本（**帮助 → 关于**）",
            "solution": "将 VPN 客户端升级到 **5.2** 或更高版本，然后重新登录。\n\n"
            "| 版本 | 是否受影响 |\n|---|---|\n| 5.0 – 5.1 | 是 |\n| 5.2 及以上 | 否 |",
            "applies_to": "Windows 10/11，macOS 13 及以上",
            "visibility": ArticleVisibility.PUBLIC,
            "tags": ["VPN", "断线"],
        },
        review_in_days=-3,
    ),
    DemoArticle(
        "agent",
        ArticleStatus.PUBLISHED,
        25,
        {
            "title": "Reset your password",
            "article_type": ArticleType.HOW_TO,
            "category": "accounts",
            "problem": "You forgot your password or it has expired.",
            "solution": "1. Open the login page and choose **Forgot password**.\n2. Enter your work e-mail address.\n"
            "3. Follow the link in the mail within 30 minutes and choose a new password.",
            "notes": "A new password needs at least 12 characters; the last five cannot be reused.",
            "visibility": ArticleVisibility.PUBLIC,
            "tags": ["password", "account"],
        },
    ),
    DemoArticle(
        "agent",
        ArticleStatus.PUBLISHED,
        12,
        {
            "title": "打印机打印出空白页",
            "article_type": ArticleType.FAQ,
            "category": "printing",
            "problem": "打印任务完成，但纸张上没有任何内容。",
            "solution": "1. 取出硒鼓，左右轻摇几下后装回\n2. 检查硒鼓的封条是否已撕下\n"
            "3. 仍然空白时更换硒鼓，并提交工单申请新硒鼓",
            "visibility": ArticleVisibility.PUBLIC,
            "tags": ["打印机", "printer"],
        },
    ),
    DemoArticle(
        "agent",
        ArticleStatus.IN_REVIEW,
        2,
        {
            "title": "Outlook keeps asking for the password",
            "article_type": ArticleType.TROUBLESHOOTING,
            "category": "accounts",
            "problem": "Outlook shows the sign-in window again and again after a password change.",
            "diagnosis": "Check whether the old password is still stored in the Windows Credential Manager.",
            "solution": "Remove the entries starting with *MicrosoftOffice* in the Credential Manager, "
            "then restart Outlook and sign in once.",
            "visibility": ArticleVisibility.INTERNAL,
            "tags": ["outlook", "mail"],
        },
    ),
    DemoArticle(
        "engineer",
        ArticleStatus.DRAFT,
        1,
        {
            "title": "新员工入职 IT 开通流程（SOP）",
            "article_type": ArticleType.SOP,
            "category": "onboarding",
            "problem": "新员工入职当天需要账号、邮箱、电脑和 VPN 权限。",
            "solution": "1. 人事提交入职工单（至少提前 3 个工作日）\n2. 服务台创建域账号和邮箱\n"
            "3. 网络组开通 VPN\n4. 入职当天现场交付电脑",
            "visibility": ArticleVisibility.INTERNAL,
            "tags": ["入职", "SOP"],
        },
    ),
)


def add_knowledge_base(directory: Directory, *, now: datetime) -> None:
    """Create the demo categories and articles (none when articles exist already)."""
    categories: dict[str, ArticleCategory] = {}
    for code, name, parent in CATEGORIES:
        categories[code] = ArticleCategory.objects.filter(code=code).first() or actions.create_category(
            actor=None, values={"code": code, "name": name, "parent": categories.get(parent or "")}, now=now
        )
    if Article.objects.exists():
        return
    approver = directory.users["admin"]
    for item in ARTICLES:
        author = directory.users[item.author]
        at = now - timedelta(days=item.days_ago)
        due = timezone.localdate(now) + timedelta(days=item.review_in_days) if item.review_in_days is not None else None
        values = {**item.values, "category": categories[item.values["category"]], "review_due_on": due}
        article = actions.create_article(actor=author, values=values, now=at)
        if item.stage == ArticleStatus.DRAFT:
            continue
        actions.submit_for_review(article, actor=author, now=at + timedelta(hours=1))
        if item.stage == ArticleStatus.PUBLISHED:
            actions.approve_article(article, actor=approver, now=at + timedelta(hours=3))
