"""Logging in keeps what the visitor put in the cart before."""

# ruff: noqa: F811

import pytest
from django.urls import reverse

from designmall.orders.models import CartLine
from tests.factories import PASSWORD
from tests.orders.conftest import (  # noqa: F401  (fixtures)
    _orders_settings,
    _payments_settings,
    buyer,
    keys,
    sandbox_key_dir,
    store,
)

pytestmark = pytest.mark.django_db


def test_logging_in_moves_the_session_cart_into_the_users_cart(client, store, buyer):
    client.post(reverse("storefront:cart_add"), {"sku": store.lamp.public_id, "quantity": "2"})
    response = client.post(
        reverse("storefront:login"), {"identifier": buyer.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    lines = dict(
        CartLine.objects.filter(cart__user=buyer).values_list("sku__public_id", "quantity")
    )
    assert lines == {store.lamp.public_id: 2}
    assert "cart" not in client.session
