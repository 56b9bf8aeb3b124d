"""Default and refunds: a balance not paid by the window's end closes the pre-order; a 定金
is forfeited to the seller less commission (ledger: escrow → seller + platform), an advance
payment refunded in full; the unit goes back to the campaign or leaves it as the campaign
says. A cancellation by the seller (of a pre-order or the whole campaign), or by the buyer
after a missed ship date, refunds everything paid in full, never more than was paid.
Sweepers run twice change nothing more; the books balance after every test."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.core.errors import Conflict, NotFound
from designmall.ledger.rules import split_commission
from designmall.ledger.services import (
    escrow_balance,
    platform_revenue,
    seller_balance,
    transactions_for,
)
from designmall.payments.gateways import sandbox
from designmall.payments.models import NotifyOutcome, PaymentStatus, Refund, RefundStatus
from designmall.payments.services import notification_receive, refund_create
from designmall.presale import tasks
from designmall.presale.models import (
    CampaignStatus,
    NoticeKind,
    PreorderNotice,
    PreorderStatus,
)
from designmall.presale.services import (
    campaign_cancel,
    preorder_balance_pay,
    preorder_cancel,
    preorder_deposit_create,
)
from tests.factories import make_operator, make_user
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

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("books_balance")]


def deposit_paid(campaign, buyer=None):
    preorder = preorder_deposit_create(buyer=buyer or make_user(), campaign_sku=first_sku(campaign))
    assert pay_deposit(preorder) == NotifyOutcome.CREDITED
    return fresh(preorder)


def balance_paid(campaign, preorder):
    clock.set_frozen(campaign.balance_starts_at + timedelta(minutes=1))
    payment = preorder_balance_pay(buyer=preorder.buyer, preorder=preorder)
    done = sandbox.sandbox_pay(payment=payment)
    assert notification_receive(params=done.notification).outcome == NotifyOutcome.CREDITED
    return fresh(preorder)


def past_balance_window(campaign):
    clock.set_frozen(campaign.balance_ends_at + timedelta(seconds=1))


def refunded(payment) -> int:
    return sum(
        Refund.objects.filter(payment=payment, status=RefundStatus.SUCCEEDED).values_list(
            "amount_fen", flat=True
        )
    )


def test_an_unpaid_balance_forfeits_a_ding_jin_to_the_seller_less_commission():
    campaign = make_campaign(quantity=3)
    preorder = deposit_paid(campaign)
    shop = campaign.shop
    past_balance_window(campaign)

    assert tasks.balance_defaults() == 1
    run_jobs()

    preorder = fresh(preorder)
    assert preorder.status == PreorderStatus.DEFAULTED
    seller_fen, commission_fen = split_commission(DEPOSIT, shop.commission_bp)
    assert seller_balance(shop.public_id) == seller_fen
    assert platform_revenue() == commission_fen
    assert escrow_balance() == 0
    (forfeit,) = transactions_for("forfeit", preorder.public_id)
    assert forfeit.kind == "deposit_forfeited"
    assert sum(p.amount for p in forfeit.postings.all()) == 0
    assert refunded(preorder.deposit_payment) == 0
    assert taken(first_sku(campaign)) == 0  # back to the campaign
    assert PreorderNotice.objects.filter(preorder=preorder, kind=NoticeKind.DEFAULTED).exists()


def test_an_operator_refunding_a_forfeited_deposit_takes_it_back_from_the_seller():
    campaign = make_campaign(quantity=3)
    preorder = deposit_paid(campaign)
    past_balance_window(campaign)
    tasks.balance_defaults()

    refund_create(payment=preorder.deposit_payment, amount_fen=DEPOSIT, reason="客服退款")
    run_jobs()

    assert refunded(preorder.deposit_payment) == DEPOSIT
    assert seller_balance(campaign.shop.public_id) == 0
    assert platform_revenue() == 0
    assert escrow_balance() == 0


def test_an_unpaid_balance_refunds_an_advance_payment_in_full():
    campaign = make_campaign(quantity=3, earnest=False)
    preorder = deposit_paid(campaign)
    past_balance_window(campaign)

    tasks.balance_defaults()
    run_jobs()

    preorder = fresh(preorder)
    assert preorder.status == PreorderStatus.DEFAULTED
    assert refunded(preorder.deposit_payment) == DEPOSIT
    assert seller_balance(campaign.shop.public_id) == 0
    assert escrow_balance() == 0
    assert not transactions_for("forfeit", preorder.public_id).exists()


def test_a_campaign_may_release_a_defaulted_unit_instead_of_selling_it_again():
    campaign = make_campaign(quantity=3, resell_defaulted=False)
    deposit_paid(campaign)
    past_balance_window(campaign)

    tasks.balance_defaults()

    row = fresh(first_sku(campaign))
    assert (row.taken, row.quantity) == (0, 2)


def test_the_default_sweeper_run_twice_books_and_refunds_once():
    earnest = make_campaign(quantity=3)
    advance = make_campaign(quantity=3, earnest=False)
    forfeited, refunded_one = deposit_paid(earnest), deposit_paid(advance)
    past_balance_window(earnest)

    assert tasks.balance_defaults() == 2
    assert tasks.balance_defaults() == 0
    run_jobs()
    tasks.balance_defaults()

    assert transactions_for("forfeit", forfeited.public_id).count() == 1
    assert Refund.objects.filter(payment=refunded_one.deposit_payment).count() == 1
    assert taken(first_sku(earnest)) == taken(first_sku(advance)) == 0


def test_a_balance_paid_in_time_is_never_defaulted():
    campaign = make_campaign(quantity=3)
    preorder = balance_paid(campaign, deposit_paid(campaign))
    past_balance_window(campaign)

    assert tasks.balance_defaults() == 0
    assert fresh(preorder).status == PreorderStatus.FULLY_PAID
    assert escrow_balance() == PRICE - CREDIT + DEPOSIT


def test_the_seller_cancelling_a_fully_paid_pre_order_refunds_both_payments_in_full():
    campaign = make_campaign(quantity=3)
    preorder = balance_paid(campaign, deposit_paid(campaign))

    preorder_cancel(preorder=preorder, by=campaign.shop.owner, reason="工厂停产")
    run_jobs()

    preorder = fresh(preorder)
    assert preorder.status == PreorderStatus.CANCELLED
    assert refunded(preorder.deposit_payment) == DEPOSIT
    assert refunded(preorder.balance_payment) == PRICE - CREDIT
    assert escrow_balance() == 0
    assert taken(first_sku(campaign)) == 0
    assert PreorderNotice.objects.filter(preorder=preorder, kind=NoticeKind.CANCELLED).exists()
    with pytest.raises(Conflict) as again:
        preorder_cancel(preorder=preorder, by=campaign.shop.owner)
    assert again.value.code == "preorder_closed"


def test_the_seller_cancelling_the_campaign_refunds_everything_paid_in_full():
    campaign = make_campaign(quantity=5, per_buyer_limit=1)
    waiting = preorder_deposit_create(buyer=make_user(), campaign_sku=first_sku(campaign))
    deposit_only = deposit_paid(campaign)
    full = balance_paid(campaign, deposit_paid(campaign))

    campaign_cancel(campaign=campaign, by=campaign.shop.owner, reason="设计修改，取消预售")
    run_jobs()
    assert tasks.cancelled_campaigns() == 0  # nothing left open

    assert fresh(campaign).status == CampaignStatus.CANCELLED
    statuses = {fresh(p).status for p in (waiting, deposit_only, full)}
    assert statuses == {PreorderStatus.CANCELLED}
    assert fresh(waiting).deposit_payment.status != PaymentStatus.PENDING
    assert refunded(deposit_only.deposit_payment) == DEPOSIT
    assert refunded(full.deposit_payment) == DEPOSIT
    assert refunded(fresh(full).balance_payment) == PRICE - CREDIT
    assert escrow_balance() == 0
    assert taken(first_sku(campaign)) == 0


def test_a_cancellation_never_refunds_more_than_is_left_of_a_payment():
    campaign = make_campaign(quantity=3)
    preorder = deposit_paid(campaign)
    refund_create(payment=preorder.deposit_payment, amount_fen=3_000, reason="部分退款")
    run_jobs()

    preorder_cancel(preorder=preorder, by=make_operator())
    run_jobs()

    payment = fresh(preorder.deposit_payment)
    assert payment.refunded_fen == DEPOSIT
    assert refunded(payment) == DEPOSIT
    assert escrow_balance() == 0


def test_the_buyer_may_cancel_only_after_the_promised_ship_date_is_missed():
    campaign = make_campaign(quantity=3)
    preorder = balance_paid(campaign, deposit_paid(campaign))
    with pytest.raises(Conflict) as early:
        preorder_cancel(preorder=preorder, by=preorder.buyer)
    assert early.value.code == "ship_date_not_missed"

    ship = campaign.promised_ship_date
    clock.set_frozen(
        campaign.balance_ends_at + timedelta(days=(ship - clock.now().date()).days + 2)
    )
    preorder_cancel(preorder=preorder, by=preorder.buyer, reason="逾期未发货")
    run_jobs()

    assert fresh(preorder).status == PreorderStatus.CANCELLED
    assert refunded(preorder.deposit_payment) + refunded(fresh(preorder).balance_payment) == (
        DEPOSIT + PRICE - CREDIT
    )
    assert escrow_balance() == 0


def test_no_new_deposit_is_taken_by_a_cancelled_campaign():
    campaign = make_campaign(quantity=3)
    campaign_cancel(campaign=campaign, by=campaign.shop.owner, reason="取消")
    with pytest.raises(NotFound):
        preorder_deposit_create(buyer=make_user(), campaign_sku=first_sku(campaign))
