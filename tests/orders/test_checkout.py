"""Checkout: one order per shop under one checkout, prices from the catalog, stock held,
one payment for the total; bad input refused with clear codes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from designmall.catalog.models import ProductStatus, ShopStatus, Sku
from designmall.core import clock
from designmall.core.errors import Conflict, ValidationFailed
from designmall.core.models import AuditEvent
from designmall.inventory.models import HoldStatus, StockHold
from designmall.orders import rules
from designmall.orders.cart import cart_add
from designmall.orders.checkout import checkout_create
from designmall.orders.models import Checkout, Order, OrderStatus
from designmall.payments.models import Payment, PaymentStatus
from tests.factories import make_product
from tests.orders.conftest import ADDRESS, available, buy, orders_of

pytestmark = pytest.mark.django_db


def test_a_checkout_has_one_order_per_shop_with_its_shipping_and_one_payment(store, buyer):
    checkout = buy(buyer, (store.lamp, 2), (store.cup, 1), (store.plate, 3))

    shop_a, shop_b = orders_of(checkout)
    assert (shop_a.shop, shop_a.items_fen, shop_a.shipping_fen) == (store.shop_a, 25_800, 1_500)
    assert (shop_b.shop, shop_b.items_fen, shop_b.shipping_fen) == (store.shop_b, 32_300, 0)
    assert checkout.total_fen == 25_800 + 1_500 + 32_300
    assert checkout.payment.amount_fen == checkout.total_fen
    assert checkout.payment.status == PaymentStatus.PENDING
    assert (checkout.payment.payable_type, checkout.payment.payable_id) == (
        "checkout",
        checkout.public_id,
    )
    assert [o.status for o in (shop_a, shop_b)] == [OrderStatus.PENDING_PAYMENT] * 2
    assert [(line.sku_id, line.quantity, line.line_total_fen) for line in shop_a.lines.all()] == [
        (store.lamp.id, 2, 25_800)
    ]


def test_each_shop_order_keeps_its_shops_commission_rate(store, buyer):
    shop_a, shop_b = orders_of(buy(buyer, (store.lamp, 1), (store.cup, 1)))
    assert (shop_a.commission_bp, shop_b.commission_bp) == (800, 500)


def test_orders_record_their_creation_in_the_history(store, buyer):
    (order,) = orders_of(buy(buyer, (store.lamp, 1)))
    assert [(e.from_status, e.to_status, e.by) for e in order.events.all()] == [
        ("", OrderStatus.PENDING_PAYMENT, buyer)
    ]


def test_checkout_holds_the_stock_until_the_hold_time(store, buyer):
    clock.set_frozen(clock.now())
    checkout = buy(buyer, (store.lamp, 2), (store.cup, 1))

    assert available(store.lamp) == 3
    assert available(store.cup) == 9
    holds = StockHold.objects.filter(owner_ref=f"checkout:{checkout.public_id}")
    assert sorted((h.sku_id, h.quantity, h.status) for h in holds) == sorted(
        [(store.lamp.id, 2, HoldStatus.HELD), (store.cup.id, 1, HoldStatus.HELD)]
    )
    assert checkout.expires_at == clock.now() + timedelta(minutes=15)


def test_pickup_is_free_and_each_order_gets_its_own_pickup_code(store, buyer):
    checkout = buy(buyer, (store.lamp, 1), (store.cup, 1), delivery="pickup")

    orders = orders_of(checkout)
    assert [o.shipping_fen for o in orders] == [0, 0]
    assert checkout.total_fen == 12_900 + 5_900
    codes = [o.pickup_code for o in orders]
    assert all(rules.normalize_pickup_code(code) == code for code in codes)
    assert codes[0] != codes[1]
    assert [o.address for o in orders] == [{}, {}]


def test_address_orders_have_no_pickup_code_and_keep_the_address(store, buyer):
    (order,) = orders_of(buy(buyer, (store.lamp, 1)))
    assert order.pickup_code == ""
    assert order.address == ADDRESS


def test_a_price_sent_by_the_client_does_not_exist_the_catalog_decides(store, buyer):
    Sku.objects.filter(pk=store.lamp.pk).update(price_fen=9_900)

    checkout = buy(buyer, (store.lamp, 1), delivery="pickup")

    assert checkout.total_fen == 9_900


def test_a_changed_price_is_refused_with_the_new_prices_before_paying(store, buyer):
    shown = 12_900 + 1_500
    Sku.objects.filter(pk=store.lamp.pk).update(price_fen=13_900)

    with pytest.raises(Conflict) as refused:
        buy(buyer, (store.lamp, 1), expected_total_fen=shown)

    assert refused.value.code == "price_changed"
    assert refused.value.details["total_fen"] == 13_900 + 1_500
    assert refused.value.details["lines"] == [
        {
            "sku": store.lamp.public_id,
            "quantity": 1,
            "unit_price_fen": 13_900,
            "line_total_fen": 13_900,
        }
    ]
    assert not Checkout.objects.exists()
    assert available(store.lamp) == 5


def test_the_expected_total_when_unchanged_goes_through(store, buyer):
    checkout = buy(buyer, (store.lamp, 1), expected_total_fen=12_900 + 1_500)
    assert checkout.total_fen == 14_400


def test_a_cart_price_change_is_seen_at_checkout(store, buyer):
    cart_add(user=buyer, sku_public_id=store.lamp.public_id, quantity=1)
    shown_in_cart = 12_900 + 1_500
    Sku.objects.filter(pk=store.lamp.pk).update(price_fen=11_900)

    with pytest.raises(Conflict) as refused:
        checkout_create(
            buyer=buyer, delivery="address", address=ADDRESS, expected_total_fen=shown_in_cart
        )

    assert refused.value.details["total_fen"] == 11_900 + 1_500


def test_checking_out_the_cart_buys_its_lines_and_clears_them(store, buyer):
    cart_add(user=buyer, sku_public_id=store.lamp.public_id, quantity=2)
    cart_add(user=buyer, sku_public_id=store.cup.public_id, quantity=1)

    checkout = checkout_create(buyer=buyer, delivery="pickup")

    assert checkout.total_fen == 2 * 12_900 + 5_900
    assert not buyer.cart.lines.exists()


def test_checking_out_given_lines_leaves_the_cart_alone(store, buyer):
    cart_add(user=buyer, sku_public_id=store.lamp.public_id, quantity=2)
    buy(buyer, (store.cup, 1))
    assert buyer.cart.lines.count() == 1


def test_an_empty_cart_cannot_be_checked_out(store, buyer):
    with pytest.raises(ValidationFailed) as refused:
        checkout_create(buyer=buyer, delivery="pickup")
    assert refused.value.code == "cart_empty"


@pytest.mark.parametrize("quantity", [0, -1, 2.5, "3", True, None])
def test_a_quantity_must_be_a_positive_whole_number(store, buyer, quantity):
    with pytest.raises(ValidationFailed) as refused:
        buy(buyer, (store.lamp, quantity))
    assert refused.value.code == "invalid_quantity"


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        ([("lamp", 21)], "quantity_over_limit"),
        ([("lamp", 10**12)], "quantity_over_limit"),
        ([("lamp", 15), ("lamp", 6)], "quantity_over_limit"),  # repeated lines add up
    ],
)
def test_a_huge_quantity_is_refused(store, buyer, lines, code):
    skus = {"lamp": store.lamp}
    with pytest.raises(ValidationFailed) as refused:
        buy(buyer, *[(skus[name], quantity) for name, quantity in lines])
    assert refused.value.code == code


def test_more_than_the_order_quantity_limit_is_refused(store, buyer, settings):
    settings.ORDER_MAX_QTY = 25
    with pytest.raises(ValidationFailed) as refused:
        buy(buyer, (store.cup, 10), (store.plate, 10), (store.lamp, 5), (store.vase, 1))
    assert refused.value.code == "order_quantity_over_limit"


def test_more_lines_than_the_limit_are_refused(store, buyer, settings):
    settings.ORDER_MAX_LINES = 3
    with pytest.raises(ValidationFailed) as refused:
        buy(buyer, (store.lamp, 1), (store.vase, 1), (store.cup, 1), (store.plate, 1))
    assert refused.value.code == "too_many_lines"


def test_an_unknown_sku_is_refused(store, buyer):
    with pytest.raises(Conflict) as refused:
        checkout_create(buyer=buyer, lines=[("k_0000000000000000", 1)], delivery="pickup")
    assert refused.value.code == "sku_not_found"
    assert refused.value.details == {
        "lines": [{"sku": "k_0000000000000000", "problem": "sku_not_found"}]
    }


def test_a_delisted_product_is_refused(store, buyer):
    store.product_a.status = ProductStatus.DELISTED
    store.product_a.save()
    with pytest.raises(Conflict) as refused:
        buy(buyer, (store.lamp, 1), (store.cup, 1))
    assert refused.value.code == "product_unavailable"
    assert refused.value.details["lines"] == [
        {"sku": store.lamp.public_id, "problem": "product_unavailable"}
    ]


def test_an_inactive_sku_is_refused(store, buyer):
    Sku.objects.filter(pk=store.vase.pk).update(is_active=False)
    with pytest.raises(Conflict) as refused:
        buy(buyer, (store.vase, 1))
    assert refused.value.code == "sku_inactive"


def test_a_cart_from_a_shop_that_was_suspended_is_refused(store, buyer):
    cart_add(user=buyer, sku_public_id=store.cup.public_id, quantity=1)
    store.shop_b.status = ShopStatus.SUSPENDED
    store.shop_b.save()

    with pytest.raises(Conflict) as refused:
        checkout_create(buyer=buyer, delivery="pickup")

    assert refused.value.code == "shop_unavailable"
    assert buyer.cart.lines.count() == 1  # kept, so the buyer sees why


def test_more_than_is_in_stock_is_refused_and_nothing_is_held(store, buyer):
    with pytest.raises(Conflict) as refused:
        buy(buyer, (store.lamp, 1), (store.vase, 4))

    assert refused.value.code == "out_of_stock"
    assert refused.value.details["sku"] == store.vase.public_id
    assert (available(store.lamp), available(store.vase)) == (5, 3)
    assert not Order.objects.exists()
    assert not StockHold.objects.exists()


@pytest.mark.parametrize("delivery", ["", "drone", None])
def test_delivery_must_be_address_or_pickup(store, buyer, delivery):
    with pytest.raises(ValidationFailed) as refused:
        buy(buyer, (store.lamp, 1), delivery=delivery)
    assert refused.value.code == "invalid_delivery"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"mobile": "call me"}, "mobile"),
        ({"detail": "x" * 201}, "detail"),
        ({"city": 42}, "city"),
    ],
)
def test_an_address_delivery_needs_a_complete_address(store, buyer, change, field):
    with pytest.raises(ValidationFailed) as refused:
        buy(buyer, (store.lamp, 1), address={**ADDRESS, **change})
    assert (refused.value.code, refused.value.details) == ("invalid_address", {"field": field})


def test_an_address_delivery_without_an_address_is_refused(store, buyer):
    with pytest.raises(ValidationFailed) as refused:
        buy(buyer, (store.lamp, 1), address=None)
    assert refused.value.code == "invalid_address"


def test_the_checkout_is_a_few_queries_however_many_lines(store, buyer):
    lamp, cup = store.lamp, store.cup
    more = [make_product(shop=store.shop_b, skus=[(1_000, 5)]).skus.get() for _ in range(6)]

    with CaptureQueriesContext(connection) as two_lines:
        buy(buyer, (lamp, 1), (cup, 1))
    with CaptureQueriesContext(connection) as eight_lines:
        buy(buyer, (lamp, 1), (cup, 1), *[(sku, 1) for sku in more])

    # Only the stock grows with the lines: one conditional UPDATE per SKU (after one read
    # of every line's stock); on PostgreSQL not even that, one call takes every SKU.
    grows = 0 if connection.vendor == "postgresql" else 6
    assert len(eight_lines) - len(two_lines) == grows
    assert len(two_lines) <= 16


def test_a_checkout_the_stock_cannot_cover_is_refused_before_anything_is_written(store, buyer):
    with CaptureQueriesContext(connection) as refused, pytest.raises(Conflict) as error:
        buy(buyer, (store.lamp, 6))

    assert error.value.code == "out_of_stock"
    assert error.value.details == {"sku": store.lamp.public_id, "requested": 6, "available": 5}
    assert not [q for q in refused.captured_queries if q["sql"].startswith(("INSERT", "UPDATE"))]
    assert Payment.objects.count() == 0


def test_a_pickup_code_taken_by_an_open_order_is_drawn_again(store, buyer, monkeypatch):
    draws = iter(["AAAA0000", "AAAA0000", "BBBB1111"])
    monkeypatch.setattr(rules, "new_pickup_code", lambda: next(draws))

    (first,) = orders_of(buy(buyer, (store.lamp, 1), delivery="pickup"))
    (second,) = orders_of(buy(buyer, (store.cup, 1), delivery="pickup"))

    assert (first.pickup_code, second.pickup_code) == ("AAAA0000", "BBBB1111")


def test_a_pickup_code_collision_writes_the_checkout_again_and_leaves_nothing_behind(
    store, buyer, monkeypatch
):
    draws = iter(["AAAA0000", "AAAA0000", "AAAA0000", "BBBB1111"])
    monkeypatch.setattr(rules, "new_pickup_code", lambda: next(draws))
    buy(buyer, (store.lamp, 1), delivery="pickup")

    second = buy(buyer, (store.cup, 1), delivery="pickup")

    assert [order.pickup_code for order in orders_of(second)] == ["BBBB1111"]
    assert Checkout.objects.count() == Payment.objects.count() == StockHold.objects.count() == 2
    assert AuditEvent.objects.filter(action="payment.created").count() == 2
    assert available(store.cup) == 9


def test_a_pickup_code_colliding_every_time_fails_the_checkout(store, buyer, monkeypatch):
    monkeypatch.setattr(rules, "new_pickup_code", lambda: "CCCC2222")
    buy(buyer, (store.lamp, 1), delivery="pickup")

    with pytest.raises(IntegrityError):
        buy(buyer, (store.cup, 1), delivery="pickup")

    assert (Checkout.objects.count(), available(store.cup)) == (1, 10)


def test_a_checkout_writes_each_table_once_with_no_savepoint(store, buyer):
    lamp, cup = store.lamp, store.cup  # read before counting

    with CaptureQueriesContext(connection) as statements:
        buy(buyer, (lamp, 1), (cup, 1), delivery="pickup", idempotency_key="k-1")

    sql = [q["sql"] for q in statements.captured_queries]
    # The test's own transaction makes the checkout's a savepoint: the only one.
    assert sum(s.startswith("SAVEPOINT") for s in sql) == 1
    writes = [s.split()[2].strip('"') for s in sql if s.startswith("INSERT")]
    on_postgres = connection.vendor == "postgresql"
    written_first = ["payments_payment", "orders_checkout", "orders_idempotencykey", "orders_order"]
    # The lines, the history and both audit rows (the payment's, the checkout's) refer only
    # to rows already written: on PostgreSQL one statement, elsewhere one per table.
    together = ["orders_orderline", "orders_orderevent", "core_auditevent"]
    if on_postgres:
        assert writes == written_first
        (last_writes,) = [s for s in sql if s.startswith("WITH")]
        assert [part.split()[2].strip('"') for part in last_writes.split("AS (")[1:]] == together
    else:
        assert writes == [*written_first, *together, "inventory_stockhold"]
    if on_postgres:
        # The stock, last: one call takes both SKUs and writes their holds.
        assert "inventory_holds_take" in [s for s in sql if "SAVEPOINT" not in s][-1]
        assert not any(s.startswith("UPDATE inventory_stocklevel") for s in sql)
    else:
        assert sum(s.startswith("UPDATE inventory_stocklevel") for s in sql) == 2  # one per SKU
    # The priced read, with the stock; the buyer's unpaid holds (orders.buyerlimits), after
    # locking the buyer on PostgreSQL; there, the stock's call too.
    reads = 4 if on_postgres else 2
    assert sum(s.startswith("SELECT") for s in sql) == reads


def test_a_pickup_code_is_free_again_once_its_order_is_closed(store, buyer, monkeypatch):
    monkeypatch.setattr(rules, "new_pickup_code", lambda: "CCCC2222")
    (first,) = orders_of(buy(buyer, (store.lamp, 1), delivery="pickup"))
    Order.objects.filter(pk=first.pk).update(status=OrderStatus.COMPLETED)

    (second,) = orders_of(buy(buyer, (store.cup, 1), delivery="pickup"))

    assert second.pickup_code == first.pickup_code == "CCCC2222"
