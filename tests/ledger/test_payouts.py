"""Payouts: taken from the seller balance when requested, settled by finance."""

import pytest
from django.contrib.auth.models import Permission

from designmall.core.audit import audit_trail
from designmall.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from designmall.ledger.models import LedgerTransaction, Payout, PayoutStatus
from designmall.ledger.services import (
    account_balance,
    escrow_receive_payment,
    escrow_release_to_seller,
    ledger_verify,
    payout_mark_failed,
    payout_mark_paid,
    payout_request,
    payout_to_seller,
    seller_balance,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(shop_id):
    """A seller with a balance of 1,000 fen."""
    escrow_receive_payment(payment_ref="p_1", gateway="sandbox", amount_fen=1_000)
    escrow_release_to_seller(
        order_ref="o_1", shop_public_id=shop_id, amount_fen=1_000, commission_bp=0
    )
    return shop_id


@pytest.fixture
def finance():
    user = make_user(role=None)
    user.user_permissions.add(Permission.objects.get(codename="settle_payout"))
    return user


def test_a_payout_moves_the_seller_balance_to_the_bank(funded):
    payout_to_seller(payout_ref="po_1", shop_public_id=funded, amount_fen=600)

    assert seller_balance(funded) == 400
    assert account_balance("bank:payouts") == -600


def test_a_payout_beyond_the_balance_is_refused(funded):
    with pytest.raises(Conflict) as raised:
        payout_to_seller(payout_ref="po_1", shop_public_id=funded, amount_fen=1_001)

    assert raised.value.code == "insufficient_balance"
    assert seller_balance(funded) == 1_000


def test_a_seller_without_an_account_has_nothing_to_pay_out(shop_id):
    with pytest.raises(Conflict):
        payout_to_seller(payout_ref="po_1", shop_public_id=shop_id, amount_fen=1)


def test_a_retried_payout_is_paid_once_even_when_the_rest_would_not_cover_it(funded):
    first = payout_to_seller(payout_ref="po_1", shop_public_id=funded, amount_fen=800)

    again = payout_to_seller(payout_ref="po_1", shop_public_id=funded, amount_fen=800)

    assert again.pk == first.pk
    assert seller_balance(funded) == 200


def test_a_payout_request_takes_the_balance_and_is_recorded(funded):
    seller = make_user(role=None)

    payout = payout_request(shop_public_id=funded, amount_fen=700, by=seller)

    assert payout.status == PayoutStatus.REQUESTED
    assert seller_balance(funded) == 300
    assert [e.action for e in audit_trail(payout)] == ["payout.request"]


def test_a_refused_payout_request_leaves_no_payout(funded):
    with pytest.raises(Conflict):
        payout_request(shop_public_id=funded, amount_fen=1_001)

    assert Payout.objects.count() == 0


def test_finance_marks_a_payout_paid_with_the_bank_reference(funded, finance):
    payout = payout_request(shop_public_id=funded, amount_fen=700)

    payout = payout_mark_paid(payout=payout, reference=" BANK-123 ", by=finance)

    assert (payout.status, payout.reference, payout.settled_by) == ("paid", "BANK-123", finance)
    assert seller_balance(funded) == 300


def test_a_failed_payout_gives_the_amount_back_to_the_seller(funded, finance):
    payout = payout_request(shop_public_id=funded, amount_fen=700)

    payout_mark_failed(payout=payout, reason="账户名不符", by=finance)

    assert seller_balance(funded) == 1_000
    assert account_balance("bank:payouts") == 0
    assert LedgerTransaction.objects.filter(kind="payout_reversed").count() == 1
    assert ledger_verify() == []


def test_a_settled_payout_cannot_be_settled_again(funded, finance):
    payout = payout_request(shop_public_id=funded, amount_fen=700)
    payout_mark_failed(payout=payout, reason="账户名不符", by=finance)

    with pytest.raises(InvalidTransition):
        payout_mark_paid(payout=payout, reference="BANK-1", by=finance)
    with pytest.raises(InvalidTransition):
        payout_mark_failed(payout=payout, reason="again", by=finance)
    assert seller_balance(funded) == 1_000


def test_only_finance_settles_payouts(funded):
    payout = payout_request(shop_public_id=funded, amount_fen=700)

    with pytest.raises(PermissionDenied):
        payout_mark_paid(payout=payout, reference="BANK-1", by=make_user(role=None))


@pytest.mark.parametrize("reference", ["", "   ", "x" * 101])
def test_marking_paid_needs_a_bank_reference(funded, finance, reference):
    payout = payout_request(shop_public_id=funded, amount_fen=700)

    with pytest.raises(ValidationFailed):
        payout_mark_paid(payout=payout, reference=reference, by=finance)


def test_marking_failed_needs_a_reason(funded, finance):
    payout = payout_request(shop_public_id=funded, amount_fen=700)

    with pytest.raises(ValidationFailed):
        payout_mark_failed(payout=payout, reason=" ", by=finance)
