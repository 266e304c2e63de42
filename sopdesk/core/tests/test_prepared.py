"""Prepared reads: the same rows and instances as the queryset they were built from, SQL built once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sopdesk.accounts.actions import issue_token
from sopdesk.accounts.models import ApiToken, Department, User
from sopdesk.core.prepared import PreparedRead
from sopdesk.testing.factories import make_organization, make_user

pytestmark = pytest.mark.django_db


def _requester_read() -> PreparedRead[User]:
    return PreparedRead(
        User,
        lambda username: User.objects.select_related("organization__customer_level", "department").filter(
            username=username, is_active=True
        )[:1],
        "str",
    )


def test_instances_and_their_related_rows_are_those_of_the_queryset() -> None:
    organization = make_organization("Acme", level="vip")
    alice = make_user("alice", organization=organization)
    alice.department = Department.objects.create(organization=organization, name="Finance")
    alice.save()
    make_user("bob")
    read = _requester_read()

    for username in ["alice", "bob", "nobody", "alice"]:
        expected = User.objects.filter(username=username, is_active=True).first()
        found = read.first(username)
        assert found == expected
        if found is not None:
            assert found.email == expected.email
            assert found.date_joined == expected.date_joined
    assert read.preparations == 1

    found = read.first("alice")
    with CaptureQueriesContext(connection) as queries:
        assert found.organization.name == "Acme"
        assert found.organization.customer_level.code == "vip"
        assert found.department.name == "Finance"
    assert len(queries) == 0  # loaded with the user
    found.department = None  # an ordinary instance: it saves as one
    found.save(update_fields=["department"])
    assert User.objects.get(username="alice").department is None


def test_a_filter_in_the_query_still_applies() -> None:
    carol = make_user("carol")
    read = _requester_read()
    assert read.first("carol") == carol
    carol.is_active = False
    carol.save()
    assert read.first("carol") is None


def test_values_and_converters_are_those_of_the_queryset() -> None:
    user = make_user("dave")
    now = timezone.now()
    issued = issue_token(user=user, now=now, ttl=timedelta(days=3))
    read = PreparedRead(
        ApiToken, lambda user_id: ApiToken.objects.filter(user_id=user_id).values_list("pk", "expires_at"), "int"
    )

    assert read.rows(user.pk) == [(issued.token.pk, issued.token.expires_at)]
    assert read.rows(user.pk)[0][1].tzinfo is not None  # converted as the ORM converts it
    assert read.rows(user.pk + 1000) == []
    with pytest.raises(TypeError, match="use instances"):
        _requester_read().rows("dave")
    with pytest.raises(TypeError, match="use rows"):
        read.instances(user.pk)
    with pytest.raises(TypeError, match="takes 1 value"):
        read.rows()


def test_a_value_the_orm_transforms_cannot_be_prepared() -> None:
    read = PreparedRead(User, lambda part: User.objects.filter(username__icontains=part), "str")
    with pytest.raises(ValueError, match="not a plain parameter"):
        read.first("a")
    with pytest.raises(ValueError, match="'str' or 'int'"):
        PreparedRead(User, lambda when: User.objects.filter(date_joined=when), "datetime")


@pytest.mark.django_db(transaction=True)
def test_another_thread_runs_the_prepared_sql_on_its_own_connection() -> None:
    make_user("erin")
    read = _requester_read()
    assert read.first("erin") is not None
    seen: list[object] = []

    def other_thread() -> None:
        try:
            with CaptureQueriesContext(connection) as queries:
                seen.append(read.first("erin"))
            seen.append(len(queries))
        finally:
            connection.close()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()

    assert seen[0] == User.objects.get(username="erin")
    assert seen[1] == 1  # counted on the other thread's connection
    assert read.preparations == 1
