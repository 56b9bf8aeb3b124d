"""Real concurrent connections on PostgreSQL: a deposit rush takes exactly the units there
are; one buyer's parallel pre-orders never pass the limit; holds running out while new
buyers arrive and sweepers run never oversell and give each unit back once; deposits paid in
the last second but notified as their holds run out, racing the sweeper, all end expired with
the money refunded in full and each unit given back once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.core.errors import Conflict
from designmall.ledger.services import ledger_verify
from designmall.payments.gateways import sandbox
from designmall.payments.models import PaymentStatus
from designmall.payments.services import notification_receive
from designmall.presale import tasks
from designmall.presale.models import HOLDING_STATUSES, Preorder, PreorderStatus
from designmall.presale.selectors import campaign_skus_verify
from designmall.presale.services import preorder_deposit_create, preorder_expire
from tests.concurrency import concurrently
from tests.presale.conftest import buyers, first_sku, fresh, make_campaign, run_jobs, taken

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

THREADS = 16


def order(row, buyer):
    def work():
        try:
            preorder_deposit_create(buyer=buyer, campaign_sku=row)
            return "held"
        except Conflict as refused:
            return refused.code

    return work


def test_200_buyers_for_50_units_leave_exactly_50_pre_orders_holding_units(on_postgres):
    campaign = make_campaign(quantity=50, per_buyer_limit=1)
    row = first_sku(campaign)
    people = buyers(200)

    results = concurrently([order(row, buyer) for buyer in people], pool=THREADS)

    outcomes = Counter(r if isinstance(r, str) else repr(r) for r in results)
    assert outcomes == {"held": 50, "presale_sold_out": 150}, outcomes
    holding = Preorder.objects.filter(campaign_sku=row, status__in=HOLDING_STATUSES)
    assert holding.count() == 50
    assert holding.values("buyer").distinct().count() == 50
    assert taken(row) == 50
    assert campaign_skus_verify() == []
    # Each pre-order has its own pending deposit payment for the deposit.
    payments = {p.deposit_payment_id for p in holding}
    assert len(payments) == 50


def test_one_buyers_parallel_pre_orders_stop_at_the_limit(on_postgres):
    campaign = make_campaign(quantity=50, per_buyer_limit=2)
    row = first_sku(campaign)
    [buyer] = buyers(1, prefix="eager")

    results = concurrently([order(row, buyer) for _ in range(12)], pool=12)

    assert Counter(results) == {"held": 2, "presale_limit_reached": 10}
    assert taken(row) == 2
    assert campaign_skus_verify() == []


def test_holds_running_out_while_buyers_arrive_and_sweepers_run_never_oversell(on_postgres):
    campaign = make_campaign(quantity=20, per_buyer_limit=1)
    row = first_sku(campaign)
    stale_people = buyers(20, prefix="stale")
    new_people = buyers(60, prefix="new")
    stale = [preorder_deposit_create(buyer=b, campaign_sku=row) for b in stale_people]
    clock.advance(timedelta(minutes=30))  # every stale hold has run out

    works = [order(row, buyer) for buyer in new_people]
    sweepers = [tasks.deposit_holds_expire for _ in range(4)]
    results = concurrently(works[:30] + sweepers + works[30:], pool=THREADS)

    outcomes = Counter(r for r in results if isinstance(r, str))
    assert all(isinstance(r, str | int) for r in results), results
    assert outcomes == {"held": 20, "presale_sold_out": 40}, outcomes
    assert {fresh(p).status for p in stale} == {PreorderStatus.EXPIRED}
    assert taken(row) == 20
    assert campaign_skus_verify() == []


def test_deposits_notified_as_their_holds_run_out_racing_the_sweeper_end_refunded(on_postgres):
    campaign = make_campaign(quantity=10, per_buyer_limit=1)
    row = first_sku(campaign)
    people = buyers(10, prefix="late")
    preorders = [preorder_deposit_create(buyer=b, campaign_sku=row) for b in people]
    clock.advance(timedelta(minutes=30) - timedelta(seconds=1))
    paid = [sandbox.sandbox_pay(payment=p.deposit_payment) for p in preorders]
    clock.advance(timedelta(seconds=1))  # the hold ends as the notifications arrive

    notify = [(lambda note=p.notification: notification_receive(params=note).outcome) for p in paid]
    expire = [(lambda p=p: preorder_expire(preorder=p).status) for p in preorders]
    results = concurrently([w for pair in zip(notify, expire, strict=True) for w in pair])
    assert not [r for r in results if isinstance(r, Exception)], results
    run_jobs()

    for preorder in preorders:
        preorder = fresh(preorder)
        payment = preorder.deposit_payment
        assert preorder.status == PreorderStatus.EXPIRED  # the hold had run out
        assert payment.status == PaymentStatus.PAID
        assert payment.refunded_fen == payment.amount_fen  # the late money went back
    assert taken(row) == 0
    assert campaign_skus_verify() == []
    assert ledger_verify() == []
