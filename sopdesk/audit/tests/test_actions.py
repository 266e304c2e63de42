"""Recording configuration changes: only what changed, inside the change's transaction, never rewritten."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from django.db import transaction

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import User
from sopdesk.audit.actions import as_json, changed_values, field_values, record_config_change
from sopdesk.audit.choices import Operation
from sopdesk.audit.models import ConfigChange
from sopdesk.core.models import HardDeleteRefused
from sopdesk.testing import factories
from sopdesk.tickets.models import PriorityRule

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def admin(db: None) -> User:
    return factories.make_user("admin", role=Role.ADMIN)


@pytest.fixture
def rule(db: None) -> PriorityRule:
    return PriorityRule.objects.get(impact="single_user", urgency="low")


def test_only_the_fields_that_differ_are_kept() -> None:
    before = {"name": "Office", "time_zone": "Asia/Shanghai", "hours": [1, 2]}
    after = {"name": "Office", "time_zone": "Asia/Tokyo", "hours": [1, 2], "is_24x7": False}

    assert changed_values(before, after) == (
        {"time_zone": "Asia/Shanghai"},
        {"time_zone": "Asia/Tokyo", "is_24x7": False},
    )


def test_values_are_stored_as_json_so_that_dates_and_times_compare_equal() -> None:
    assert as_json({"date": date(2026, 10, 1), "at": time(9, 30)}) == {"date": "2026-10-01", "at": "09:30:00"}
    assert changed_values({"date": date(2026, 10, 1)}, {"date": "2026-10-01"}) == ({}, {})


def test_a_change_is_recorded_with_actor_time_object_and_values(admin: User, rule: PriorityRule) -> None:
    with transaction.atomic():
        change = record_config_change(
            rule,
            operation=Operation.CHANGED,
            before={"priority": "P4", "impact": "single_user"},
            after={"priority": "P2", "impact": "single_user"},
            actor=admin,
            now=NOW,
        )

    assert change is not None
    stored = ConfigChange.objects.get(pk=change.pk)
    assert (stored.actor, stored.changed_at, stored.operation) == (admin, NOW, Operation.CHANGED)
    assert (stored.object_type, stored.object_id, stored.object_repr) == (
        "tickets.priorityrule",
        str(rule.pk),
        str(rule),
    )
    assert (stored.before, stored.after) == ({"priority": "P4"}, {"priority": "P2"})
    assert stored.object_type_label == "priority rule"


def test_a_change_that_changed_nothing_records_nothing(admin: User, rule: PriorityRule) -> None:
    values = field_values(rule, ["impact", "urgency", "priority"])
    with transaction.atomic():
        change = record_config_change(
            rule, operation=Operation.CHANGED, before=values, after=dict(values), actor=admin, now=NOW
        )

    assert change is None
    assert not ConfigChange.objects.exists()


def test_a_creation_keeps_every_value_and_a_deletion_too(admin: User, rule: PriorityRule) -> None:
    values = field_values(rule, ["impact", "urgency", "priority"])
    with transaction.atomic():
        created = record_config_change(rule, operation=Operation.CREATED, before={}, after=values, actor=admin, now=NOW)
        deleted = record_config_change(rule, operation=Operation.DELETED, before=values, after={}, actor=None, now=NOW)

    assert created is not None
    assert deleted is not None
    assert (created.before, created.after) == ({}, values)
    assert (deleted.before, deleted.after, deleted.actor) == (values, {}, None)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_recording_outside_a_transaction_is_refused(rule: PriorityRule) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record_config_change(rule, operation=Operation.CREATED, before={}, after={"a": 1}, actor=None, now=NOW)
    assert not ConfigChange.objects.exists()


def test_recorded_changes_are_never_changed_or_deleted(admin: User, rule: PriorityRule) -> None:
    with transaction.atomic():
        change = record_config_change(
            rule, operation=Operation.CREATED, before={}, after={"a": 1}, actor=admin, now=NOW
        )
    assert change is not None

    change.after = {"a": 2}
    with pytest.raises(HardDeleteRefused):
        change.save()
    with pytest.raises(HardDeleteRefused):
        ConfigChange.objects.update(after={})
    with pytest.raises(HardDeleteRefused):
        change.delete()
    with pytest.raises(HardDeleteRefused):
        ConfigChange.objects.all().delete()
    assert ConfigChange.objects.get().after == {"a": 1}


def test_an_object_type_that_no_longer_exists_shows_its_stored_label(admin: User) -> None:
    change = ConfigChange(object_type="routing.rule")

    assert change.object_type_label == "routing.rule"
