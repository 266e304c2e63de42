from __future__ import annotations

from collections.abc import Iterator

import pytest

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import User
from sopdesk.testing import factories
from sopdesk.testing.http_receiver import Receiver


@pytest.fixture
def admin_user(db: None) -> User:
    return factories.make_user("admin", role=Role.ADMIN)


def _receiver(platform: str, secret: str = "") -> Iterator[Receiver]:
    receiver = Receiver(platform, secret=secret).start()
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture
def wecom() -> Iterator[Receiver]:
    yield from _receiver("wecom")


@pytest.fixture
def dingtalk() -> Iterator[Receiver]:
    yield from _receiver("dingtalk", "SECdingtalk-secret")


@pytest.fixture
def feishu() -> Iterator[Receiver]:
    yield from _receiver("feishu", "feishu-secret")


@pytest.fixture
def webhook_receiver() -> Iterator[Receiver]:
    yield from _receiver("webhook", "webhook-secret")
