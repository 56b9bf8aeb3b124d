"""The balance: buyers with a paid deposit are told once when its window opens; the balance
is the locked price less the locked credit, asked for as its own payment only while the
window is open and the deposit paid, whatever amount a client sends; paying it makes the
pre-order fully paid, its money in escrow."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.core.errors import Conflict, NotFound
from designmall.ledger.services import escrow_balance
from designmall.payments.gateways import sandbox
from designmall.payments.models import NotifyOutcome, PaymentStatus
from designmall.payments.services import notification_receive
from designmall.presale import tasks
from designmall.presale.models import CampaignSku, NoticeKind, PreorderNotice, PreorderStatus
from designmall.presale.services import (
    BALANCE_PAYABLE,
    preorder_balance_notify,
    preorder_balance_pay,
    preorder_deposit_create,
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
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("books_balance")]


@pytest.fixture
def campaign():
    return make_campaign(quantity=5)


@pytest.fixture
def buyer():
    return make_user()


@pytest.fixture
def paid(campaign, buyer):
    """A pre-order whose deposit is paid."""
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=first_sku(campaign))
    assert pay_deposit(preorder) == NotifyOutcome.CREDITED
    return fresh(preorder)


def open_balance_window(campaign):
    clock.set_frozen(campaign.balance_starts_at + timedelta(minutes=1))


def pay(payment) -> str:
    done = sandbox.sandbox_pay(payment=payment)
    return notification_receive(params=done.notification).outcome


def test_buyers_with_a_paid_deposit_are_told_once_when_the_balance_window_opens(
    campaign, paid, buyer, mailoutbox
):
    unpaid = preorder_deposit_create(buyer=make_user(), campaign_sku=first_sku(campaign))

    assert tasks.balance_notices() == 0  # not open yet
    open_balance_window(campaign)
    tasks.balance_notices()
    tasks.balance_notices()
    run_jobs()

    notices = PreorderNotice.objects.filter(kind=NoticeKind.BALANCE_OPEN)
    assert [(n.buyer_id, n.preorder_id) for n in notices] == [(buyer.pk, paid.pk)]
    assert fresh(paid).balance_notified_at == clock.now()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [buyer.email]
    assert "850.00" in mailoutbox[0].body  # the balance: ¥1,000 − ¥150
    assert not PreorderNotice.objects.filter(preorder=unpaid).exists()
    assert preorder_balance_notify(preorder=paid) is False


def test_the_balance_is_the_locked_price_less_the_locked_credit_in_its_own_payment(
    campaign, paid, buyer
):
    open_balance_window(campaign)

    payment = preorder_balance_pay(buyer=buyer, preorder=paid)

    assert payment.amount_fen == PRICE - CREDIT
    assert (payment.payable_type, payment.payable_id) == (BALANCE_PAYABLE, paid.public_id)
    assert payment.expires_at <= campaign.balance_ends_at
    assert fresh(paid).balance_payment_id == payment.pk


def test_an_amount_a_client_sends_is_ignored(campaign, paid, buyer):
    open_balance_window(campaign)

    payment = preorder_balance_pay(buyer=buyer, preorder=paid, amount_fen=1)

    assert payment.amount_fen == PRICE - CREDIT


def test_a_price_change_after_the_deposit_does_not_change_the_balance(campaign, paid, buyer):
    CampaignSku.objects.filter(pk=first_sku(campaign).pk).update(price_fen=PRICE * 3)
    first_sku(campaign).sku.__class__.objects.filter(pk=first_sku(campaign).sku_id).update(
        price_fen=PRICE * 5
    )
    open_balance_window(campaign)

    payment = preorder_balance_pay(buyer=buyer, preorder=paid)

    assert payment.amount_fen == PRICE - CREDIT


def test_the_balance_is_refused_before_its_window_opens(paid, buyer):
    with pytest.raises(Conflict) as refused:
        preorder_balance_pay(buyer=buyer, preorder=paid)
    assert refused.value.code == "balance_not_open"


def test_the_balance_is_refused_after_its_window_closes(campaign, paid, buyer):
    clock.set_frozen(campaign.balance_ends_at)
    with pytest.raises(Conflict) as refused:
        preorder_balance_pay(buyer=buyer, preorder=paid)
    assert refused.value.code == "balance_closed"


def test_the_balance_is_refused_while_the_deposit_is_unpaid(campaign, buyer):
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=first_sku(campaign))
    open_balance_window(campaign)
    with pytest.raises(Conflict) as refused:
        preorder_balance_pay(buyer=buyer, preorder=preorder)
    assert refused.value.code == "deposit_unpaid"


def test_someone_elses_pre_order_is_not_found(campaign, paid):
    open_balance_window(campaign)
    with pytest.raises(NotFound):
        preorder_balance_pay(buyer=make_user(), preorder=paid)


def test_a_running_balance_payment_is_given_again_not_doubled(campaign, paid, buyer):
    open_balance_window(campaign)
    first = preorder_balance_pay(buyer=buyer, preorder=paid)
    assert preorder_balance_pay(buyer=buyer, preorder=paid).pk == first.pk


def test_paying_the_balance_makes_the_pre_order_fully_paid_with_all_of_it_in_escrow(
    campaign, paid, buyer
):
    open_balance_window(campaign)
    payment = preorder_balance_pay(buyer=buyer, preorder=paid)

    assert pay(payment) == NotifyOutcome.CREDITED

    paid = fresh(paid)
    assert paid.status == PreorderStatus.FULLY_PAID
    assert paid.balance_paid_at == clock.now()
    assert escrow_balance() == DEPOSIT + PRICE - CREDIT
    with pytest.raises(Conflict) as refused:
        preorder_balance_pay(buyer=buyer, preorder=paid)
    assert refused.value.code == "balance_already_paid"


def test_a_balance_paid_in_the_last_second_but_notified_after_the_default_is_refunded_in_full(
    campaign, paid, buyer
):
    clock.set_frozen(campaign.balance_ends_at - timedelta(minutes=1))
    payment = preorder_balance_pay(buyer=buyer, preorder=paid)
    clock.set_frozen(campaign.balance_ends_at - timedelta(seconds=1))
    late = sandbox.sandbox_pay(payment=payment).notification
    clock.set_frozen(campaign.balance_ends_at + timedelta(seconds=1))
    tasks.balance_defaults()

    assert notification_receive(params=late).outcome == NotifyOutcome.REFUNDING
    run_jobs()

    assert fresh(paid).status == PreorderStatus.DEFAULTED
    payment = fresh(payment)
    assert payment.status == PaymentStatus.PAID
    assert payment.refunded_fen == payment.amount_fen
