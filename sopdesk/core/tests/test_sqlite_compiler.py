"""Single-row inserts with their statement text kept per shape: the same rows as Django's own path."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models.functions import Now
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sopdesk.accounts.models import ApiToken, CustomerLevel
from sopdesk.core.sqlite import compiler
from sopdesk.testing.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the statement cache is in the SQLite backend")


def _token_shapes() -> list[tuple[object, ...]]:
    return [shape for shape in compiler._statements if shape[1] == "accounts.ApiToken"]


def test_rows_inserted_with_a_kept_statement_are_the_rows_django_writes() -> None:
    user = make_user("alice")
    compiler._statements.clear()
    before = timezone.now()
    expires = before + timedelta(days=1)

    tokens = [
        ApiToken.objects.create(user=user, name=f"t{i}", prefix=f"p{i}", key_hash=f"h{i}", expires_at=expires)
        for i in range(3)
    ]

    assert len(_token_shapes()) == 1  # one shape, kept after the first insert
    for i, token in enumerate(tokens):
        stored = ApiToken.objects.get(pk=token.pk)  # the primary key came back from RETURNING
        assert (stored.name, stored.prefix, stored.key_hash, stored.expires_at) == (f"t{i}", f"p{i}", f"h{i}", expires)
        assert stored.created_at >= before  # auto_now_add still stamped by the field
        assert stored.created_at == token.created_at
    assert len({token.pk for token in tokens}) == 3


def test_an_expression_value_takes_djangos_path_and_is_not_kept() -> None:
    user = make_user("bob")
    compiler._statements.clear()

    first = ApiToken.objects.create(user=user, prefix="p1", key_hash="h1", expires_at=Now())
    assert _token_shapes() == []
    plain = ApiToken.objects.create(user=user, prefix="p2", key_hash="h2", expires_at=timezone.now())
    assert len(_token_shapes()) == 1
    with CaptureQueriesContext(connection) as queries:
        later = ApiToken.objects.create(user=user, prefix="p3", key_hash="h3", expires_at=Now())

    insert = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT"))
    assert "CURRENT_TIMESTAMP" in insert or "django_datetime" in insert or "STRFTIME" in insert.upper()
    for token in (first, plain, later):
        assert ApiToken.objects.get(pk=token.pk).expires_at is not None


def test_bulk_inserts_and_conflicts_keep_their_meaning() -> None:
    compiler._statements.clear()
    CustomerLevel.objects.bulk_create([CustomerLevel(code="gold", name="Gold")], ignore_conflicts=True)
    CustomerLevel.objects.bulk_create([CustomerLevel(code="gold", name="Gold again")], ignore_conflicts=True)
    CustomerLevel.objects.bulk_create([CustomerLevel(code="silver", name="Silver")], ignore_conflicts=True)
    CustomerLevel.objects.bulk_create(
        [CustomerLevel(code="bronze", name="Bronze"), CustomerLevel(code="tin", name="Tin")]
    )

    names = dict(CustomerLevel.objects.filter(code__in=["gold", "silver", "bronze", "tin"]).values_list("code", "name"))
    assert names == {"gold": "Gold", "silver": "Silver", "bronze": "Bronze", "tin": "Tin"}
    kept = [shape for shape in compiler._statements if shape[1] == "accounts.CustomerLevel"]
    assert len(kept) == 1  # the single-row insert that ignores conflicts; two rows at once are Django's
