"""Payouts in the books: taken from the seller balance when requested, approved by one
or two finance users, sent from the gateway account or given back."""

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
    payout_approve,
    payout_reject,
    payout_request,
    payout_to_seller,
    payout_transfer_failed,
    payout_transfer_succeeded,
    seller_balance,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PAYEE = {"payee_account": "seller@example.com", "payee_name": "张三"}


@pytest.fixture(autouse=True)
def _threshold(settings):
    settings.PAYOUT_SECOND_APPROVAL_FROM_FEN = 800


@pytest.fixture
def funded(shop_id):
    """A seller with a balance of 1,000 fen."""
    escrow_receive_payment(payment_ref="p_1", gateway="sandbox", amount_fen=1_000)
    escrow_release_to_seller(
        order_ref="o_1", shop_public_id=shop_id, amount_fen=1_000, commission_bp=0
    )
    return shop_id


def _finance():
    user = make_user(role=None)
    user.user_permissions.add(Permission.objects.get(codename="approve_payout"))
    return user


@pytest.fixture
def finance():
    return _finance()


@pytest.fixture
def second_finance():
    return _finance()


def _request(shop_id, amount_fen=700, **extra):
    return payout_request(shop_public_id=shop_id, amount_fen=amount_fen, **{**PAYEE, **extra})


def test_a_payout_moves_the_seller_balance_to_pending_payouts(funded):
    payout_to_seller(payout_ref="po_1", shop_public_id=funded, amount_fen=600)

    assert seller_balance(funded) == 400
    assert account_balance("payouts:pending") == 600


def test_a_payout_beyond_the_balance_is_refused(funded):
    with pytest.raises(Conflict) as raised:
        payout_to_seller(payout_ref="po_1", shop_public_id=funded, amount_fen=1_001)

    assert raised.value.code == "insufficient_balance"
    assert "¥10.00" in raised.value.message  # says what can be withdrawn
    assert seller_balance(funded) == 1_000


def test_a_seller_without_an_account_has_nothing_to_pay_out(shop_id):
    with pytest.raises(Conflict):
        payout_to_seller(payout_ref="po_1", shop_public_id=shop_id, amount_fen=1)


def test_a_retried_payout_is_paid_once_even_when_the_rest_would_not_cover_it(funded):
    first = payout_to_seller(payout_ref="po_1", shop_public_id=funded, amount_fen=800)

    again = payout_to_seller(payout_ref="po_1", shop_public_id=funded, amount_fen=800)

    assert again.pk == first.pk
    assert seller_balance(funded) == 200


# --- requesting ---------------------------------------------------------------------------


def test_a_payout_request_takes_the_balance_at_once_and_is_recorded(funded):
    seller = make_user(role=None)

    payout = _request(funded, 700, by=seller)

    assert payout.status == PayoutStatus.REQUESTED
    assert (payout.payee_account, payout.payee_name) == ("seller@example.com", "张三")
    assert payout.out_biz_no == payout.public_id
    assert seller_balance(funded) == 300
    assert [e.action for e in audit_trail(payout)] == ["payout.request"]


def test_the_same_money_cannot_be_requested_twice(funded):
    _request(funded, 700)

    with pytest.raises(Conflict) as raised:
        _request(funded, 700)

    assert raised.value.code == "insufficient_balance"
    assert Payout.objects.count() == 1


def test_a_refused_payout_request_leaves_no_payout(funded):
    with pytest.raises(Conflict):
        _request(funded, 1_001)

    assert Payout.objects.count() == 0


def test_the_same_request_key_is_one_payout(funded):
    first = _request(funded, 400, request_key="form-1")

    again = _request(funded, 400, request_key="form-1")

    assert again.pk == first.pk
    assert seller_balance(funded) == 600


def test_the_same_request_key_for_another_amount_is_refused(funded):
    _request(funded, 400, request_key="form-1")

    with pytest.raises(Conflict) as raised:
        _request(funded, 500, request_key="form-1")

    assert raised.value.code == "idempotency_key_reused"


@pytest.mark.parametrize(
    "payee",
    [
        {"payee_account": "", "payee_name": "张三"},
        {"payee_account": "not an account", "payee_name": "张三"},
        {"payee_account": "13800138000", "payee_name": " "},
    ],
)
def test_a_payout_needs_an_alipay_account_and_name(funded, payee):
    with pytest.raises(ValidationFailed):
        payout_request(shop_public_id=funded, amount_fen=100, **payee)

    assert seller_balance(funded) == 1_000


def test_the_threshold_decides_how_many_approvals_a_payout_needs(funded):
    below = _request(funded, 799)
    escrow_receive_payment(payment_ref="p_2", gateway="sandbox", amount_fen=800)
    escrow_release_to_seller(
        order_ref="o_2", shop_public_id=funded, amount_fen=800, commission_bp=0
    )

    at = _request(funded, 800)

    assert (below.approvals_required, at.approvals_required) == (1, 2)


# --- approving ----------------------------------------------------------------------------


def test_one_finance_approval_below_the_threshold_approves_the_payout(funded, finance):
    payout = payout_approve(payout=_request(funded, 700), by=finance, gateway="sandbox")

    assert (payout.status, payout.approved_by, payout.gateway) == ("approved", finance, "sandbox")
    assert {e.action for e in audit_trail(payout)} == {"payout.request", "payout.approve"}


