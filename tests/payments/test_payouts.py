"""Payouts through the gateway: the last approval queues one transfer, made with the
payout's own out_biz_no however often it is asked, and a final failure gives the money
back. The sandbox stands in for Alipay's transfer API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from designmall.accounts.roles import Role
from designmall.core import clock
from designmall.core.audit import audit_trail
from designmall.core.errors import Conflict, PermissionDenied
from designmall.core.ids import new_public_id
from designmall.core.models import Job
from designmall.ledger.models import LedgerTransaction, PayoutStatus
from designmall.ledger.services import (
    account_balance,
    escrow_receive_payment,
    escrow_release_to_seller,
    ledger_verify,
    seller_balance,
)
from designmall.payments.gateways import get_gateway, sandbox
from designmall.payments.gateways.base import GatewayError
from designmall.payments.models import SandboxTransfer
from designmall.payments.payouts import (
    TRANSFER_JOB,
    payout_approve,
    payout_reject,
    payout_request,
    payout_transfer_execute,
    payout_transfer_retry,
)
from tests.factories import make_user
from tests.payments.conftest import run_jobs

pytestmark = pytest.mark.django_db

BALANCE = 100_000


@pytest.fixture(autouse=True)
def _threshold(settings):
    settings.PAYOUT_SECOND_APPROVAL_FROM_FEN = 50_000  # ¥500.00


@pytest.fixture
def shop_id():
    shop = new_public_id("s")
    escrow_receive_payment(payment_ref="p_1", gateway="sandbox", amount_fen=BALANCE)
    escrow_release_to_seller(
        order_ref="o_1", shop_public_id=shop, amount_fen=BALANCE, commission_bp=0
    )
    return shop


@pytest.fixture
def finance():
    return make_user(role=Role.FINANCE)


@pytest.fixture
def second_finance():
    return make_user(role=Role.FINANCE)


def _request(shop_id, amount_fen=30_000, account="seller@example.com"):
    return payout_request(
        shop_public_id=shop_id,
        amount_fen=amount_fen,
        payee_account=account,
        payee_name="张三",
        by=make_user(role=Role.SELLER),
    )


class Recording:
    """Wraps the sandbox server: records each transfer request's biz content and can
    lose the answers of the first ``lose`` calls after the sandbox acted on them."""

    def __init__(self, monkeypatch, *, lose: int = 0):
        self.calls: list[dict] = []
        self.lose = lose
        real = sandbox.SandboxServer.post_form

        def post_form(server, url, data, *, timeout):
            if data.get("method") == "alipay.fund.trans.uni.transfer":
                self.calls.append(json.loads(data["biz_content"]))
            answer = real(server, url, data, timeout=timeout)
            if self.lose:
                self.lose -= 1
                raise TimeoutError("the answer was lost on the way back")
            return answer

        monkeypatch.setattr(sandbox.SandboxServer, "post_form", post_form)


def test_one_approval_below_the_threshold_transfers_the_payout(shop_id, finance):
    payout = _request(shop_id, 30_000)

    payout_approve(payout=payout, by=finance)
    run_jobs()

    payout.refresh_from_db()
    (transfer,) = SandboxTransfer.objects.all()
    assert payout.status == PayoutStatus.PAID
    assert payout.reference == transfer.order_id
    assert (transfer.out_biz_no, transfer.amount_fen) == (payout.out_biz_no, 30_000)
    assert (transfer.payee_account, transfer.payee_name) == ("seller@example.com", "张三")
    assert seller_balance(shop_id) == BALANCE - 30_000
    assert account_balance("gateway:sandbox") == BALANCE - 30_000
    assert account_balance("payouts:pending") == 0
    assert ledger_verify() == []
    assert {"payout.request", "payout.approve", "payout.paid"} <= {
        e.action for e in audit_trail(payout)
    }


def test_from_the_threshold_nothing_is_transferred_until_a_second_user_approves(
    shop_id, finance, second_finance
):
    payout = _request(shop_id, 50_000)

    payout_approve(payout=payout, by=finance)
    run_jobs()
    assert SandboxTransfer.objects.count() == 0
    assert not Job.objects.filter(name=TRANSFER_JOB).exists()

    payout_approve(payout=payout, by=second_finance)
    run_jobs()
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert SandboxTransfer.objects.count() == 1


def test_a_payout_cannot_be_approved_by_the_finance_user_who_requested_it(shop_id, finance):
    own = payout_request(
        shop_public_id=shop_id,
        amount_fen=1_000,
        payee_account="13800138000",
        payee_name="张三",
        by=finance,
    )

    with pytest.raises(PermissionDenied):
        payout_approve(payout=own, by=finance)
    run_jobs()
    assert SandboxTransfer.objects.count() == 0


def test_a_repeated_transfer_job_asks_with_the_same_out_biz_no_and_the_sandbox_pays_once(
    shop_id, finance, monkeypatch
):
    sandbox_answers = Recording(monkeypatch, lose=1)  # paid, but the answer is lost
    payout = _request(shop_id, 30_000)
    payout_approve(payout=payout, by=finance)

    run_jobs()
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.APPROVED  # not known to be paid: asked again later
    clock.advance(timedelta(minutes=5))
    run_jobs()

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert [c["out_biz_no"] for c in sandbox_answers.calls] == [payout.out_biz_no] * 2
    assert SandboxTransfer.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind="payout_sent").count() == 1
    assert account_balance("gateway:sandbox") == BALANCE - 30_000
    assert ledger_verify() == []


def test_running_the_transfer_of_a_paid_payout_again_calls_nobody(shop_id, finance, monkeypatch):
    payout = _request(shop_id)
    payout_approve(payout=payout, by=finance)
    run_jobs()
    sandbox_answers = Recording(monkeypatch)

    payout_transfer_execute(payout=payout)

    assert sandbox_answers.calls == []
    assert SandboxTransfer.objects.count() == 1


def test_the_sandbox_answers_a_repeated_transfer_with_the_first_result(db):
    gateway = get_gateway("sandbox")
    asked = {"amount_fen": 1_000, "payee_account": "a@example.com", "payee_name": "张三"}

    first = gateway.transfer(out_biz_no="po_1", title="提现", **asked)
    again = gateway.transfer(out_biz_no="po_1", title="提现", **asked)

    assert again == first
    assert first.status == "SUCCESS"
    assert SandboxTransfer.objects.count() == 1


def test_the_sandbox_refuses_the_same_out_biz_no_for_another_amount(db):
    gateway = get_gateway("sandbox")
    payee = {"payee_account": "a@example.com", "payee_name": "张三", "title": "提现"}
    gateway.transfer(out_biz_no="po_1", amount_fen=1_000, **payee)

    with pytest.raises(GatewayError) as raised:
        gateway.transfer(out_biz_no="po_1", amount_fen=2_000, **payee)

    assert raised.value.sub_code == "PAYMENT_INFO_INCONSISTENCY"
    assert not raised.value.retryable
    assert SandboxTransfer.objects.get().amount_fen == 1_000


def test_a_refused_transfer_gives_the_money_back_to_the_seller(shop_id, finance):
    payout = _request(shop_id, 30_000, account="nobody@example.invalid")
    payout_approve(payout=payout, by=finance)

    run_jobs()

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED
    assert "PAYEE_NOT_EXIST" in payout.failure_reason
    assert seller_balance(shop_id) == BALANCE
    assert account_balance("gateway:sandbox") == BALANCE
    assert account_balance("payouts:pending") == 0
    assert SandboxTransfer.objects.count() == 0
    assert ledger_verify() == []
    assert audit_trail(payout).filter(action="payout.failed").count() == 1


def test_a_transfer_that_keeps_failing_retryably_stays_approved_for_finance_to_retry(
    shop_id, finance, monkeypatch
):
    def busy(server, url, data, *, timeout):
        raise TimeoutError("Alipay does not answer")

    monkeypatch.setattr(sandbox.SandboxServer, "post_form", busy)
    payout = _request(shop_id)
    payout_approve(payout=payout, by=finance)
    for _ in range(12):
        run_jobs()
        clock.advance(timedelta(hours=2))

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.APPROVED  # the outcome is unknown: never given back
    assert Job.objects.get(name=TRANSFER_JOB).failed_at is not None
    assert seller_balance(shop_id) == BALANCE - 30_000

    monkeypatch.undo()
    payout_transfer_retry(payout=payout, by=finance)
    run_jobs()
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID


def test_only_an_approved_payout_can_have_its_transfer_retried(shop_id, finance):
    with pytest.raises(Conflict):
        payout_transfer_retry(payout=_request(shop_id), by=finance)


def test_a_rejected_payout_is_never_transferred(shop_id, finance):
    payout = payout_reject(payout=_request(shop_id), reason="身份未核实", by=finance)

    run_jobs()

    assert payout.status == PayoutStatus.REJECTED
    assert SandboxTransfer.objects.count() == 0
    assert seller_balance(shop_id) == BALANCE
