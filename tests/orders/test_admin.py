"""The orders back office: read-only orders with their lines and history, checkouts, keys."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from designmall.orders.models import IdempotencyKey
from tests.factories import make_user
from tests.orders.conftest import buy, orders_of, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = make_user(role=None, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="orders",
            codename__in=["view_order", "view_checkout", "view_idempotencykey"],
        )
    )
    client.force_login(user)
    return user


@pytest.fixture
def paid(store, buyer):
    checkout = buy(buyer, (store.lamp, 1), (store.cup, 1), idempotency_key="admin-1")
    pay(checkout)
    return checkout


def test_an_order_shows_its_lines_and_history(client, staff, paid):
    order, _ = orders_of(paid)
    page = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert order.public_id in text
    assert "pending_payment" in text and "paid" in text
    assert order.lines.get().product_title in text


def test_orders_cannot_be_changed_or_deleted_in_the_back_office(client, staff, paid):
    order, _ = orders_of(paid)
    assert client.post(reverse("admin:orders_order_change", args=[order.pk]), {}).status_code == 403
    assert client.get(reverse("admin:orders_order_delete", args=[order.pk])).status_code == 403
    assert client.get(reverse("admin:orders_order_add")).status_code == 403


@pytest.mark.parametrize("model", ["order", "checkout", "idempotencykey"])
def test_the_lists_open_and_search(client, staff, paid, model):
    page = client.get(reverse(f"admin:orders_{model}_changelist"), {"q": paid.public_id})
    assert page.status_code == 200


def test_a_checkout_lists_its_orders(client, staff, paid):
    page = client.get(reverse("admin:orders_checkout_change", args=[paid.pk]))
    assert all(o.public_id in page.content.decode() for o in orders_of(paid))
    assert IdempotencyKey.objects.filter(checkout=paid).exists()
