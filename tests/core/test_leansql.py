"""core.leansql: statements built once from the models write and read exactly what the ORM
would, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from designmall.accounts.models import ApiToken, User
from designmall.catalog.models import Designer, Sku
from designmall.core import clock, leansql
from designmall.core.models import AuditEvent
from designmall.orders.models import IdempotencyKey
from tests.factories import make_product, make_shop, make_user

pytestmark = pytest.mark.django_db


def _token(user: User) -> ApiToken:
    return ApiToken(user=user, name="t", key_hash="h" * 64, prefix="dm_", created_at=clock.now())


def _key(user: User, fingerprint: str) -> IdempotencyKey:
    return IdempotencyKey(
        user=user, key="k", fingerprint=fingerprint, error_code="x", created_at=clock.now()
    )


def test_an_insert_sets_the_key_and_the_orm_reads_back_what_was_written():
    user = make_user()
    at = clock.now()
    event = AuditEvent(
        at=at, actor=user, action="x.done", target_type="a.b", target_id="7", data={"n": [1, "二"]}
    )

    leansql.insert([event])

    assert event.pk is not None and not event._state.adding
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.at, stored.actor_id, stored.action, stored.data) == (
        at,
        user.pk,
        "x.done",
        {"n": [1, "二"]},
    )
    assert (stored.from_state, stored.reason) == ("", "")  # the fields' defaults


def test_several_rows_are_one_statement_and_get_their_keys_in_order():
    rows = [
        AuditEvent(at=clock.now(), action=f"a{n}", target_type="t", target_id=str(n))
        for n in range(3)
    ]

    with CaptureQueriesContext(connection) as statements:
        leansql.insert(rows)

    assert len(statements) == 1
    assert [AuditEvent.objects.get(pk=row.pk).action for row in rows] == ["a0", "a1", "a2"]


def test_a_related_row_saved_after_it_was_assigned_gives_its_key():
    user = User(email="later@example.com")
    token = _token(user)
    user.save()

    leansql.insert([token])

    assert ApiToken.objects.get(pk=token.pk).user_id == user.pk


def test_an_unsaved_related_row_is_refused():
    with pytest.raises(ValueError):
        leansql.insert([_token(User(email="never@example.com"))])


def test_a_unique_row_that_exists_fails_an_insert():
    user = make_user()
    leansql.insert([_key(user, "f")])

    with pytest.raises(IntegrityError), transaction.atomic():
        leansql.insert([_key(user, "g")])


def test_insert_unless_exists_writes_only_a_new_row_and_says_which():
    user = make_user()
    new, again = _key(user, "f"), _key(user, "g")

    assert leansql.insert_unless_exists(new) is True
    assert leansql.insert_unless_exists(again) is False
    assert again.pk is None
    assert list(IdempotencyKey.objects.values_list("fingerprint", flat=True)) == ["f"]


def test_columns_make_the_instance_the_orm_makes():
    sku = make_product(shop=make_shop(), skus=[(4_900, 3)]).skus.get()
    Sku.objects.filter(pk=sku.pk).update(attributes={"颜色": "胡桃木"}, is_active=False)
    columns = leansql.columns(Sku, "s")

    sql = f"SELECT 1, {columns.sql} FROM catalog_sku s WHERE s.id = %s"
    (row,) = leansql.fetch_all(sql, [sku.pk])
    made = columns.instance(row, 1)

    expected = Sku.objects.get(pk=sku.pk)
    for field in Sku._meta.concrete_fields:
        assert getattr(made, field.attname) == getattr(expected, field.attname), field.name
    assert made.is_active is False
    assert made.label == "胡桃木"
    assert not made._state.adding


def test_columns_convert_dates_as_the_orm_does():
    user = make_user()
    used = clock.now() - timedelta(minutes=3)
    token = ApiToken.objects.create(
        user=user, name="t", key_hash="k" * 64, prefix="dm_", created_at=used, last_used_at=used
    )
    columns = leansql.columns(ApiToken, "t")

    (row,) = leansql.fetch_all(f"SELECT {columns.sql} FROM accounts_apitoken t", [])

    made = columns.instance(row)
    assert (made.pk, made.last_used_at, made.revoked_at) == (token.pk, used, None)


def test_instances_split_a_joined_row_and_give_none_for_a_join_that_found_nothing():
    product = make_product(designer=None)
    sql = (
        f"SELECT {leansql.columns(Sku, 's').sql}, {leansql.columns(Designer, 'd').sql}, 7"
        " FROM catalog_sku s JOIN catalog_product p ON p.id = s.product_id"
        " LEFT JOIN catalog_designer d ON d.id = p.designer_id WHERE s.product_id = %s"
        " ORDER BY s.id LIMIT 1"
    )
    (row,) = leansql.fetch_all(sql, [product.id])

    sku, designer = leansql.instances(
        row, leansql.columns(Sku, "s"), leansql.columns(Designer, "d")
    )

    assert sku == product.skus.order_by("id").first()
    assert designer is None


def test_groups_inserted_together_get_their_keys_in_order_in_one_statement_on_postgresql():
    user = make_user()
    events = [
        AuditEvent(at=clock.now(), action=f"a{n}", target_type="t", target_id=str(n))
        for n in range(3)
    ]
    tokens = [_token(user)]

    with CaptureQueriesContext(connection) as statements:
        leansql.insert_together(events, [], tokens)

    assert len(statements) == (1 if connection.vendor == "postgresql" else 2)
    assert [AuditEvent.objects.get(pk=e.pk).action for e in events] == ["a0", "a1", "a2"]
    assert ApiToken.objects.get(pk=tokens[0].pk).user == user


def test_a_row_of_one_group_failing_a_constraint_fails_them_all():
    user = make_user()
    leansql.insert([_key(user, "a")])
    event = AuditEvent(at=clock.now(), action="a", target_type="t", target_id="1")

    with pytest.raises(IntegrityError), transaction.atomic():
        leansql.insert_together([event], [_key(user, "b")])

    if connection.vendor == "postgresql":
        assert not AuditEvent.objects.filter(action="a").exists()
