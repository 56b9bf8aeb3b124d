"""Refunds: never more than was paid, each with its own request number, retried with it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import transaction

from designmall.core import clock
from designmall.core.errors import Conflict, ValidationFailed
from designmall.core.models import Job
from designmall.ledger.services import transactions_for
from designmall.payments.gateways import sandbox
from designmall.payments.models import PaymentStatus, Refund, RefundStatus, SandboxRefund
from designmall.payments.services import (
    REFUND_JOB,
    notification_receive,
    refund_create,
    refund_execute,
)
from tests.payments.conftest import notification_for, run_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(client, make_payment, checkouts):
    """A payment of ¥100.00, paid at the sandbox cashier and credited."""
    payment = make_payment(amount_fen=10_000)
    client.post(f"/payments/sandbox/{payment.out_trade_no}/pay")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    return payment


def refund(payment, amount_fen: int, reason: str = "尺寸不合适") -> Refund:
    return refund_create(payment=payment, amount_fen=amount_fen, reason=reason)


def test_a_refund_larger_than_what_was_paid_is_refused(paid):
    with pytest.raises(ValidationFailed) as refused:
        refund(paid, 10_001)

    assert refused.value.code == "refund_exceeds_paid"
    assert refused.value.details["refundable_fen"] == 10_000
    assert not Refund.objects.exists()


def test_partial_refunds_never_add_up_to_more_than_was_paid(paid):
    refund(paid, 6_000)

    with pytest.raises(ValidationFailed) as refused:
        refund(paid, 4_001)
    refund(paid, 4_000)

    assert refused.value.details["refundable_fen"] == 4_000
    paid.refresh_from_db()
    assert paid.refunded_fen == 10_000


@pytest.mark.parametrize("amount_fen", [0, -100, True])
def test_a_refund_must_be_a_positive_number_of_fen(paid, amount_fen):
    with pytest.raises(ValidationFailed) as refused:
        refund(paid, amount_fen)
    assert refused.value.code == "invalid_amount"


def test_an_unpaid_payment_cannot_be_refunded(make_payment):
    with pytest.raises(Conflict) as refused:
        refund(make_payment(), 100)
    assert refused.value.code == "payment_not_paid"


def test_each_partial_refund_is_its_own_request_made_once_at_the_gateway(paid, checkouts):
    first = refund(paid, 3_000)
    second = refund(paid, 2_000)

    run_jobs()

    assert first.out_request_no != second.out_request_no
    made = dict(SandboxRefund.objects.values_list("out_request_no", "amount_fen"))
    assert made == {first.out_request_no: 3_000, second.out_request_no: 2_000}
    assert {r.status for r in Refund.objects.all()} == {RefundStatus.SUCCEEDED}
    assert checkouts.of("refunded") == [
        ("refunded", paid.payable_id, 3_000),
        ("refunded", paid.payable_id, 2_000),
    ]
    # The payable books ordinary refunds itself (it knows whether money was released).
    assert transactions_for("refund", first.public_id).count() == 0


def test_a_refund_whose_answer_was_lost_is_retried_with_the_same_request_number(
    paid, checkouts, monkeypatch
):
    asked: list[str] = []
    answer = sandbox.SandboxServer.post_form

    def answer_lost_once(server, url, data, *, timeout):
        asked.append(json.loads(data["biz_content"])["out_request_no"])
        text = answer(server, url, data, timeout=timeout)  # the sandbox does refund
        if len(asked) == 1:
            raise TimeoutError("the answer never came back")
        return text

    monkeypatch.setattr(sandbox.SandboxServer, "post_form", answer_lost_once)
    made = refund(paid, 2_500)

    run_jobs()
    made.refresh_from_db()
    assert made.status == RefundStatus.PENDING
    clock.advance(timedelta(seconds=15))
    run_jobs()

    made.refresh_from_db()
    assert made.status == RefundStatus.SUCCEEDED
    assert asked == [made.out_request_no, made.out_request_no]
    assert list(SandboxRefund.objects.values_list("amount_fen", flat=True)) == [2_500]
    assert checkouts.of("refunded") == [("refunded", paid.payable_id, 2_500)]


def test_a_refund_the_gateway_refuses_fails_and_frees_its_amount(
    client, make_payment, checkouts, keys
):
    # Credited on a notification, but the sandbox holds no such trade: its refund is refused.
    payment = make_payment(amount_fen=10_000)
    notification_receive(params=notification_for(payment, keys))
    payment.refresh_from_db()
    made = refund(payment, 10_000)

    run_jobs()

    made.refresh_from_db()
    payment.refresh_from_db()
    assert made.status == RefundStatus.FAILED
    assert "ACQ.TRADE_NOT_EXIST" in made.failure
    assert payment.refunded_fen == 0
    assert checkouts.of("refunded") == []


def test_executing_a_finished_refund_again_changes_nothing(paid, checkouts):
    made = refund(paid, 1_000)
    run_jobs()

    refund_execute(refund=made)

    assert SandboxRefund.objects.count() == 1
    assert len(checkouts.of("refunded")) == 1


def test_a_refund_exists_only_if_its_transaction_commits(paid):
    with pytest.raises(RuntimeError), transaction.atomic():
        refund(paid, 1_000)
        raise RuntimeError("the caller's transaction fails")

    paid.refresh_from_db()
    assert paid.refunded_fen == 0
    assert not Refund.objects.exists()
    assert not Job.objects.filter(name=REFUND_JOB).exists()
