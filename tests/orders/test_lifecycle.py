"""From payment to completion: paid through the sandbox, shipped or handed over at the
venue, received, completed, and the seller's share released from escrow."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.core.errors import InvalidTransition, NotFound, ValidationFailed
from designmall.inventory.models import HoldStatus, StockHold, StockLevel
from designmall.inventory.selectors import stock_verify
from designmall.ledger.services import (
    escrow_balance,
    ledger_verify,
    platform_revenue,
    seller_balance,
)
from designmall.orders.models import CheckoutStatus, OrderStatus
from designmall.orders.services import (
    order_confirm_receipt,
    order_pickup_confirm,
    order_ready_for_pickup,
    order_ship,
)
from designmall.orders.tasks import orders_auto_confirm
from designmall.payments.gateways import sandbox
from designmall.payments.models import NotifyOutcome
from designmall.payments.services import notification_receive
from tests.orders.conftest import buy, orders_of, pay, refreshed

pytestmark = pytest.mark.django_db


def ship(order, carrier="SF", tracking_number="SF1234567890"):
    return order_ship(
        order=order, by=order.shop.owner, carrier=carrier, tracking_number=tracking_number
    )


@pytest.fixture
def paid_two_shops(store, buyer):
    """Lamp ×2 from shop A (¥258 + ¥15 shipping) and cup ×1 from shop B (¥59 + ¥15), paid."""
    checkout = buy(buyer, (store.lamp, 2), (store.cup, 1))
    assert pay(checkout) == NotifyOutcome.CREDITED
    return checkout


def test_paying_marks_every_order_paid_and_sells_the_held_stock(paid_two_shops, store):
    paid_two_shops.refresh_from_db()
    assert paid_two_shops.status == CheckoutStatus.PAID
    orders = orders_of(paid_two_shops)
    assert [o.status for o in orders] == [OrderStatus.PAID] * 2
    assert all(o.paid_at is not None for o in orders)
    lamp = StockLevel.objects.get(sku=store.lamp)
    assert (lamp.available, lamp.held, lamp.sold) == (3, 0, 2)
    assert set(
        StockHold.objects.filter(owner_ref=paid_two_shops.owner_ref).values_list(
            "status", flat=True
        )
    ) == {HoldStatus.SOLD}
    assert escrow_balance() == paid_two_shops.total_fen
    assert stock_verify() == []


def test_the_payment_step_is_in_each_orders_history(paid_two_shops):
    for order in orders_of(paid_two_shops):
        assert [(e.from_status, e.to_status) for e in order.events.all()] == [
            ("", OrderStatus.PENDING_PAYMENT),
            (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID),
        ]


def test_a_notification_delivered_again_changes_nothing(store, buyer):
    checkout = buy(buyer, (store.lamp, 1))
    notification = sandbox.sandbox_pay(payment=checkout.payment).notification

    outcomes = [notification_receive(params=notification).outcome for _ in range(3)]

    assert outcomes == [NotifyOutcome.CREDITED, NotifyOutcome.DUPLICATE, NotifyOutcome.DUPLICATE]
    (order,) = orders_of(checkout)
    assert order.events.count() == 2
    assert escrow_balance() == checkout.total_fen


def test_full_flow_ships_receives_completes_and_pays_the_sellers(paid_two_shops, store, buyer):
    order_a, order_b = orders_of(paid_two_shops)

    ship(order_a)
    ship(order_b, carrier="zto", tracking_number="7300 1234 5678")
    order_confirm_receipt(order=refreshed(order_a), by=buyer)
    order_confirm_receipt(order=refreshed(order_b), by=buyer)

    order_a, order_b = refreshed(order_a), refreshed(order_b)
    assert (order_a.status, order_b.status) == (OrderStatus.COMPLETED, OrderStatus.COMPLETED)
    assert (order_b.carrier, order_b.tracking_number) == ("ZTO", "730012345678")
    # 8% of ¥273.00 is ¥21.84; 5% of ¥74.00 is ¥3.70.
    assert seller_balance(store.shop_a.public_id) == 27_300 - 2_184
    assert seller_balance(store.shop_b.public_id) == 7_400 - 370
    assert platform_revenue() == 2_184 + 370
    assert escrow_balance() == 0
    assert ledger_verify() == []
    assert [(e.from_status, e.to_status, e.by) for e in order_a.events.all()][2:] == [
        (OrderStatus.PAID, OrderStatus.SHIPPED, store.shop_a.owner),
        (OrderStatus.SHIPPED, OrderStatus.RECEIVED, buyer),
        (OrderStatus.RECEIVED, OrderStatus.COMPLETED, buyer),
    ]


def test_one_shops_completion_releases_only_its_own_order(paid_two_shops, store, buyer):
    order_a, _order_b = orders_of(paid_two_shops)
    ship(order_a)
    order_confirm_receipt(order=refreshed(order_a), by=buyer)

    assert seller_balance(store.shop_a.public_id) == 27_300 - 2_184
    assert seller_balance(store.shop_b.public_id) == 0
    assert escrow_balance() == 7_400


def test_receipt_can_only_be_confirmed_once_shipped(paid_two_shops, buyer):
    order, _ = orders_of(paid_two_shops)
    with pytest.raises(InvalidTransition):
        order_confirm_receipt(order=order, by=buyer)


def test_an_order_is_shipped_once(paid_two_shops):
    order, _ = orders_of(paid_two_shops)
    ship(order)
    with pytest.raises(InvalidTransition):
        ship(refreshed(order))


@pytest.mark.parametrize(
    ("carrier", "tracking_number", "code"),
    [
        ("", "SF1234567890", "invalid_carrier"),
        ("PIGEON", "SF1234567890", "invalid_carrier"),
        ("SF", "", "invalid_tracking_number"),
        ("SF", "123", "invalid_tracking_number"),
        ("SF", "SF12345678<script>", "invalid_tracking_number"),
    ],
)
def test_shipping_needs_a_known_carrier_and_a_tracking_number(
    paid_two_shops, carrier, tracking_number, code
):
    order, _ = orders_of(paid_two_shops)
    with pytest.raises(ValidationFailed) as refused:
        ship(order, carrier=carrier, tracking_number=tracking_number)
    assert refused.value.code == code
    assert refreshed(order).status == OrderStatus.PAID


def test_an_unpaid_order_cannot_be_shipped(store, buyer):
    (order,) = orders_of(buy(buyer, (store.lamp, 1)))
    with pytest.raises(InvalidTransition):
        ship(order)


def test_a_pickup_order_is_not_shipped(store, buyer):
    checkout = buy(buyer, (store.lamp, 1), delivery="pickup")
    pay(checkout)
    (order,) = orders_of(checkout)
    with pytest.raises(InvalidTransition):
        ship(order)


# --- venue pickup ------------------------------------------------------------------------


@pytest.fixture
def pickup_order(store, buyer):
    checkout = buy(buyer, (store.lamp, 1), delivery="pickup")
    pay(checkout)
    (order,) = orders_of(checkout)
    return order_ready_for_pickup(order=order, by=store.shop_a.owner)


def test_pickup_with_the_right_code_completes_the_order(pickup_order, store):
    typed = pickup_order.pickup_code.lower()[:4] + "-" + pickup_order.pickup_code[4:]

    order = order_pickup_confirm(order=pickup_order, code=typed, by=store.shop_a.owner)

    assert order.status == OrderStatus.COMPLETED
    assert [e.to_status for e in order.events.all()][-3:] == [
        OrderStatus.READY_FOR_PICKUP,
        OrderStatus.PICKED_UP,
        OrderStatus.COMPLETED,
    ]
    assert seller_balance(store.shop_a.public_id) == 12_900 - 1_032
    assert ledger_verify() == []


def test_a_wrong_pickup_code_is_refused(pickup_order, store):
    wrong = "00000000" if pickup_order.pickup_code != "00000000" else "11111111"
    with pytest.raises(ValidationFailed) as refused:
        order_pickup_confirm(order=pickup_order, code=wrong, by=store.shop_a.owner)
    assert refused.value.code == "wrong_pickup_code"
    assert refreshed(pickup_order).status == OrderStatus.READY_FOR_PICKUP
    assert escrow_balance() == 12_900


def test_venue_staff_confirm_any_shops_pickup(pickup_order, venue_staff):
    order = order_pickup_confirm(order=pickup_order, code=pickup_order.pickup_code, by=venue_staff)
    assert order.status == OrderStatus.COMPLETED


def test_a_pickup_is_confirmed_only_when_ready(store, buyer):
    checkout = buy(buyer, (store.lamp, 1), delivery="pickup")
    pay(checkout)
    (order,) = orders_of(checkout)
    with pytest.raises(InvalidTransition):
        order_pickup_confirm(order=order, code=order.pickup_code, by=store.shop_a.owner)


def test_an_address_order_is_not_readied_for_pickup(paid_two_shops, store):
    order, _ = orders_of(paid_two_shops)
    with pytest.raises(InvalidTransition):
        order_ready_for_pickup(order=order, by=store.shop_a.owner)


# --- automatic confirmation ----------------------------------------------------------------


def test_receipt_is_confirmed_automatically_ten_days_after_shipping(paid_two_shops, store):
    clock.set_frozen(clock.now())
    order_a, order_b = orders_of(paid_two_shops)
    ship(order_a)
    clock.advance(timedelta(days=2))
    ship(order_b)

    clock.advance(timedelta(days=8))
    assert orders_auto_confirm() == 1
    assert orders_auto_confirm() == 0

    order_a, order_b = refreshed(order_a), refreshed(order_b)
    assert (order_a.status, order_b.status) == (OrderStatus.COMPLETED, OrderStatus.SHIPPED)
    received = order_a.events.get(to_status=OrderStatus.RECEIVED)
    assert received.by is None and "自动确认收货" in received.reason
    assert seller_balance(store.shop_a.public_id) == 27_300 - 2_184


def test_nothing_is_confirmed_before_the_time(paid_two_shops):
    clock.set_frozen(clock.now())
    order, _ = orders_of(paid_two_shops)
    ship(order)
    clock.advance(timedelta(days=10) - timedelta(seconds=1))
    assert orders_auto_confirm() == 0


# --- access ----------------------------------------------------------------------------------


def test_a_seller_cannot_fulfil_another_shops_order(paid_two_shops, store):
    order_a, _ = orders_of(paid_two_shops)
    with pytest.raises(NotFound):
        order_ship(
            order=order_a,
            by=store.shop_b.owner,
            carrier="SF",
            tracking_number="SF1234567890",
        )
    with pytest.raises(NotFound):
        order_ready_for_pickup(order=order_a, by=store.shop_b.owner)


def test_a_buyer_cannot_ship_their_own_order(paid_two_shops, buyer):
    order_a, _ = orders_of(paid_two_shops)
    with pytest.raises(NotFound):
        order_ship(order=order_a, by=buyer, carrier="SF", tracking_number="SF1234567890")


def test_another_buyer_cannot_confirm_receipt(paid_two_shops, other_buyer):
    order, _ = orders_of(paid_two_shops)
    ship(order)
    with pytest.raises(NotFound):
        order_confirm_receipt(order=refreshed(order), by=other_buyer)


def test_another_seller_cannot_confirm_a_pickup_even_with_the_code(pickup_order, store):
    with pytest.raises(NotFound):
        order_pickup_confirm(
            order=pickup_order, code=pickup_order.pickup_code, by=store.shop_b.owner
        )
