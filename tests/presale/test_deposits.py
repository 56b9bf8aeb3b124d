"""Deposit pre-orders: the terms of the moment are locked, one unit of the campaign is held
for the deposit's own payment, an unpaid hold gives its unit back exactly once, a paid
deposit waits in escrow, and a buyer's limit holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from designmall.catalog.models import Sku
from designmall.core import clock
from designmall.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from designmall.core.models import AuditEvent
from designmall.ledger.services import escrow_balance, ledger_verify
from designmall.payments.gateways import sandbox
from designmall.payments.models import NotifyOutcome, PaymentStatus, RefundStatus
from designmall.payments.services import notification_receive, payment_close, refund_create
from designmall.presale import tasks
from designmall.presale.models import CampaignSku, PreorderStatus
from designmall.presale.selectors import campaign_skus_verify
from designmall.presale.services import (
    DEPOSIT_PAYABLE,
    deposit_is_payable,
    preorder_deposit_create,
    preorder_expire,
)
from tests.factories import make_user
from tests.presale.conftest import (
    CREDIT,
    DEPOSIT,
    PRICE,
    first_sku,
    fresh,
    make_campaign,
    pay_deposit,
    run_jobs,
    taken,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer():
    return make_user()


@pytest.fixture
def campaign():
    return make_campaign(quantity=3)


@pytest.fixture
def row(campaign):
    return first_sku(campaign)


def test_a_deposit_order_locks_the_terms_and_asks_for_the_deposit_as_its_own_payment(buyer, row):
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=row)

    assert preorder.status == PreorderStatus.PENDING_DEPOSIT
    assert (preorder.price_fen, preorder.deposit_fen, preorder.credit_fen) == (
        PRICE,
        DEPOSIT,
        CREDIT,
    )
    assert preorder.balance_fen == PRICE - CREDIT
    assert preorder.earnest is True
    payment = preorder.deposit_payment
    assert (payment.amount_fen, payment.status) == (DEPOSIT, PaymentStatus.PENDING)
    assert (payment.payable_type, payment.payable_id) == (DEPOSIT_PAYABLE, preorder.public_id)
    assert preorder.hold_expires_at == clock.now() + timedelta(minutes=30)
    assert payment.expires_at == preorder.hold_expires_at
    assert taken(row) == 1
    assert campaign_skus_verify() == []


def test_the_deposits_payment_is_named_in_the_buyers_language(buyer, row):
    # The cashier shows it: one language, not an English label around a Chinese title.
    with translation.override("en"):
        preorder = preorder_deposit_create(buyer=buyer, campaign_sku=row)
    assert preorder.deposit_payment.subject == "Pre-sale deposit · Limited walnut chair pre-sale"


def test_a_later_price_change_never_touches_a_pre_order(buyer, row):
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=row)
    Sku.objects.filter(pk=row.sku_id).update(price_fen=999_900)
    CampaignSku.objects.filter(pk=row.pk).update(price_fen=200_000, credit_fen=12_000)

    preorder = fresh(preorder)
    assert (preorder.price_fen, preorder.credit_fen, preorder.balance_fen) == (
        PRICE,
        CREDIT,
        PRICE - CREDIT,
    )
    assert pay_deposit(preorder) == NotifyOutcome.CREDITED
    preorder = fresh(preorder)
    assert (preorder.status, preorder.balance_fen) == (PreorderStatus.DEPOSIT_PAID, 85_000)


def test_the_hold_never_outlasts_the_deposit_window(buyer):
    campaign = make_campaign(quantity=3)
    clock.set_frozen(campaign.ends_at - timedelta(minutes=10))
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=first_sku(campaign))
    assert preorder.hold_expires_at == campaign.ends_at
    assert preorder.deposit_payment.expires_at == campaign.ends_at


def test_paying_the_deposit_makes_it_paid_and_puts_the_money_in_escrow(buyer, row):
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=row)
    escrow_before = escrow_balance()

    assert pay_deposit(preorder) == NotifyOutcome.CREDITED

    preorder = fresh(preorder)
    assert preorder.status == PreorderStatus.DEPOSIT_PAID
    assert preorder.deposit_paid_at == clock.now()
    assert preorder.deposit_payment.status == PaymentStatus.PAID
    assert escrow_balance() - escrow_before == DEPOSIT
    assert ledger_verify() == []
    assert taken(row) == 1  # the paid deposit keeps its unit
    assert AuditEvent.objects.filter(
        action="presale.deposit_paid", target_id=preorder.public_id
    ).exists()


def test_an_unpaid_hold_expires_and_gives_its_unit_back_exactly_once(buyer, row):
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=row)
    clock.advance(timedelta(minutes=29))
    assert tasks.deposit_holds_expire() == 0  # not yet
    assert fresh(preorder).status == PreorderStatus.PENDING_DEPOSIT
    clock.advance(timedelta(minutes=1))

    tasks.deposit_holds_expire()
    tasks.deposit_holds_expire()  # a second run changes nothing more
    preorder_expire(preorder=preorder)  # nor does the step itself again
    payment_close(payment=fresh(preorder).deposit_payment)  # nor payments closing it

    preorder = fresh(preorder)
    assert preorder.status == PreorderStatus.EXPIRED
    assert preorder.closed_at == clock.now()
    assert preorder.deposit_payment.status == PaymentStatus.CLOSING
    assert taken(row) == 0
    assert AuditEvent.objects.filter(action="presale.preorder_expired").count() == 1
    assert campaign_skus_verify() == []


def test_payments_closing_the_unpaid_deposit_gives_the_unit_back_once(buyer, row):
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=row)
    clock.advance(timedelta(minutes=31))

    payment_close(payment=preorder.deposit_payment)  # payments' own sweeper got there first
    tasks.deposit_holds_expire()

    assert fresh(preorder).status == PreorderStatus.EXPIRED
    assert taken(row) == 0
    assert campaign_skus_verify() == []


def test_a_hold_past_its_end_cannot_be_paid_and_late_money_is_refunded(buyer, row):
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=row)
    escrow_before = escrow_balance()
    clock.advance(timedelta(minutes=30))
    assert deposit_is_payable(preorder.deposit_payment) is False

    # The buyer paid in the last second; the notification arrives as the hold has run out,
    # before any sweeper ran: refused, refunded in full.
    clock.advance(timedelta(seconds=-1))
    paid = sandbox.sandbox_pay(payment=preorder.deposit_payment)
    clock.advance(timedelta(seconds=1))

    assert notification_receive(params=paid.notification).outcome == NotifyOutcome.REFUNDING
    run_jobs()

    tasks.deposit_holds_expire()
    preorder = fresh(preorder)
    assert preorder.status == PreorderStatus.EXPIRED
    refund = preorder.deposit_payment.refunds.get()
    assert (refund.amount_fen, refund.status) == (DEPOSIT, RefundStatus.SUCCEEDED)
    assert taken(row) == 0
    assert escrow_balance() == escrow_before
    assert ledger_verify() == []


def test_a_buyer_cannot_hold_more_than_the_per_buyer_limit(buyer):
    campaign = make_campaign(quantity=10, per_buyer_limit=2)
    row = first_sku(campaign)
    preorder_deposit_create(buyer=buyer, campaign_sku=row)
    preorder_deposit_create(buyer=buyer, campaign_sku=row)

    with pytest.raises(Conflict) as refused:
        preorder_deposit_create(buyer=buyer, campaign_sku=row)

    assert refused.value.code == "presale_limit_reached"
    assert refused.value.details == {"limit": 2, "holding": 2}
    assert taken(row) == 2
    assert preorder_deposit_create(buyer=make_user(), campaign_sku=row)  # others still can


def test_an_expired_hold_no_longer_counts_toward_the_limit(buyer, row):
    preorder_deposit_create(buyer=buyer, campaign_sku=row)
    clock.advance(timedelta(minutes=30))  # run out by the clock, not swept yet

    again = preorder_deposit_create(buyer=buyer, campaign_sku=row)

    assert again.status == PreorderStatus.PENDING_DEPOSIT


def test_the_last_unit_taken_refuses_the_next_buyer(row):
    for _ in range(3):
        preorder_deposit_create(buyer=make_user(), campaign_sku=row)

    with pytest.raises(Conflict) as refused:
        preorder_deposit_create(buyer=make_user(), campaign_sku=row)

    assert refused.value.code == "presale_sold_out"
    assert taken(row) == 3


def test_a_buyer_finding_it_sold_out_first_frees_holds_run_out_by_the_clock(row):
    stale = [preorder_deposit_create(buyer=make_user(), campaign_sku=row) for _ in range(3)]
    clock.advance(timedelta(minutes=30))

    preorder = preorder_deposit_create(buyer=make_user(), campaign_sku=row)

    assert preorder.status == PreorderStatus.PENDING_DEPOSIT
    # The oldest run-out hold made room; the others wait for the sweeper.
    statuses = [fresh(p).status for p in stale]
    assert statuses == [PreorderStatus.EXPIRED] + [PreorderStatus.PENDING_DEPOSIT] * 2
    assert taken(row) == 3
    assert campaign_skus_verify() == []
    tasks.deposit_holds_expire()
    assert taken(row) == 1
    assert campaign_skus_verify() == []


def test_deposits_are_taken_only_within_the_deposit_window(buyer):
    campaign = make_campaign(starts_at=clock.now() + timedelta(hours=1))
    row = first_sku(campaign)
    with pytest.raises(Conflict) as refused:
        preorder_deposit_create(buyer=buyer, campaign_sku=row)
    assert refused.value.code == "presale_not_started"
    clock.set_frozen(campaign.ends_at)
    with pytest.raises(Conflict) as refused:
        preorder_deposit_create(buyer=buyer, campaign_sku=row)
    assert refused.value.code == "presale_ended"
    assert taken(row) == 0


def test_a_campaign_not_approved_takes_no_deposits(buyer):
    row = first_sku(make_campaign(approved=False))
    with pytest.raises(NotFound):
        preorder_deposit_create(buyer=buyer, campaign_sku=row)


def test_a_seller_cannot_pre_order_from_its_own_campaign(campaign, row):
    with pytest.raises(PermissionDenied) as refused:
        preorder_deposit_create(buyer=campaign.shop.owner, campaign_sku=row)
    assert refused.value.code == "own_campaign"


def test_a_refund_of_a_paid_deposit_comes_out_of_escrow_and_never_exceeds_it(buyer, row):
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=row)
    pay_deposit(preorder)
    escrow_paid = escrow_balance()
    payment = fresh(preorder).deposit_payment

    refund_create(payment=payment, amount_fen=DEPOSIT, reason="卖家取消预售")
    run_jobs()

    assert escrow_balance() == escrow_paid - DEPOSIT
    assert ledger_verify() == []
    assert AuditEvent.objects.filter(
        action="presale.deposit_refunded", target_id=preorder.public_id
    ).exists()
    with pytest.raises(ValidationFailed) as refused:
        refund_create(payment=payment, amount_fen=1, reason="再退一分")
    assert refused.value.code == "refund_exceeds_paid"
