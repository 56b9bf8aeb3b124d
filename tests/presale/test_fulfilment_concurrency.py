"""Real concurrent connections on PostgreSQL: fully paid pre-orders past their promised
ship date, their seller getting them ready at the venue while their buyers cancel and the
late sweeper runs. Each ends one way only: cancelled with everything refunded and its order
refunded, or in fulfilment with nothing refunded; never both. Receipt then settles the
rest; the books balance."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.core.errors import DomainError
from designmall.ledger.rules import split_commission
from designmall.ledger.services import escrow_balance, ledger_verify, seller_balance
from designmall.orders.models import OrderStatus
from designmall.orders.services import order_pickup_confirm, order_ready_for_pickup
from designmall.payments.gateways import sandbox
from designmall.payments.models import NotifyOutcome
from designmall.payments.services import notification_receive
from designmall.presale import tasks
from designmall.presale.models import PreorderStatus
from designmall.presale.selectors import campaign_skus_verify
from designmall.presale.services import (
    preorder_balance_pay,
    preorder_cancel,
    preorder_deposit_create,
)
from tests.concurrency import concurrently
from tests.presale.conftest import buyers, first_sku, fresh, make_campaign, run_jobs, taken

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

THREADS = 12


def _all_fully_paid(campaign, people):
    preorders = []
    for buyer in people:
        preorder = preorder_deposit_create(buyer=buyer, campaign_sku=first_sku(campaign))
        paid = sandbox.sandbox_pay(payment=preorder.deposit_payment)
        assert notification_receive(params=paid.notification).outcome == NotifyOutcome.CREDITED
        preorders.append(preorder)
    clock.set_frozen(campaign.balance_starts_at + timedelta(minutes=1))
    for preorder in preorders:
        payment = preorder_balance_pay(buyer=preorder.buyer, preorder=preorder)
        paid = sandbox.sandbox_pay(payment=payment)
        assert notification_receive(params=paid.notification).outcome == NotifyOutcome.CREDITED
    return [fresh(preorder) for preorder in preorders]


def test_late_cancellations_racing_the_seller_end_one_way_and_settle_the_rest(on_postgres):
    campaign = make_campaign(quantity=10, per_buyer_limit=1)
    seller = campaign.shop.owner
    preorders = _all_fully_paid(campaign, buyers(10, prefix="late"))
    ship = campaign.promised_ship_date
    clock.set_frozen(clock.now() + timedelta(days=(ship - clock.now().date()).days + 2))

    works = [tasks.ship_late, tasks.ship_late]
    for preorder in preorders:
        works.append(lambda p=preorder: order_ready_for_pickup(order=p.order, by=seller).status)
        works.append(lambda p=preorder: preorder_cancel(preorder=p, by=p.buyer).status)
    results = concurrently(works, pool=THREADS)
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)]
    assert not unexpected, unexpected
    run_jobs()

    kept = []
    for preorder in preorders:
        preorder = fresh(preorder)
        order = fresh(preorder.order)
        deposit, balance = fresh(preorder.deposit_payment), fresh(preorder.balance_payment)
        if preorder.status == PreorderStatus.CANCELLED:
            assert order.status == OrderStatus.REFUNDED
            assert order.refunded_fen == order.total_fen
            assert deposit.refunded_fen == deposit.amount_fen
            assert balance.refunded_fen == balance.amount_fen
        else:
            assert preorder.status == PreorderStatus.FULLY_PAID
            assert order.status == OrderStatus.READY_FOR_PICKUP
            assert deposit.refunded_fen == balance.refunded_fen == 0
            kept.append(order)
    assert escrow_balance() == sum(order.total_fen for order in kept)
    assert taken(first_sku(campaign)) == len(kept)

    for order in kept:
        order_pickup_confirm(order=order, code=order.pickup_code, by=seller)
    assert escrow_balance() == 0
    assert seller_balance(campaign.shop.public_id) == sum(
        split_commission(order.total_fen, order.commission_bp)[0] for order in kept
    )
    assert campaign_skus_verify() == []
    assert ledger_verify() == []
