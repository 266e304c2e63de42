"""The configuration stamp and the per-process caches checked against it."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from sopdesk.core import config_cache
from sopdesk.core.models import ConfigStamp
from sopdesk.tickets.models import PriorityRule

pytestmark = pytest.mark.django_db


class Counter:
    def __init__(self) -> None:
        self.loads = 0

    def __call__(self) -> int:
        self.loads += 1
        return self.loads


def test_a_cache_loads_once_while_the_stamp_stays_the_same() -> None:
    load = Counter()
    cache = config_cache.StampedCache(load)

    assert [cache.get(), cache.get(), cache.get()] == [1, 1, 1]
    assert load.loads == 1


def test_a_bump_makes_the_next_use_reload() -> None:
    cache = config_cache.StampedCache(Counter())
    cache.get()

    config_cache.bump()

    assert cache.get() == 2


def test_a_stamp_written_by_another_process_makes_the_next_use_reload() -> None:
    cache = config_cache.StampedCache(Counter())
    config_cache.bump()
    cache.get()

    # Another process changed the configuration: only the shared row tells this one.
    ConfigStamp.objects.filter(pk=config_cache.STAMP_KEY).update(token="written-elsewhere")

    assert cache.get() == 2


def test_a_rolled_back_change_leaves_no_cache_looking_current() -> None:
    cache = config_cache.StampedCache(Counter())
    before = config_cache.read_stamp()

    def change_then_fail() -> None:
        with transaction.atomic():
            config_cache.bump()
            assert cache.get() == 1  # filled under the uncommitted stamp
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        change_then_fail()

    assert config_cache.read_stamp() == before
    assert cache.get() == 2


def test_saving_or_deleting_a_watched_model_replaces_the_stamp() -> None:
    first = config_cache.read_stamp()
    rule = PriorityRule.objects.get(impact="single_user", urgency="low")
    rule.priority = "P3"
    rule.save()
    saved = config_cache.read_stamp()
    rule.delete()
    deleted = config_cache.read_stamp()

    assert len({first, saved, deleted}) == 3


def test_inside_a_consistent_block_the_stamp_is_read_once() -> None:
    caches = [config_cache.StampedCache(Counter()) for _ in range(3)]
    for cache in caches:
        cache.get()

    with CaptureQueriesContext(connection) as context, config_cache.consistent():
        for cache in caches:
            cache.get()
            cache.get()

    assert len(context.captured_queries) == 1


def test_a_bump_inside_a_consistent_block_reaches_the_rest_of_the_block() -> None:
    cache = config_cache.StampedCache(Counter())
    cache.get()
    with config_cache.consistent():
        config_cache.bump()
        assert cache.get() == 2
