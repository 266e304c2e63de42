"""Article attachments: the upload action, the download permission matrix, hostile names, the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import ApiClientFactory
from sopdesk.accounts.models import Organization, User
from sopdesk.core.errors import ActionError, NotFound, PermissionRefused, TransitionRefused
from sopdesk.kb import actions
from sopdesk.kb.files import attachment_url, get_attachment_for_user, markdown_line
from sopdesk.kb.models import Article, ArticleAttachment
from sopdesk.kb.rendering import render_article_text
from sopdesk.kb.tests.conftest import NOW, publish

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def _attach(article: Article, actor: User, name: str = "网关 screen.png", content: bytes = PNG) -> ArticleAttachment:
    return actions.add_article_attachment(article, actor=actor, upload=SimpleUploadedFile(name, content), now=NOW)


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_an_image_is_stored_under_a_generated_name_and_shown_by_the_renderer(draft: Article, agent: User) -> None:
    image = _attach(draft, agent, name="../../etc/网关 (v2) [old].png")
    assert image.original_name == "网关 (v2) [old].png"
    assert "etc" not in image.file.name
    assert image.file.name.startswith("kb/")
    assert image.content_type == "image/png"
    line = markdown_line(image)
    assert line.startswith("![网关 (v2) (old).png](/kb/files/")
    html = render_article_text(f"Look:\n\n{line}")
    assert f'<img src="{attachment_url(image).replace("(", "%28").replace(")", "%29")}"' in html


def test_a_file_that_lies_about_its_type_is_refused(draft: Article, agent: User) -> None:
    with pytest.raises(ActionError) as refused:
        _attach(draft, agent, name="photo.png", content=b"<script>alert(1)</script>")
    assert refused.value.field == "file"
    with pytest.raises(ActionError):
        _attach(draft, agent, name="page.html", content=b"<html></html>")
    assert not ArticleAttachment.objects.exists()


def test_only_writers_attach_and_never_to_an_archived_article(
    draft: Article, agent: User, requester: User, auditor: User, kb_admin: User
) -> None:
    for reader in (requester, auditor):
        with pytest.raises(PermissionRefused):
            _attach(draft, reader)
    actions.archive_article(draft, actor=kb_admin, now=NOW)
    with pytest.raises(TransitionRefused):
        _attach(draft, agent)


def test_the_download_follows_the_article_visibility(
    draft: Article, agent: User, kb_admin: User, requester: User, outsider: User, org_a: Organization
) -> None:
    image = _attach(draft, agent)
    url = attachment_url(image)
    # A draft: staff only.
    assert _client(agent).get(url).status_code == 200
    for reader in (requester, None):
        assert _client(reader).get(url).status_code == 404
    # Published and public, the text showing it: everyone, anonymous readers too.
    actions.update_article(draft, actor=agent, changes={"solution": f"See:\n\n{markdown_line(image)}"}, now=NOW)
    publish(draft, author=agent, approver=kb_admin)
    for reader in (agent, requester, outsider, None):
        assert _client(reader).get(url).status_code == 200
    # Limited to org A's customers: org B's requester and anonymous readers get 404.
    actions.update_article(draft, actor=agent, changes={"visibility": "organizations"}, organizations=[org_a], now=NOW)
    publish(draft, author=agent, approver=kb_admin)
    assert _client(requester).get(url).status_code == 200
    for reader in (outsider, None):
        assert _client(reader).get(url).status_code == 404
    assert get_attachment_for_user(requester, image.pk) == image
    # Withdrawn: staff only again.
    actions.mark_outdated(draft, actor=kb_admin, now=NOW)
    assert _client(requester).get(url).status_code == 404
    assert _client(agent).get(url).status_code == 200
    assert _client(agent).get(f"/kb/files/{image.pk + 1000}/x.png").status_code == 404
    with pytest.raises(NotFound):
        get_attachment_for_user(AnonymousUser(), image.pk)


def test_readers_get_only_the_files_the_published_version_shows(
    draft: Article, agent: User, kb_admin: User, requester: User
) -> None:
    shown = _attach(draft, agent)
    actions.update_article(draft, actor=agent, changes={"solution": markdown_line(shown)}, now=NOW)
    publish(draft, author=agent, approver=kb_admin)
    # The next draft adds a file; the live version does not show it yet.
    pending = _attach(draft, agent, name="next.png")
    for reader in (requester, None):
        assert _client(reader).get(attachment_url(shown)).status_code == 200
        assert _client(reader).get(attachment_url(pending)).status_code == 404
    assert _client(agent).get(attachment_url(pending)).status_code == 200
    actions.update_article(
        draft, actor=agent, changes={"solution": f"{markdown_line(shown)}\n\n{markdown_line(pending)}"}, now=NOW
    )
    publish(draft, author=agent, approver=kb_admin)
    assert _client(requester).get(attachment_url(pending)).status_code == 200


def test_an_image_is_shown_inline_and_any_other_file_is_a_download(draft: Article, agent: User) -> None:
    image = _attach(draft, agent)
    answer = _client(agent).get(attachment_url(image))
    assert answer["Content-Type"] == "image/png"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["Content-Disposition"].startswith("inline")
    assert b"".join(answer.streaming_content) == PNG  # type: ignore[attr-defined]
    text = _attach(draft, agent, name="<img src=x onerror=alert(1)>.txt", content=b"plain words\n")
    answer = _client(agent).get(attachment_url(text))
    assert answer["Content-Disposition"].startswith("attachment")
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in answer["Content-Security-Policy"]
    assert "<img" not in str(render_article_text(markdown_line(text)))


def _upload(client: Client, article_id: int, name: str, content: bytes, **extra: Any) -> Any:
    return client.post(
        f"/api/v1/kb/articles/{article_id}/attachments", {"file": SimpleUploadedFile(name, content), **extra}
    )


def test_the_attachment_api(api_client: ApiClientFactory, draft: Article, agent: User, requester: User) -> None:
    author = api_client(agent)
    answer = _upload(author, draft.pk, "vpn.png", PNG)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["name"], body["is_image"], body["content_type"]) == ("vpn.png", True, "image/png")
    assert body["markdown"] == f"![vpn.png]({body['url']})"
    assert _upload(author, draft.pk, "x.png", b"GIF89a").status_code == 422
    assert _upload(author, draft.pk, "y.png", PNG, extra="1").status_code == 422
    listed = author.get(f"/api/v1/kb/articles/{draft.pk}/attachments").json()
    assert [row["name"] for row in listed] == ["vpn.png"]
    reader = api_client(requester)
    assert reader.get(f"/api/v1/kb/articles/{draft.pk}/attachments").status_code == 404
    assert _upload(reader, draft.pk, "z.png", PNG).status_code == 404
