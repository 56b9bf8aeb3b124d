"""Real concurrent connections on PostgreSQL: a payout approved twice at once is
transferred once, two workers running its transfer at once pay once, and requests at
once never take more than the balance."""

from __future__ import annotations

import pytest

from designmall.accounts.roles import Role
from designmall.core.errors import Conflict, InvalidTransition
from designmall.core.ids import new_public_id
from designmall.core.models import Job
from designmall.ledger.models import LedgerTransaction, Payout, PayoutStatus
from designmall.ledger.services import (
    account_balance,
    escrow_receive_payment,
    escrow_release_to_seller,
    ledger_verify,
    seller_balance,
)
from designmall.payments.models import SandboxTransfer
from designmall.payments.payouts import (
    TRANSFER_JOB,
    payout_approve,
    payout_request,
    payout_transfer_execute,
)
from tests.factories import make_user
from tests.payments.conftest import run_jobs
from tests.payments.test_concurrency import at_once

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

BALANCE = 100_000


@pytest.fixture(autouse=True)
def _threshold(settings):
    settings.PAYOUT_SECOND_APPROVAL_FROM_FEN = 50_000


@pytest.fixture
def shop_id():
    shop = new_public_id("s")
    escrow_receive_payment(payment_ref="p_1", gateway="sandbox", amount_fen=BALANCE)
    escrow_release_to_seller(
        order_ref="o_1", shop_public_id=shop, amount_fen=BALANCE, commission_bp=0
    )
    return shop


def _request(shop_id, amount_fen):
    return payout_request(
        shop_public_id=shop_id,
        amount_fen=amount_fen,
        payee_account="seller@example.com",
        payee_name="张三",
    )


def _paid_once(shop_id, payout, amount_fen):
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert SandboxTransfer.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind="payout_sent").count() == 1
    assert account_balance("gateway:sandbox") == BALANCE - amount_fen
    assert seller_balance(shop_id) == BALANCE - amount_fen
    assert account_balance("payouts:pending") == 0
    assert ledger_verify() == []


@pytest.mark.parametrize("approvers", ["the same user twice", "two users"])
def test_a_payout_approved_twice_at_once_is_transferred_once(on_postgres, shop_id, approvers):
    payout = _request(shop_id, 30_000)
    first = make_user(role=Role.FINANCE)
    second = first if approvers == "the same user twice" else make_user(role=Role.FINANCE)

    results = at_once(
        lambda: payout_approve(payout=payout, by=first),
        lambda: payout_approve(payout=payout, by=second),
    )

    approved = [r for r in results if isinstance(r, Payout)]
    assert len(approved) == 1, results
    assert all(isinstance(r, InvalidTransition) for r in results if r not in approved)
    assert Job.objects.filter(name=TRANSFER_JOB).count() == 1
    run_jobs()
    _paid_once(shop_id, payout, 30_000)


def test_two_finance_users_approving_a_large_payout_at_once_make_one_transfer(on_postgres, shop_id):
    payout = _request(shop_id, 60_000)
    first, second = make_user(role=Role.FINANCE), make_user(role=Role.FINANCE)

    results = at_once(
        lambda: payout_approve(payout=payout, by=first),
        lambda: payout_approve(payout=payout, by=second),
    )

    assert all(isinstance(r, Payout) for r in results), results
    payout.refresh_from_db()
    assert {payout.approved_by, payout.second_approved_by} == {first, second}
    assert Job.objects.filter(name=TRANSFER_JOB).count() == 1
    run_jobs()
    _paid_once(shop_id, payout, 60_000)


def test_two_workers_running_one_transfer_at_once_pay_once(on_postgres, shop_id):
    payout = _request(shop_id, 30_000)
    payout_approve(payout=payout, by=make_user(role=Role.FINANCE))

    results = at_once(*[lambda: payout_transfer_execute(payout=payout) for _ in range(4)])

    assert all(isinstance(r, Payout) and r.status == PayoutStatus.PAID for r in results), results
    _paid_once(shop_id, payout, 30_000)


def test_requests_at_once_never_take_more_than_the_balance(on_postgres, shop_id):
    results = at_once(*[lambda: _request(shop_id, 30_000) for _ in range(6)])

    assert sum(isinstance(r, Payout) for r in results) == 3, results
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, Payout))
    assert seller_balance(shop_id) == 10_000
    assert ledger_verify() == []
