"""Per-process caches of configuration that rarely changes, checked against one shared stamp.

Creating a ticket reads the priority matrix, the intake team, the category tree, the SLA policies
and their escalation rules; they change a few times a year. Each process keeps them in memory and,
before using them, reads one row (`ConfigStamp`) whose random token every configuration change
replaces in its own transaction. The token is replaced by a signal receiver on every model a cache
depends on (`watch`), so the admin, the configuration actions, the demo loader and plain ORM saves
all invalidate; the configuration audit log is watched too, which covers the actions' bulk updates.
A rolled-back change restores the old token, and a new change never reuses one, so a cache filled
from uncommitted or rolled-back rows is never mistaken for the current one.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from django.db import models
from django.db.models.signals import post_delete, post_save

from sopdesk.core.models import ConfigStamp
from sopdesk.core.prepared import PreparedRead

T = TypeVar("T")
STAMP_KEY = 1
_local = threading.local()
_STAMP = PreparedRead(ConfigStamp, lambda: ConfigStamp.objects.filter(pk=STAMP_KEY).values_list("token"))


def read_stamp() -> str:
    """Return the current configuration token (one query; empty before the first change)."""
    rows = _STAMP.rows()
    return rows[0][0] if rows else ""


def current_stamp() -> str:
    """Return the token, read once per `consistent()` block (every call outside one reads it)."""
    stamp: str | None = getattr(_local, "stamp", None)
    return stamp if stamp is not None else read_stamp()


@contextmanager
def consistent() -> Iterator[None]:
    """Within this block, every cached configuration comes from the same stamp, read once."""
    if getattr(_local, "stamp", None) is not None:
        yield  # nested: the outer block's stamp holds
        return
    _local.stamp = read_stamp()
    try:
        yield
    finally:
        _local.stamp = None


def bump() -> None:
    """Give the configuration a new token (call inside the transaction of the change)."""
    token = secrets.token_hex(16)
    if not ConfigStamp.objects.filter(pk=STAMP_KEY).update(token=token):
        ConfigStamp.objects.update_or_create(pk=STAMP_KEY, defaults={"token": token})
    _local.stamp = None if getattr(_local, "stamp", None) is None else token


class StampedCache(Generic[T]):
    """One value built by `load`, rebuilt when the configuration stamp differs from the one it was built under."""

    def __init__(self, load: Callable[[], T]) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._entry: tuple[str, T] | None = None

    def get(self) -> T:
        stamp = current_stamp()
        with self._lock:
            entry = self._entry
        if entry is not None and entry[0] == stamp:
            return entry[1]
        # Loaded after the stamp was read: a change committed in between only makes the next use reload.
        value = self._load()
        with self._lock:
            self._entry = (stamp, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entry = None


def _changed(sender: type[models.Model], **kwargs: Any) -> None:
    bump()


def watch(*model_classes: type[models.Model]) -> None:
    """Replace the token whenever a row of one of `model_classes` is saved or deleted (from AppConfig.ready)."""
    for model in model_classes:
        uid = f"config-cache:{model._meta.label_lower}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}:save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}:delete")
