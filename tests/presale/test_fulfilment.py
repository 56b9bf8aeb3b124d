"""Fulfilment: a fully paid pre-order becomes an ordinary paid order of its shop, with its
promised ship date; the deposit and the balance already in escrow are not credited again,
and receipt settles deposit + balance less commission to the seller. A coupon can be taken
off the balance. Sellers and operators see what to ship by when and what is late; a buyer
whose order is late may cancel it with everything refunded. The books balance after every
test."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from designmall.core import clock
from designmall.core.errors import Conflict, NotFound, ValidationFailed
from designmall.ledger.rules import split_commission
from designmall.ledger.services import (
    escrow_balance,
    ledger_verify,
    platform_revenue,
    seller_balance,
)
from designmall.orders.models import OrderStatus
from designmall.orders.services import (
    order_confirm_receipt,
    order_pickup_confirm,
    order_ready_for_pickup,
    order_refund,
    order_ship,
)
from designmall.payments.gateways import sandbox
from designmall.payments.models import NotifyOutcome, Payment, PaymentStatus
from designmall.payments.services import notification_receive
from designmall.presale import tasks
from designmall.presale.models import NoticeKind, PreorderNotice, PreorderStatus
from designmall.presale.selectors import (
    campaign_skus_verify,
    late_for_operator,
    to_ship_for_shop,
)
from designmall.presale.services import (
    preorder_balance_pay,
    preorder_cancel,
    preorder_deposit_create,
    preorder_full_create,
)
from designmall.promotions.models import CouponState
from designmall.promotions.services import coupon_claim
from tests.factories import make_operator, make_user
from tests.presale.conftest import (
    CREDIT,
    DEPOSIT,
    PRICE,
    first_sku,
    fresh,
    full_campaign,
    make_campaign,
    pay_deposit,
    run_jobs,
)
from tests.promotions.conftest import make_platform_coupon, make_shop_coupon

pytestmark = pytest.mark.django_db

TOTAL = DEPOSIT + PRICE - CREDIT  # what the buyer pays in all: the boost is the seller's
ADDRESS = {
    "name": "王小明",
    "mobile": "13800000000",
    "province": "上海",
    "city": "上海",
    "detail": "徐汇区龙腾大道 2555 号",
}


@pytest.fixture(autouse=True)
def _books_balance():
    yield
    assert ledger_verify() == []
    assert campaign_skus_verify() == []


def pay(payment: Payment) -> str:
    done = sandbox.sandbox_pay(payment=payment)
    return notification_receive(params=done.notification).outcome


def deposit_paid(campaign, buyer=None, **kw):
    preorder = preorder_deposit_create(
        buyer=buyer or make_user(), campaign_sku=first_sku(campaign), **kw
    )
    assert pay_deposit(preorder) == NotifyOutcome.CREDITED
    return fresh(preorder)


def balance_paid(campaign, preorder, **kw):
    clock.set_frozen(campaign.balance_starts_at + timedelta(minutes=1))
    payment = preorder_balance_pay(buyer=preorder.buyer, preorder=preorder, **kw)
    assert pay(payment) == NotifyOutcome.CREDITED
    return fresh(preorder)


def past_ship_date(campaign):
    ship = campaign.promised_ship_date
    clock.set_frozen(clock.now() + timedelta(days=(ship - clock.now().date()).days + 2))


def test_a_fully_paid_pre_order_becomes_a_paid_order_with_its_promised_ship_date():
    campaign = make_campaign(quantity=3)
    preorder = balance_paid(campaign, deposit_paid(campaign, delivery="address", address=ADDRESS))

    order = preorder.order
    assert preorder.status == PreorderStatus.FULLY_PAID
    assert order.status == OrderStatus.PAID
    assert order.shop_id == campaign.shop_id and order.buyer_id == preorder.buyer_id
    assert order.promised_ship_by == campaign.promised_ship_date
    assert order.delivery == "address" and order.address["name"] == "王小明"
    assert (order.items_fen, order.shipping_fen) == (PRICE, 0)
    assert order.discount_fen == CREDIT - DEPOSIT  # the boost
    assert order.total_fen == TOTAL
    assert order.prepaid_payment_id == preorder.deposit_payment_id
    assert order.checkout.payment_id == preorder.balance_payment_id
    line = order.lines.get()
    assert (line.unit_price_fen, line.quantity, line.paid_fen) == (PRICE, 1, TOTAL)
    # Not credited twice: escrow holds exactly the two payments.
    assert escrow_balance() == TOTAL


def test_the_order_line_keeps_both_languages_whatever_language_the_balance_was_paid_in():
    campaign = make_campaign(quantity=3)
    product = campaign.product
    with translation.override("en"):
        preorder = balance_paid(
            campaign, deposit_paid(campaign, delivery="address", address=ADDRESS)
        )
    line = preorder.order.lines.get()
    assert (line.product_title_zh, line.product_title_en) == (product.title_zh, product.title_en)


def test_receipt_settles_deposit_and_balance_less_commission_to_the_seller():
    campaign = make_campaign(quantity=3)
    preorder = balance_paid(campaign, deposit_paid(campaign, delivery="address", address=ADDRESS))
    order = preorder.order
    seller = campaign.shop.owner

    order_ship(order=order, by=seller, carrier="SF", tracking_number="SF1234567890")
    order_confirm_receipt(order=order, by=preorder.buyer)

    order = fresh(order)
    seller_fen, commission_fen = split_commission(TOTAL, order.commission_bp)
    assert order.status == OrderStatus.COMPLETED
    assert (order.released_fen, order.commission_fen) == (TOTAL, commission_fen)
    assert seller_balance(campaign.shop.public_id) == seller_fen
    assert platform_revenue() == commission_fen
    assert escrow_balance() == 0
    # Nothing more to ship.
    assert list(to_ship_for_shop(campaign.shop)) == []


def test_a_venue_pickup_pre_order_gets_a_pickup_code_and_settles_on_pickup():
    campaign = make_campaign(quantity=3)
    preorder = balance_paid(campaign, deposit_paid(campaign))  # pickup by default
    order = preorder.order
    assert order.delivery == "pickup" and order.pickup_code

    order_ready_for_pickup(order=order, by=campaign.shop.owner)
    order_pickup_confirm(order=order, code=order.pickup_code, by=campaign.shop.owner)

    assert fresh(order).status == OrderStatus.COMPLETED
    seller_fen, _commission = split_commission(TOTAL, order.commission_bp)
    assert seller_balance(campaign.shop.public_id) == seller_fen
    assert escrow_balance() == 0


def test_the_buyer_may_switch_to_address_delivery_when_paying_the_balance():
    campaign = make_campaign(quantity=3)
    preorder = balance_paid(campaign, deposit_paid(campaign), delivery="address", address=ADDRESS)
    assert preorder.order.delivery == "address"
    assert preorder.order.pickup_code == ""
    with pytest.raises(ValidationFailed) as bad:
        preorder_deposit_create(
            buyer=make_user(), campaign_sku=first_sku(campaign), delivery="address", address={}
        )
    assert bad.value.code == "invalid_address"


def test_a_seller_refund_after_settlement_comes_back_from_the_seller():
    campaign = make_campaign(quantity=3)
    preorder = balance_paid(campaign, deposit_paid(campaign, delivery="address", address=ADDRESS))
    order = preorder.order
    seller = campaign.shop.owner
    order_ship(order=order, by=seller, carrier="SF", tracking_number="SF1234567890")
    order_confirm_receipt(order=order, by=preorder.buyer)

    order_refund(order=order, amount_fen=5_000, reason="补偿划痕", by=seller)
    run_jobs()

    order = fresh(order)
    assert order.refunded_fen == 5_000
    assert order.status == OrderStatus.COMPLETED
    assert escrow_balance() == 0


def test_a_buyer_cancelling_a_late_order_gets_everything_back_and_the_order_is_refunded():
    campaign = make_campaign(quantity=3)
    preorder = balance_paid(campaign, deposit_paid(campaign))
    order = preorder.order
    past_ship_date(campaign)

    preorder_cancel(preorder=preorder, by=preorder.buyer, reason="逾期未发货")
    # While the refunds are under way the seller can no longer ship it.
    with pytest.raises(Conflict) as shipping:
        order_ready_for_pickup(order=order, by=campaign.shop.owner)
    assert shipping.value.code == "order_refunding"
    run_jobs()

    preorder, order = fresh(preorder), fresh(order)
    assert preorder.status == PreorderStatus.CANCELLED
    assert order.status == OrderStatus.REFUNDED
    assert order.refunded_fen == TOTAL
    assert preorder.deposit_payment.refunded_fen == DEPOSIT
    assert preorder.balance_payment.refunded_fen == PRICE - CREDIT
    assert escrow_balance() == 0
    assert seller_balance(campaign.shop.public_id) == 0


def test_a_shipped_pre_order_is_not_cancelled():
    campaign = make_campaign(quantity=3)
    preorder = balance_paid(campaign, deposit_paid(campaign, delivery="address", address=ADDRESS))
    past_ship_date(campaign)
    order_ship(
        order=preorder.order, by=campaign.shop.owner, carrier="SF", tracking_number="SF123456789"
    )

    for by in (preorder.buyer, campaign.shop.owner):
        with pytest.raises(Conflict) as refused:
            preorder_cancel(preorder=preorder, by=by)
        assert refused.value.code == "order_in_fulfilment"
    assert fresh(preorder).status == PreorderStatus.FULLY_PAID
    assert escrow_balance() == TOTAL


def test_sellers_and_operators_see_what_to_ship_by_date_and_late_ones_are_flagged_once(
    mailoutbox,
):
    campaign = make_campaign(quantity=5)
    first = balance_paid(campaign, deposit_paid(campaign))
    clock.set_frozen(campaign.starts_at + timedelta(minutes=5))
    second = balance_paid(campaign, deposit_paid(campaign))
    other = make_campaign(quantity=2, ship_days_after_end=60)
    balance_paid(other, deposit_paid(other))

    listed = list(to_ship_for_shop(campaign.shop))
    assert [p.pk for p in listed] == [first.pk, second.pk]
    assert [p.is_late for p in listed] == [False, False]
    assert listed[0].ship_by == campaign.promised_ship_date
    assert list(late_for_operator()) == []
    assert tasks.ship_late() == 0

    past_ship_date(campaign)
    order_ready_for_pickup(order=second.order, by=campaign.shop.owner)
    assert [p.pk for p in late_for_operator()] == [first.pk]
    assert [p.is_late for p in to_ship_for_shop(campaign.shop)] == [True]

    mailoutbox.clear()
    make_operator()
    assert tasks.ship_late() == 1
    assert tasks.ship_late() == 0
    run_jobs()
    assert fresh(first).late_flagged_at is not None
    assert PreorderNotice.objects.filter(preorder=first, kind=NoticeKind.SHIP_LATE).exists()
    to = {address for mail in mailoutbox for address in mail.to}
    assert campaign.shop.owner.email in to  # the seller
    assert first.buyer.email in to  # the buyer's notice
    assert len(to) >= 3  # and the operators


def test_a_platform_coupon_comes_off_the_balance_and_the_platform_pays_its_share():
    campaign = make_campaign(quantity=3)
    preorder = deposit_paid(campaign, delivery="address", address=ADDRESS)
    coupon = coupon_claim(
        template=make_platform_coupon(
            claim_ends_at=clock.now() + timedelta(days=30),
            valid_until=clock.now() + timedelta(days=30),
        ),
        buyer=preorder.buyer,
    )
    clock.set_frozen(campaign.balance_starts_at + timedelta(minutes=1))
    payment = preorder_balance_pay(
        buyer=preorder.buyer, preorder=preorder, coupon=coupon.public_id, amount_fen=1
    )
    assert payment.amount_fen == PRICE - CREDIT - 2_000  # the server's, the client's ignored
    assert fresh(coupon).state == CouponState.LOCKED
    # Asked again without a coupon: the same payment, still holding it.
    assert preorder_balance_pay(buyer=preorder.buyer, preorder=preorder).pk == payment.pk

    assert pay(payment) == NotifyOutcome.CREDITED
    preorder = fresh(preorder)
    order = preorder.order
    assert fresh(coupon).state == CouponState.USED
    assert order.total_fen == TOTAL - 2_000
    assert (order.discount_fen, order.platform_discount_fen) == (CREDIT - DEPOSIT + 2_000, 2_000)

    order_ship(order=order, by=campaign.shop.owner, carrier="SF", tracking_number="SF1234567890")
    order_confirm_receipt(order=order, by=preorder.buyer)
    seller_fen, _commission = split_commission(TOTAL - 2_000, order.commission_bp)
    assert seller_balance(campaign.shop.public_id) == seller_fen + 2_000
    assert escrow_balance() == 0


def test_a_replaced_or_closed_balance_payment_gives_its_coupon_back():
    campaign = make_campaign(quantity=3)
    preorder = deposit_paid(campaign)
    coupon = coupon_claim(
        template=make_shop_coupon(
            shop=campaign.shop,
            claim_ends_at=clock.now() + timedelta(days=30),
            valid_until=clock.now() + timedelta(days=30),
        ),
        buyer=preorder.buyer,
    )
    clock.set_frozen(campaign.balance_starts_at + timedelta(minutes=1))
    with_coupon = preorder_balance_pay(
        buyer=preorder.buyer, preorder=preorder, coupon=coupon.public_id
    )
    assert with_coupon.amount_fen == PRICE - CREDIT - 2_000
    # Asked again with the same coupon: the same payment.
    assert (
        preorder_balance_pay(buyer=preorder.buyer, preorder=preorder, coupon=coupon.public_id).pk
        == with_coupon.pk
    )
    # Someone else cannot use it.
    with pytest.raises(NotFound):
        preorder_balance_pay(buyer=make_user(), preorder=preorder, coupon=coupon.public_id)

    # The buyer gives up the coupon: a new payment of the whole balance; the coupon is back.
    without = preorder_balance_pay(
        buyer=preorder.buyer, preorder=preorder, delivery="pickup", coupon=None
    )
    assert without.pk == with_coupon.pk  # nothing changed: the same payment
    past = with_coupon.expires_at + timedelta(seconds=1)
    clock.set_frozen(past)
    again = preorder_balance_pay(buyer=preorder.buyer, preorder=preorder)
    assert again.pk != with_coupon.pk
    assert again.amount_fen == PRICE - CREDIT
    assert fresh(with_coupon).status != PaymentStatus.PENDING
    assert fresh(coupon).state == CouponState.AVAILABLE
    assert pay(again) == NotifyOutcome.CREDITED
    assert fresh(preorder).order.total_fen == TOTAL


def test_a_full_payment_pre_order_pays_the_price_and_becomes_an_order_at_once():
    campaign = full_campaign()
    buyer = make_user()
    with pytest.raises(Conflict) as wrong_kind:
        preorder_deposit_create(buyer=buyer, campaign_sku=first_sku(campaign))
    assert wrong_kind.value.code == "not_a_deposit_presale"

    preorder = preorder_full_create(
        buyer=buyer, campaign_sku=first_sku(campaign), delivery="address", address=ADDRESS
    )
    assert preorder.deposit_payment.amount_fen == PRICE
    assert (preorder.deposit_fen, preorder.credit_fen, preorder.balance_fen) == (PRICE, PRICE, 0)
    assert pay_deposit(preorder) == NotifyOutcome.CREDITED

    preorder = fresh(preorder)
    order = preorder.order
    assert preorder.status == PreorderStatus.FULLY_PAID
    assert (order.status, order.total_fen, order.discount_fen) == (OrderStatus.PAID, PRICE, 0)
    assert order.promised_ship_by == campaign.promised_ship_date
    assert order.checkout.payment_id == preorder.deposit_payment_id
    assert order.prepaid_payment_id is None
    assert escrow_balance() == PRICE
    with pytest.raises(Conflict) as limit:
        preorder_full_create(buyer=buyer, campaign_sku=first_sku(campaign))
    assert limit.value.code == "presale_limit_reached"
    with pytest.raises(Conflict) as no_balance:
        preorder_balance_pay(buyer=buyer, preorder=preorder)
    assert no_balance.value.code == "balance_already_paid"

    order_ship(order=order, by=campaign.shop.owner, carrier="SF", tracking_number="SF1234567890")
    order_confirm_receipt(order=order, by=buyer)
    seller_fen, _commission = split_commission(PRICE, order.commission_bp)
    assert seller_balance(campaign.shop.public_id) == seller_fen
    assert escrow_balance() == 0


def test_a_late_full_payment_pre_order_is_cancelled_by_its_buyer_with_a_full_refund():
    campaign = full_campaign()
    preorder = preorder_full_create(buyer=make_user(), campaign_sku=first_sku(campaign))
    assert pay_deposit(preorder) == NotifyOutcome.CREDITED
    preorder = fresh(preorder)
    clock.set_frozen(campaign.ends_at + timedelta(days=25))

    assert tasks.ship_late() == 1
    preorder_cancel(preorder=preorder, by=preorder.buyer)
    run_jobs()

    preorder = fresh(preorder)
    assert preorder.status == PreorderStatus.CANCELLED
    assert preorder.order.status == OrderStatus.REFUNDED
    assert preorder.deposit_payment.refunded_fen == PRICE
    assert escrow_balance() == 0
