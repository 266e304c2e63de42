"""The workspace's knowledge-base pages through their real URLs, templates and the kb actions."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.core.errors import ActionError
from sopdesk.kb import actions
from sopdesk.kb.choices import ArticleStatus
from sopdesk.kb.models import Article, ArticleAttachment, ArticleCategory
from sopdesk.testing import factories

pytestmark = pytest.mark.django_db

LIST = "/desk/kb/"
NEW = "/desk/kb/new/"
PREVIEW = "/desk/kb/preview/"
HOSTILE = '<script>alert("t")</script><img src=x onerror="alert(1)">[x](javascript:alert(2))'
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def client_for(user: User, *, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def kb_admin(service_desk: Team) -> User:
    return factories.make_user("kb-admin", role=Role.KB_ADMIN, teams=[service_desk])


@pytest.fixture
def network(db: None) -> ArticleCategory:
    return actions.create_category(actor=None, values={"code": "network", "name": "网络 Network"}, now=timezone.now())


def article_of(author: User, **values: Any) -> Article:
    return actions.create_article(
        actor=author,
        values={"title": "VPN 断开", "solution": "Update the client.", "visibility": "public", **values},
        now=timezone.now(),
    )


def form_data(**values: Any) -> dict[str, Any]:
    return {
        "title": "打印机 prints blank pages",
        "article_type": "troubleshooting",
        "category": "",
        "problem": "Pages come out **blank**.",
        "diagnosis": "",
        "solution": "Replace the toner.",
        "notes": "",
        "applies_to": "HP M402",
        "visibility": "internal",
        "tags": "printer， 打印, toner",
        "review_due_on": "",
        **values,
    }


def buttons(html: str) -> set[str]:
    """The lifecycle steps the article page offers."""
    return set(re.findall(r'formaction="/desk/kb/\d+/steps/([a-z_]+)/"', html))


def test_requesters_are_sent_away_and_read_only_staff_cannot_write(requester: User, auditor: User, agent: User) -> None:
    article = article_of(agent)
    for url in (LIST, NEW, f"/desk/kb/{article.pk}/", f"/desk/kb/{article.pk}/edit/"):
        answer = client_for(requester).get(url)
        assert answer.status_code == 302, url
        assert "/desk/" not in answer["Location"]
    auditor_client = client_for(auditor)
    assert auditor_client.get(LIST).status_code == 200
    assert auditor_client.get(f"/desk/kb/{article.pk}/").status_code == 200
    assert auditor_client.get(NEW).status_code == 403
    assert auditor_client.post(NEW, form_data()).status_code == 403
    assert auditor_client.get(f"/desk/kb/{article.pk}/edit/").status_code == 403
    assert auditor_client.post(PREVIEW, {"solution": "x"}).status_code == 403
    assert buttons(auditor_client.get(f"/desk/kb/{article.pk}/").content.decode()) == set()
    assert auditor_client.post(f"/desk/kb/{article.pk}/steps/submit/").status_code == 403
    assert Article.objects.get(pk=article.pk).status == ArticleStatus.DRAFT


def test_an_agent_writes_a_draft_with_every_field(agent: User, network: ArticleCategory, org_a: Any) -> None:
    client = client_for(agent)
    assert client.get(NEW).status_code == 200
    due = (timezone.localdate() + timedelta(days=90)).isoformat()
    answer = client.post(
        NEW,
        form_data(category=network.pk, visibility="organizations", organizations=[org_a.pk], review_due_on=due),
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    article = Article.objects.get()
    assert answer["Location"] == f"/desk/kb/{article.pk}/"
    assert (article.owner, article.category, article.status) == (agent, network, ArticleStatus.DRAFT)
    assert article.tags == ["printer", "打印", "toner"]
    assert article.review_due_on is not None
    assert article.review_due_on.isoformat() == due
    assert list(article.organizations.all()) == [org_a]
    page = client.get(answer["Location"]).content.decode()
    assert "<strong>blank</strong>" in page
    assert buttons(page) == {"submit", "comment"}


def field_html(html: str, name: str) -> str:
    match = re.search(rf'data-kb-field="{name}".*?</div>\s*</div>', html, re.DOTALL)
    return match.group(0) if match else ""


def test_the_action_errors_come_back_next_to_their_fields(agent: User) -> None:
    client = client_for(agent)
    answer = client.post(NEW, form_data(title=""))
    assert answer.status_code == 422
    title = field_html(answer.content.decode(), "title")
    assert "This field cannot be blank." in title
    assert "is-invalid" in title
    answer = client.post(NEW, form_data(visibility="organizations", tags=",".join(f"t{n}" for n in range(25))))
    assert answer.status_code == 422
    html = answer.content.decode()
    assert "At most 20 tags." in field_html(html, "tags") or "Name the organisations" in field_html(
        html, "organizations"
    )
    answer = client.post(NEW, form_data(visibility="organizations"))
    assert "Name the organisations" in field_html(answer.content.decode(), "organizations")
    assert 'value="打印机 prints blank pages"' in answer.content.decode()  # what was typed stays
    assert not Article.objects.exists()


def test_hostile_article_text_is_never_markup(agent: User, kb_admin: User) -> None:
    article = article_of(agent, title=HOSTILE, problem=HOSTILE, solution=HOSTILE, tags=["<b>x</b>"])
    for user in (agent, kb_admin):
        for url in (LIST, f"/desk/kb/{article.pk}/", f"/desk/kb/{article.pk}/edit/"):
            html = client_for(user).get(url).content.decode()
            assert "<script>alert" not in html, url
            assert not re.search(r"<img[^>]*onerror", html), url
            assert 'href="javascript:' not in html, url
            assert "<b>x</b>" not in html
    preview = client_for(agent).post(PREVIEW, {"solution": HOSTILE, "notes": "![a](https://evil.example/x.png)"})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "<script>" not in html
    assert "evil.example" not in html
    assert 'href="javascript:' not in html


def test_the_preview_renders_markdown_and_local_images(agent: User) -> None:
    answer = client_for(agent).post(
        PREVIEW, {"problem": "# Title\n\n- one\n- two", "solution": "![shot](/kb/files/1/shot.png)", "notes": ""}
    )
    html = answer.content.decode()
    assert "<h2>Title</h2>" in html
    assert "<li>one</li>" in html
    assert '<img src="/kb/files/1/shot.png" alt="shot">' in html
    assert 'data-kb-section="notes"' not in html


def test_the_lifecycle_buttons_follow_the_actions(agent: User, kb_admin: User, engineer: User) -> None:
    article = article_of(agent)
    url = f"/desk/kb/{article.pk}/"
    author, admin = client_for(agent), client_for(kb_admin)
    assert author.post(f"{url}steps/submit/", {"comment": "please"}).status_code == 302
    assert buttons(author.get(url).content.decode()) == {"comment", "restore"} - {"restore"}
    assert buttons(admin.get(url).content.decode()) == {"comment", "approve", "request_changes", "archive"}
    # Only knowledge-base admins approve; an agent's attempt is refused and changes nothing.
    assert author.post(f"{url}steps/approve/").status_code == 403
    assert Article.objects.get(pk=article.pk).status == ArticleStatus.IN_REVIEW
    answer = admin.post(f"{url}steps/request_changes/", {"comment": ""}, follow=True)
    assert "Say what should change." in answer.content.decode()
    admin.post(f"{url}steps/request_changes/", {"comment": "Name the client version"})
    assert Article.objects.get(pk=article.pk).status == ArticleStatus.DRAFT
    author.post(f"{url}steps/submit/")
    answer = admin.post(f"{url}steps/approve/", {"comment": "ok"}, follow=True)
    assert "Approved" in answer.content.decode()
    published = Article.objects.get(pk=article.pk)
    assert published.status == ArticleStatus.PUBLISHED
    assert published.live_version is not None
    assert buttons(author.get(url).content.decode()) == {"comment", "mark_outdated"}
    assert buttons(client_for(engineer).get(url).content.decode()) == {"comment"}
    assert client_for(engineer).post(f"{url}steps/mark_outdated/").status_code == 403
    assert author.post(f"{url}steps/unknown/").status_code == 404


def test_offered_steps_are_exactly_what_the_actions_accept(agent: User, kb_admin: User, engineer: User) -> None:
    """For each status and user, a step is offered if and only if its action goes through."""
    steps = {
        "submit": lambda a, u: actions.submit_for_review(a, actor=u, now=timezone.now()),
        "comment": lambda a, u: actions.comment_on_article(a, actor=u, comment="c", now=timezone.now()),
        "request_changes": lambda a, u: actions.request_changes(a, actor=u, comment="c", now=timezone.now()),
        "approve": lambda a, u: actions.approve_article(a, actor=u, now=timezone.now()),
        "mark_outdated": lambda a, u: actions.mark_outdated(a, actor=u, now=timezone.now()),
        "archive": lambda a, u: actions.archive_article(a, actor=u, now=timezone.now()),
        "edit": lambda a, u: actions.update_article(a, actor=u, changes={"notes": "n"}, now=timezone.now()),
        "restore": lambda a, u: actions.restore_version(a, number=1, actor=u, now=timezone.now()),
        "attach": lambda a, u: actions.add_article_attachment(
            a, actor=u, upload=SimpleUploadedFile("a.png", PNG), now=timezone.now()
        ),
    }

    def in_status(status: ArticleStatus) -> Article:
        article = article_of(agent)
        actions.submit_for_review(article, actor=agent, now=timezone.now())
        actions.approve_article(article, actor=kb_admin, now=timezone.now())  # version 1 exists
        if status == ArticleStatus.DRAFT:
            actions.update_article(article, actor=agent, changes={"notes": "x"}, now=timezone.now())
        elif status == ArticleStatus.IN_REVIEW:
            actions.update_article(article, actor=agent, changes={"notes": "x"}, now=timezone.now())
            actions.submit_for_review(article, actor=agent, now=timezone.now())
        elif status == ArticleStatus.OUTDATED:
            actions.mark_outdated(article, actor=kb_admin, now=timezone.now())
        elif status == ArticleStatus.ARCHIVED:
            actions.archive_article(article, actor=kb_admin, now=timezone.now())
        return article

    for status in ArticleStatus:
        for user in (agent, engineer, kb_admin):
            offered = actions.offered_steps(in_status(status), actor=user)
            for name, step in steps.items():
                article = in_status(status)
                try:
                    step(article, user)
                except ActionError:
                    accepted = False
                else:
                    accepted = True
                assert (name in offered) == accepted, (status, user.username, name)


def test_edit_and_restore_a_published_article(agent: User, kb_admin: User) -> None:
    article = article_of(agent, solution="Old answer.\nSecond line.")
    actions.submit_for_review(article, actor=agent, now=timezone.now())
    actions.approve_article(article, actor=kb_admin, now=timezone.now())
    author = client_for(agent)
    edit = f"/desk/kb/{article.pk}/edit/"
    assert 'value="VPN 断开"' in author.get(edit).content.decode()
    answer = author.post(edit, form_data(title="VPN 断开", solution="New answer.\nSecond line.", visibility="public"))
    assert answer.status_code == 302, answer.content.decode()[:3000]
    article.refresh_from_db()
    assert (article.status, article.live_version.number) == (ArticleStatus.DRAFT, 1)  # type: ignore[union-attr]
    page = author.get(f"/desk/kb/{article.pk}/").content.decode()
    assert "data-kb-live" in page  # readers still see version 1
    versions = author.get(f"/desk/kb/{article.pk}/versions/").content.decode()
    assert '<del class="kb-diff-line kb-diff-delete">Old answer.</del>' in versions
    assert '<ins class="kb-diff-line kb-diff-insert">New answer.</ins>' in versions
    assert '<span class="kb-diff-line kb-diff-equal">Second line.</span>' in versions
    answer = author.post(f"/desk/kb/{article.pk}/versions/1/restore/")
    assert answer.status_code == 302
    article.refresh_from_db()
    assert article.solution == "Old answer.\nSecond line."
    assert author.post(f"/desk/kb/{article.pk}/versions/9/restore/").status_code == 404
    assert "No differences." in author.get(f"/desk/kb/{article.pk}/versions/?from=1").content.decode()


def test_image_upload_from_the_editor(agent: User, auditor: User, requester: User) -> None:
    article = article_of(agent)
    url = f"/desk/kb/{article.pk}/files/"
    answer = client_for(agent).post(url, {"file": SimpleUploadedFile("截图 1.png", PNG)})
    assert answer.status_code == 201
    body = answer.json()
    attachment = ArticleAttachment.objects.get()
    assert body["markdown"] == f"![截图 1.png](/kb/files/{attachment.pk}/%E6%88%AA%E5%9B%BE%201.png)"
    assert client_for(agent).get(body["url"]).status_code == 200
    refused = client_for(agent).post(url, {"file": SimpleUploadedFile("evil.png", b"<svg onload=alert(1)>")})
    assert refused.status_code == 422
    assert "content does not match" in refused.json()["error"]
    assert client_for(auditor).post(url, {"file": SimpleUploadedFile("a.png", PNG)}).status_code == 403
    assert client_for(requester).post(url, {"file": SimpleUploadedFile("a.png", PNG)}).status_code == 302
    assert ArticleAttachment.objects.count() == 1


def test_the_list_filters_counts_and_queues(agent: User, kb_admin: User, network: ArticleCategory) -> None:
    today = timezone.localdate()
    mine = article_of(agent, title="Mine", category=network)
    theirs = article_of(kb_admin, title="Theirs")
    due = article_of(agent, title="Due", review_due_on=today - timedelta(days=1))
    for article in (due, theirs):
        actions.submit_for_review(article, actor=article.owner, now=timezone.now())
    actions.approve_article(due, actor=kb_admin, now=timezone.now())
    client = client_for(agent)

    def titles(url: str) -> list[str]:
        return re.findall(r'<td class="kb-title"><a href="[^"]+">([^<]+)</a>', client.get(url).content.decode())

    assert sorted(titles(LIST)) == ["Due", "Mine", "Theirs"]
    assert titles(f"{LIST}?mine=on") == ["Due", "Mine"] or sorted(titles(f"{LIST}?mine=on")) == ["Due", "Mine"]
    assert titles(f"{LIST}?category=network") == ["Mine"]
    assert titles(f"{LIST}?status=in_review") == ["Theirs"]
    assert titles(f"{LIST}?review_due=on") == ["Due"]
    assert titles(f"{LIST}queues/review/") == ["Theirs"]
    assert titles(f"{LIST}queues/stale/") == ["Due"]
    html = client.get(LIST).content.decode()
    assert re.search(r'data-status-count="draft">[^<]*<span class="badge ms-1 kb-count">1<', html)
    assert re.search(r'data-kb-queue-count="stale">1<', html)
    assert client.get(f"{LIST}?status=bogus").status_code == 400
    assert client.get(f"{LIST}queues/bogus/").status_code == 404
    assert mine.pk


def test_the_list_costs_the_same_for_many_articles(agent: User, network: ArticleCategory) -> None:
    client = client_for(agent)
    article_of(agent, category=network)
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for index in range(5):
        article_of(agent, title=f"A{index}", category=network)
    with CaptureQueriesContext(connection) as many:
        client.get(LIST)
    assert len(many) == len(few)


def test_the_chinese_pages(agent: User) -> None:
    article = article_of(agent)
    client = client_for(agent, language="zh-hans")
    # The request activates Chinese in this thread; override puts the previous language back afterwards.
    with translation.override(None):
        html = client.get(LIST).content.decode()
        page = client.get(f"/desk/kb/{article.pk}/").content.decode()
    assert "知识库" in html
    assert "新建文章" in html
    assert "草稿" in page


def test_a_change_saved_by_someone_else_meanwhile_is_not_overwritten(agent: User, kb_admin: User) -> None:
    article = article_of(agent)
    edit = f"/desk/kb/{article.pk}/edit/"
    loaded = re.search(r'name="loaded_at" value="([^"]+)"', client_for(agent).get(edit).content.decode())
    assert loaded is not None
    actions.update_article(article, actor=kb_admin, changes={"notes": "The admin's note"}, now=timezone.now())
    answer = client_for(agent).post(edit, form_data(title="VPN 断开", solution="Mine", loaded_at=loaded.group(1)))
    assert answer.status_code == 412
    html = answer.content.decode()
    assert "Someone changed this article since you opened it" in html
    assert "Mine</textarea>" in html  # what was typed stays on the page
    article.refresh_from_db()
    assert (article.notes, article.solution) == ("The admin's note", "Update the client.")
    fresh = re.search(r'name="loaded_at" value="([^"]+)"', client_for(agent).get(edit).content.decode())
    assert fresh is not None
    answer = client_for(agent).post(edit, form_data(title="VPN 断开", solution="Mine", loaded_at=fresh.group(1)))
    assert answer.status_code == 302