def test_from_the_threshold_a_second_finance_user_must_approve(funded, finance, second_finance):
    payout = _request(funded, 800)

    payout = payout_approve(payout=payout, by=finance, gateway="sandbox")
    assert payout.status == PayoutStatus.REQUESTED
    assert payout.awaiting_second_approval

    payout = payout_approve(payout=payout, by=second_finance, gateway="sandbox")
    assert payout.status == PayoutStatus.APPROVED
    assert (payout.approved_by, payout.second_approved_by) == (finance, second_finance)
    assert audit_trail(payout).filter(action="payout.approve_second").count() == 1


def test_the_first_approver_cannot_give_the_second_approval(funded, finance):
    payout = payout_approve(payout=_request(funded, 800), by=finance, gateway="sandbox")

    with pytest.raises(PermissionDenied) as raised:
        payout_approve(payout=payout, by=finance, gateway="sandbox")

    assert raised.value.code == "second_approver_required"
    assert Payout.objects.get().status == PayoutStatus.REQUESTED


def test_finance_cannot_approve_a_payout_they_requested(funded, finance):
    payout = _request(funded, 100, by=finance)

    with pytest.raises(PermissionDenied) as raised:
        payout_approve(payout=payout, by=finance, gateway="sandbox")

    assert raised.value.code == "own_payout"
    assert Payout.objects.get().status == PayoutStatus.REQUESTED


def test_only_finance_approves_payouts(funded):
    with pytest.raises(PermissionDenied):
        payout_approve(payout=_request(funded), by=make_user(role=None), gateway="sandbox")


def test_an_approved_payout_cannot_be_approved_again(funded, finance, second_finance):
    payout = payout_approve(payout=_request(funded, 100), by=finance, gateway="sandbox")

    with pytest.raises(InvalidTransition):
        payout_approve(payout=payout, by=second_finance, gateway="sandbox")


# --- rejecting ----------------------------------------------------------------------------


def test_a_rejected_payout_gives_the_amount_back_to_the_seller(funded, finance):
    payout = payout_reject(payout=_request(funded, 700), reason="户名与店铺不符", by=finance)

    assert (payout.status, payout.reject_reason) == ("rejected", "户名与店铺不符")
    assert seller_balance(funded) == 1_000
    assert account_balance("payouts:pending") == 0
    assert LedgerTransaction.objects.filter(kind="payout_rejected").count() == 1
    assert ledger_verify() == []


def test_a_half_approved_payout_can_still_be_rejected(funded, finance, second_finance):
    payout = payout_approve(payout=_request(funded, 800), by=finance, gateway="sandbox")

    payout_reject(payout=payout, reason="复核未通过", by=second_finance)

    assert seller_balance(funded) == 1_000


def test_an_approved_payout_cannot_be_rejected(funded, finance):
    payout = payout_approve(payout=_request(funded, 100), by=finance, gateway="sandbox")

    with pytest.raises(InvalidTransition):
        payout_reject(payout=payout, reason="太晚了", by=finance)
    assert seller_balance(funded) == 900


def test_rejecting_needs_a_reason(funded, finance):
    with pytest.raises(ValidationFailed):
        payout_reject(payout=_request(funded), reason=" ", by=finance)


# --- the transfer's outcome ---------------------------------------------------------------


def test_a_sent_payout_leaves_the_gateway_account(funded, finance):
    payout = payout_approve(payout=_request(funded, 700), by=finance, gateway="sandbox")

    payout = payout_transfer_succeeded(payout=payout, reference="2026120511")
    again = payout_transfer_succeeded(payout=payout, reference="2026120511")

    assert (again.status, again.reference) == ("paid", "2026120511")
    assert account_balance("gateway:sandbox") == 1_000 - 700
    assert account_balance("payouts:pending") == 0
    assert seller_balance(funded) == 300
    assert LedgerTransaction.objects.filter(kind="payout_sent").count() == 1
    assert ledger_verify() == []


def test_a_failed_transfer_gives_the_amount_back_once(funded, finance):
    payout = payout_approve(payout=_request(funded, 700), by=finance, gateway="sandbox")

    payout_transfer_failed(payout=payout, reason="PAYEE_NOT_EXIST")
    payout_transfer_failed(payout=payout, reason="PAYEE_NOT_EXIST")

    assert Payout.objects.get().status == PayoutStatus.FAILED
    assert seller_balance(funded) == 1_000
    assert account_balance("gateway:sandbox") == 1_000
    assert LedgerTransaction.objects.filter(kind="payout_reversed").count() == 1
    assert ledger_verify() == []


def test_a_payout_not_approved_cannot_be_sent(funded):
    with pytest.raises(InvalidTransition):
        payout_transfer_succeeded(payout=_request(funded), reference="x")
    assert account_balance("payouts:pending") == 700


def test_a_payout_requested_without_a_payee_cannot_be_approved_only_rejected(funded, finance):
    payout = _request(funded, 700)
    Payout.objects.filter(pk=payout.pk).update(payee_account="", out_biz_no=None)  # an old one

    with pytest.raises(Conflict) as raised:
        payout_approve(payout=payout, by=finance, gateway="sandbox")

    assert raised.value.code == "payout_without_payee"
    payout_reject(payout=payout, reason="请重新申请", by=finance)
    assert seller_balance(funded) == 1_000
