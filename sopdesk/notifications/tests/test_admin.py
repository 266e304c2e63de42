"""The admin shows the inbox and the outbox read-only and sends failed messages again on request."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import User
from sopdesk.notifications.choices import DeliveryStatus
from sopdesk.notifications.delivery import MAX_ATTEMPTS
from sopdesk.notifications.models import Notification, OutboxMessage
from sopdesk.notifications.outbox import enqueue
from sopdesk.notifications.tests.conftest import NOW, make_message, outgoing
from sopdesk.testing import factories

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:notifications_outboxmessage_changelist")


def url(model: type[models.Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", [Notification, OutboxMessage])
def test_notifications_and_outbox_messages_are_read_only_and_never_deleted(
    model: type[models.Model], admin_user: User, rf: RequestFactory
) -> None:
    request = rf.get("/")
    request.user = admin_user
    model_admin = admin.site._registry[model]
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_the_changelists_and_details_render(admin_client: Client, requester: User) -> None:
    enqueue([outgoing(requester, "k", subject="<script>alert(1)</script>")], now=NOW)
    for model in (Notification, OutboxMessage):
        row = model._default_manager.get()
        changelist = admin_client.get(url(model, "changelist"), {"status": "pending"} if model is OutboxMessage else {})
        detail = admin_client.get(url(model, "change", row.pk))
        assert changelist.status_code == detail.status_code == 200
        assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in changelist.content
        assert b"<script>alert(1)</script>" not in changelist.content


def test_retry_now_queues_the_selected_failed_messages_and_sends_them(
    admin_client: Client,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    failed = make_message("failed@example.com", status=DeliveryStatus.FAILED, attempts=MAX_ATTEMPTS)
    sent = make_message("sent@example.com", status=DeliveryStatus.SENT, attempts=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST, {"action": "retry_now", "_selected_action": [failed.pk, sent.pk]}, follow=True
        )

    assert response.status_code == 200
    assert "1 failed message queued again." in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.SENT
    assert [m.to for m in mailoutbox] == [["failed@example.com"]]


def test_staff_who_may_only_view_the_outbox_cannot_retry(mailoutbox: list[Any]) -> None:
    viewer = factories.make_user("viewer", role=Role.ADMIN)
    viewer.is_staff = True
    viewer.save()
    viewer.user_permissions.add(Permission.objects.get(codename="view_outboxmessage"))
    failed = make_message("failed@example.com", status=DeliveryStatus.FAILED, attempts=MAX_ATTEMPTS)
    client = Client()
    client.force_login(viewer)

    page = client.get(CHANGELIST)
    client.post(CHANGELIST, {"action": "retry_now", "_selected_action": [failed.pk]})

    assert page.status_code == 200
    assert b"retry_now" not in page.content
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.FAILED
    assert mailoutbox == []
