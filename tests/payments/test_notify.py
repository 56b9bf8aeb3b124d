"""The notify endpoint: only a verified, matching notification credits a payment, once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.ledger.services import escrow_balance, ledger_verify, transactions_for
from designmall.payments.gateways import rsa2, sandbox
from designmall.payments.models import (
    NotifyOutcome,
    Payment,
    PaymentNotification,
    PaymentStatus,
    Refund,
    RefundStatus,
    SandboxTrade,
)
from designmall.payments.services import payment_close
from tests.payments.conftest import NOTIFY_PATH, notification_for, post_notify, run_jobs

pytestmark = pytest.mark.django_db


def recorded(payment: Payment | None = None) -> list[tuple]:
    return list(
        PaymentNotification.objects.order_by("id").values_list(
            "payment_id", "verified", "outcome", "answer"
        )
    )


def assert_untouched(payment: Payment, checkouts) -> None:
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert payment.paid_at is None
    assert checkouts.events == []
    assert transactions_for("payment", payment.public_id).count() == 0


def test_a_valid_notification_credits_the_payment_into_escrow_once(
    client, make_payment, checkouts, keys
):
    payment = make_payment(amount_fen=12_900)

    response = post_notify(client, notification_for(payment, keys))

    assert response.status_code == 200
    assert response.content == b"success"
    assert response["Content-Type"].startswith("text/plain")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert payment.trade_no == "2026112022001400000000000001"
    assert payment.paid_at is not None
    assert checkouts.of("paid") == [("paid", payment.payable_id)]
    assert escrow_balance() == 12_900
    assert recorded() == [(payment.pk, True, NotifyOutcome.CREDITED, "success")]


def test_the_same_notification_ten_times_credits_once_and_answers_success_each_time(
    client, make_payment, checkouts, keys
):
    payment = make_payment()
    params = notification_for(payment, keys)

    answers = [post_notify(client, params).content for _ in range(10)]

    assert answers == [b"success"] * 10
    assert checkouts.of("paid") == [("paid", payment.payable_id)]
    assert transactions_for("payment", payment.public_id).count() == 1
    assert [row[2] for row in recorded()] == ["credited"] + ["duplicate"] * 9


def test_a_notification_replayed_after_completion_changes_nothing(
    client, make_payment, checkouts, keys
):
    payment = make_payment()
    params = notification_for(payment, keys)
    post_notify(client, params)
    payment.refresh_from_db()
    paid_at = payment.paid_at
    clock.advance(timedelta(days=3))

    replay = post_notify(client, params)
    finished = post_notify(client, notification_for(payment, keys, trade_status="TRADE_FINISHED"))

    assert (replay.content, finished.content) == (b"success", b"success")
    payment.refresh_from_db()
    assert (payment.status, payment.paid_at) == (PaymentStatus.PAID, paid_at)
    assert len(checkouts.of("paid")) == 1
    assert escrow_balance() == payment.amount_fen
    assert [row[2] for row in recorded()][1:] == ["duplicate", "duplicate"]


def test_trade_finished_credits_like_trade_success(client, make_payment, checkouts, keys):
    payment = make_payment()

    response = post_notify(client, notification_for(payment, keys, trade_status="TRADE_FINISHED"))

    assert response.content == b"success"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


def test_a_notification_signed_with_another_key_credits_nothing_and_is_recorded(
    client, make_payment, checkouts, keys
):
    payment = make_payment()

    response = post_notify(client, notification_for(payment, keys, signer=keys.stranger))

    assert response.content == b"failure"
    assert_untouched(payment, checkouts)
    assert recorded() == [(payment.pk, False, NotifyOutcome.BAD_SIGNATURE, "failure")]


def test_a_notification_without_a_signature_credits_nothing(client, make_payment, checkouts, keys):
    payment = make_payment()
    params = notification_for(payment, keys)
    del params["sign"]

    assert post_notify(client, params).content == b"failure"
    assert_untouched(payment, checkouts)


def test_an_amount_altered_after_signing_fails_verification(client, make_payment, checkouts, keys):
    payment = make_payment(amount_fen=12_900)
    params = notification_for(payment, keys)
    params["total_amount"] = "0.01"

    assert post_notify(client, params).content == b"failure"
    assert_untouched(payment, checkouts)
    assert recorded()[0][2] == NotifyOutcome.BAD_SIGNATURE


def test_a_signed_notification_of_another_amount_is_refused(client, make_payment, checkouts, keys):
    payment = make_payment(amount_fen=12_900)

    response = post_notify(client, notification_for(payment, keys, total_amount="128.99"))

    assert response.content == b"failure"
    assert_untouched(payment, checkouts)
    assert recorded() == [(payment.pk, True, NotifyOutcome.AMOUNT_MISMATCH, "failure")]


def test_a_notification_for_another_app_is_refused(client, make_payment, checkouts, keys):
    payment = make_payment()

    response = post_notify(client, notification_for(payment, keys, app_id="2021000000009999"))

    assert response.content == b"failure"
    assert_untouched(payment, checkouts)
    assert recorded()[0][2] == NotifyOutcome.APP_ID_MISMATCH


def test_a_notification_paying_another_seller_is_refused(client, make_payment, checkouts, keys):
    payment = make_payment()

    response = post_notify(client, notification_for(payment, keys, seller_id="2088999999999999"))

    assert response.content == b"failure"
    assert_untouched(payment, checkouts)
    assert recorded()[0][2] == NotifyOutcome.SELLER_ID_MISMATCH


def test_a_notification_of_an_unknown_trade_is_refused_and_recorded(
    client, make_payment, checkouts, keys
):
    payment = make_payment()
    params = notification_for(payment, keys, out_trade_no="DM20261120" + "0" * 32)

    assert post_notify(client, params).content == b"failure"
    assert_untouched(payment, checkouts)
    assert recorded() == [(None, True, NotifyOutcome.UNKNOWN_TRADE, "failure")]


def test_wait_buyer_pay_answers_success_and_changes_nothing(client, make_payment, checkouts, keys):
    payment = make_payment()

    response = post_notify(client, notification_for(payment, keys, trade_status="WAIT_BUYER_PAY"))

    assert response.content == b"success"
    assert_untouched(payment, checkouts)
    assert recorded()[0][2] == NotifyOutcome.IGNORED


def test_notify_takes_only_post(client):
    assert client.get(NOTIFY_PATH).status_code == 405


def test_sandbox_notifications_are_refused_where_the_sandbox_is_switched_off(
    client, settings, make_payment, checkouts, keys
):
    payment = make_payment()
    settings.PAYMENTS_SANDBOX_ENABLED = False

    assert post_notify(client, notification_for(payment, keys)).content == b"failure"
    assert_untouched(payment, checkouts)
    assert recorded()[0][2] == NotifyOutcome.ERROR


def test_a_sandbox_signed_notification_cannot_pay_an_alipay_payment(
    client, alipay_configured, make_payment, checkouts, keys
):
    payment = make_payment(gateway="alipay")
    params = notification_for(payment, keys, app_id=alipay_configured.ALIPAY_APP_ID)
    params.pop("seller_id")
    params["sign"] = rsa2.sign(keys.sandbox_platform, rsa2.notification_content(params))

    assert post_notify(client, params).content == b"failure"
    assert_untouched(payment, checkouts)
    assert recorded()[0][2] == NotifyOutcome.BAD_SIGNATURE


def test_an_alipay_signed_notification_pays_an_alipay_payment(
    client, alipay_configured, make_payment, checkouts, keys
):
    payment = make_payment(gateway="alipay")
    params = notification_for(
        payment,
        keys,
        signer=keys.alipay,
        app_id=alipay_configured.ALIPAY_APP_ID,
        seller_id=alipay_configured.ALIPAY_SELLER_ID,
    )

    assert post_notify(client, params).content == b"success"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


# --- money that arrives for something no longer payable -------------------------------------


def paid_at_sandbox(payment: Payment) -> dict:
    """The buyer pays at the sandbox; its notification (the worker would deliver it)."""
    return sandbox.sandbox_pay(payment=payment).notification


def assert_refunded_in_full(payment: Payment) -> Refund:
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert payment.refunded_fen == payment.amount_fen
    refund = payment.refunds.get()
    assert refund.automatic
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.amount_fen == payment.amount_fen
    trade = SandboxTrade.objects.get(out_trade_no=payment.out_trade_no)
    assert (trade.refunded_fen, trade.status) == (payment.amount_fen, "TRADE_CLOSED")
    assert transactions_for("payment", payment.public_id).count() == 1
    assert transactions_for("refund", refund.public_id).count() == 1
    assert escrow_balance() == 0
    assert ledger_verify() == []
    return refund


def test_a_payment_for_an_expired_payable_is_recorded_and_refunded_in_full(
    client, make_payment, checkouts
):
    payment = make_payment()
    checkouts.unpayable.add(payment.payable_id)

    response = post_notify(client, paid_at_sandbox(payment))
    run_jobs()

    assert response.content == b"success"
    assert recorded()[0][2] == NotifyOutcome.REFUNDING
    assert_refunded_in_full(payment)
    assert checkouts.events == []  # automatic refunds are payments' own business


def test_a_payment_arriving_after_the_payment_closed_is_refunded_in_full(
    client, make_payment, checkouts
):
    payment = make_payment()
    params = paid_at_sandbox(payment)
    payment_close(payment=payment)

    response = post_notify(client, params)
    run_jobs()

    assert response.content == b"success"
    assert_refunded_in_full(payment)
    assert checkouts.events == [("expired", payment.payable_id)]


def test_a_payment_the_payable_refuses_is_refunded_in_full(client, make_payment, checkouts):
    payment = make_payment()
    checkouts.refusing.add(payment.payable_id)

    assert post_notify(client, paid_at_sandbox(payment)).content == b"success"
    run_jobs()

    assert_refunded_in_full(payment)
