"""Orders under test: two approved shops with products, buyers, and the sandbox payment
path (the payments tests' keys and settings) to pay checkouts for real."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from designmall.accounts.roles import Role
from designmall.catalog.models import Product, Shop, Sku
from designmall.inventory.models import StockLevel
from designmall.orders.checkout import checkout_create
from designmall.orders.models import Checkout, Order
from designmall.payments.gateways import sandbox
from designmall.payments.services import notification_receive
from tests.factories import make_product, make_shop, make_user
from tests.payments.conftest import (  # noqa: F401  (fixtures: the sandbox's keys and settings)
    _payments_settings,
    keys,
    sandbox_key_dir,
    worker_transport,
)

ADDRESS = {
    "name": "林小满",
    "mobile": "13800138000",
    "province": "上海市",
    "city": "上海市",
    "district": "徐汇区",
    "detail": "龙腾大道 2555 号 3 号楼",
}


@pytest.fixture(autouse=True)
def _orders_settings(settings):
    settings.ORDER_MAX_QTY_PER_SKU = 20
    settings.ORDER_MAX_LINES = 50
    settings.ORDER_MAX_QTY = 200
    settings.ORDER_SHIPPING_FEE_FEN = 1_500
    settings.ORDER_FREE_SHIPPING_FROM_FEN = 29_900
    settings.ORDER_AUTO_CONFIRM_DAYS = 10
    settings.IDEMPOTENCY_KEY_HOURS = 24
    settings.STOCK_HOLD_MINUTES = 15


@dataclass
class Store:
    """Two shops (8% and 5% commission), each with one product of two SKUs."""

    shop_a: Shop
    shop_b: Shop
    product_a: Product
    product_b: Product

    @property
    def lamp(self) -> Sku:  # shop A, ¥129.00, 5 in stock
        return self.product_a.skus.order_by("id")[0]

    @property
    def vase(self) -> Sku:  # shop A, ¥350.00, 3 in stock
        return self.product_a.skus.order_by("id")[1]

    @property
    def cup(self) -> Sku:  # shop B, ¥59.00, 10 in stock
        return self.product_b.skus.order_by("id")[0]

    @property
    def plate(self) -> Sku:  # shop B, ¥88.00, 10 in stock
        return self.product_b.skus.order_by("id")[1]


@pytest.fixture
def store(db) -> Store:
    shop_a = make_shop(commission_bp=800)
    shop_b = make_shop(commission_bp=500)
    return Store(
        shop_a=shop_a,
        shop_b=shop_b,
        product_a=make_product(shop=shop_a, skus=[(12_900, 5), (35_000, 3)]),
        product_b=make_product(shop=shop_b, skus=[(5_900, 10), (8_800, 10)]),
    )


@pytest.fixture
def buyer(db):
    return make_user()


@pytest.fixture
def other_buyer(db):
    return make_user()


@pytest.fixture
def operator(db):
    return make_user(role=Role.OPERATOR)


@pytest.fixture
def venue_staff(db):
    return make_user(role=Role.VENUE_STAFF)


def available(sku: Sku) -> int:
    return StockLevel.objects.get(sku=sku).available


def buy(buyer, *lines: tuple[Sku, int], delivery: str = "address", **kwargs) -> Checkout:
    """Check out ``lines`` of SKUs (not the cart) for ``buyer``."""
    if delivery == "address":
        kwargs.setdefault("address", ADDRESS)
    return checkout_create(
        buyer=buyer,
        lines=[(sku.public_id, quantity) for sku, quantity in lines],
        delivery=delivery,
        **kwargs,
    )


def pay(checkout: Checkout) -> str:
    """The buyer pays the checkout at the sandbox cashier and its signed notification
    is delivered; returns the notify outcome."""
    checkout.refresh_from_db()
    paid = sandbox.sandbox_pay(payment=checkout.payment)
    return notification_receive(params=paid.notification).outcome


def orders_of(checkout: Checkout) -> list[Order]:
    return list(checkout.orders.select_related("shop").order_by("shop_id"))


def refreshed(order: Order) -> Order:
    return Order.objects.select_related("shop", "checkout").get(pk=order.pk)
