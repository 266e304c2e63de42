from __future__ import annotations

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


@override_settings(SOPDESK_ATTACHMENT_MAX_BYTES=1000)
def test_an_upload_declaring_more_than_the_limit_is_refused_before_it_is_read() -> None:
    response = Client().post(
        "/api/v1/tickets/TS-2026-000001/attachments",
        data=b"x" * 10,
        content_type="application/octet-stream",
        CONTENT_LENGTH=str(1000 + 2 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "file"


@override_settings(SOPDESK_ATTACHMENT_MAX_BYTES=1000)
def test_a_request_within_the_limit_passes_through() -> None:
    response = Client().get("/api/v1/me")
    assert response.status_code == 401
