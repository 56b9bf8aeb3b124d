"""The seller center's settlement page: balance, what open orders hold in escrow, movements."""

# The orders tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

import pytest
from django.urls import reverse

from designmall.orders.services import order_confirm_receipt, order_ship
from tests.orders.conftest import (  # noqa: F401  (fixtures: two shops, buyers, the sandbox)
    _orders_settings,
    _payments_settings,
    buy,
    buyer,
    keys,
    orders_of,
    pay,
    sandbox_key_dir,
    store,
)

pytestmark = pytest.mark.django_db
SETTLEMENT = reverse("storefront:seller_settlement")


def test_a_paid_order_shows_as_held_in_escrow(client, store, buyer):
    pay(buy(buyer, (store.lamp, 1)))
    client.force_login(store.shop_a.owner)

    page = client.get(SETTLEMENT).text

    assert 'data-in-escrow="14400"' in page  # ¥129 + ¥15 shipping
    assert 'data-balance="0"' in page


def test_a_completed_order_is_in_the_balance_less_commission(client, store, buyer):
    checkout = buy(buyer, (store.lamp, 1))
    pay(checkout)
    (order,) = orders_of(checkout)
    order_ship(order=order, by=store.shop_a.owner, carrier="SF", tracking_number="SF1234567890")
    order_confirm_receipt(order=order, by=buyer)
    client.force_login(store.shop_a.owner)

    page = client.get(SETTLEMENT).text

    assert f'data-balance="{14_400 - 14_400 * 800 // 10_000}"' in page
    assert "订单完成，货款入账" in page
    assert 'data-in-escrow="0"' in page


def test_a_buyer_without_a_shop_gets_404(client, buyer):
    client.force_login(buyer)
    assert client.get(SETTLEMENT).status_code == 404


def test_the_settlement_page_needs_a_login(client):
    assert client.get(SETTLEMENT).status_code == 302


def test_the_commission_is_shown_as_a_percentage(client, store):
    store.shop_a.commission_bp = 850
    store.shop_a.save(update_fields=["commission_bp"])
    client.force_login(store.shop_a.owner)
    page = client.get(SETTLEMENT).text
    assert '<dd data-commission="850"><strong>8.5%</strong>' in page


@pytest.mark.parametrize(
    ("bp", "shown"), [(800, "8%"), (850, "8.5%"), (1234, "12.34%"), (5, "0.05%"), (0, "0%")]
)
def test_basis_points_read_as_percentages(bp, shown):
    from designmall.storefront.templatetags.storefront_tags import bp_percent

    assert bp_percent(bp) == shown
