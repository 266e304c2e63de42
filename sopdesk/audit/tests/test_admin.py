"""The audit log in the admin: read-only, readable by administrators and auditors, hidden from other staff."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction
from django.test import Client
from django.urls import reverse

from sopdesk.accounts.models import User
from sopdesk.audit.actions import record_config_change
from sopdesk.audit.choices import Operation
from sopdesk.audit.models import ConfigChange
from sopdesk.sla.models import Calendar

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CHANGELIST = reverse("admin:audit_configchange_changelist")


@pytest.fixture
def change(db: None) -> ConfigChange:
    with transaction.atomic():
        recorded = record_config_change(
            Calendar.objects.get(code="office"),
            operation=Operation.CHANGED,
            before={"name": "<b>Old</b>"},
            after={"name": "新名称"},
            actor=None,
            now=NOW,
        )
    assert recorded is not None
    return recorded


def staff_client(user: User, *, with_every_audit_permission: bool = False) -> Client:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    if with_every_audit_permission:
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="audit"))
    client = Client()
    client.force_login(user)
    return client


def test_an_administrator_sees_the_change_with_its_values_escaped(admin_client: Client, change: ConfigChange) -> None:
    listing = admin_client.get(CHANGELIST)
    page = admin_client.get(reverse("admin:audit_configchange_change", args=[change.pk]))

    assert listing.status_code == 200
    assert [row.pk for row in listing.context["cl"].queryset] == [change.pk]
    assert page.status_code == 200
    content = page.content.decode()
    assert "&lt;b&gt;Old&lt;/b&gt;" in content
    assert "<b>Old</b>" not in content
    assert "新名称" in content


def test_an_auditor_may_read_the_log(auditor: User, change: ConfigChange) -> None:
    client = staff_client(auditor)

    assert client.get(CHANGELIST).status_code == 200
    assert client.get(reverse("admin:audit_configchange_change", args=[change.pk])).status_code == 200


@pytest.mark.parametrize("persona", ["manager", "team_lead"])
def test_other_staff_cannot_read_it_even_with_the_model_permissions(
    request: pytest.FixtureRequest, persona: str, change: ConfigChange
) -> None:
    client = staff_client(request.getfixturevalue(persona), with_every_audit_permission=True)

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(reverse("admin:audit_configchange_change", args=[change.pk])).status_code == 403
    assert b"audit" not in client.get(reverse("admin:index")).content.lower()


def test_nobody_can_add_change_or_delete_entries(admin_client: Client, change: ConfigChange) -> None:
    assert admin_client.get(reverse("admin:audit_configchange_add")).status_code == 403
    response = admin_client.post(reverse("admin:audit_configchange_change", args=[change.pk]), {"object_repr": "x"})
    assert response.status_code == 403
    assert admin_client.get(reverse("admin:audit_configchange_delete", args=[change.pk])).status_code == 403
    assert ConfigChange.objects.get().object_repr == change.object_repr
