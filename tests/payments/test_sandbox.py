"""The sandbox behaves like Alipay: a cashier page, signed notifications delivered until
answered ``success``, and query/refund/close answered from its own record of the trade."""

from __future__ import annotations

import dataclasses
import stat
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from designmall.core import clock
from designmall.core.models import Job
from designmall.ledger.services import escrow_balance
from designmall.payments.gateways import rsa2, sandbox
from designmall.payments.gateways.base import TRADE_STATUS_ERROR, GatewayError
from designmall.payments.models import PaymentNotification, PaymentStatus, SandboxTrade
from tests.payments.conftest import NOTIFY_PATH, run_jobs, sandbox_keys_for_test

pytestmark = pytest.mark.django_db


def cashier(payment) -> str:
    return f"/payments/sandbox/{payment.out_trade_no}/"


# --- keys ---------------------------------------------------------------------------------


def test_keys_are_made_on_first_use_private_and_kept_for_every_process(settings, tmp_path):
    settings.PAYMENTS_SANDBOX_KEY_DIR = tmp_path / "keys"

    first = sandbox.sandbox_keys()
    again = sandbox.sandbox_keys()  # another process reads the same files

    for name in (sandbox.PLATFORM_KEY_FILE, sandbox.APP_KEY_FILE):
        mode = stat.S_IMODE((tmp_path / "keys" / name).stat().st_mode)
        assert mode == 0o600
    assert first.platform.private_numbers() == again.platform.private_numbers()
    assert first.app.private_numbers() != first.platform.private_numbers()
    assert list((tmp_path / "keys").glob(".new-*")) == []


def test_a_key_another_process_wrote_first_is_never_replaced(settings, tmp_path, keys):
    directory = tmp_path / "keys"
    directory.mkdir()
    (directory / sandbox.PLATFORM_KEY_FILE).write_bytes(rsa2.private_key_pem(keys.stranger))
    settings.PAYMENTS_SANDBOX_KEY_DIR = directory

    platform = sandbox.sandbox_keys().platform

    assert platform.private_numbers() == keys.stranger.private_numbers()


# --- the cashier flow ------------------------------------------------------------------------


def test_the_cashier_shows_amount_subject_and_a_qr_code_of_itself(client, make_payment):
    payment = make_payment(amount_fen=129_900, subject="设计周 · 落地灯")

    page = client.get(cashier(payment)).content.decode()

    assert "¥1,299.00" in page
    assert "设计周 · 落地灯" in page
    assert 'src="data:image/svg+xml;base64,' in page
    assert "确认付款" in page and "取消支付" in page


def test_paying_at_the_cashier_notifies_credits_and_returns_the_buyer(
    client, make_payment, checkouts
):
    payment = make_payment()

    response = client.post(cashier(payment) + "pay")

    assert response.status_code == 302
    back = urlsplit(response["Location"])
    assert back.path == "/payments/return/"
    returned = dict(parse_qsl(back.query))
    assert returned["out_trade_no"] == payment.out_trade_no
    assert returned["method"] == "alipay.trade.page.pay.return"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert checkouts.of("paid") == [("paid", payment.payable_id)]
    assert PaymentNotification.objects.get().verified
    # Delivered in process: the queued delivery has nothing left to do.
    assert Job.objects.get(name=sandbox.NOTIFY_JOB).done_at is not None
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="paid"' in page
    assert f"/checkouts/{payment.payable_id}/" in page


def test_paying_twice_credits_once(client, make_payment, checkouts):
    payment = make_payment()

    client.post(cashier(payment) + "pay")
    client.post(cashier(payment) + "pay")

    assert len(checkouts.of("paid")) == 1
    assert PaymentNotification.objects.count() == 1


def test_cancelling_at_the_cashier_credits_nothing(client, make_payment, checkouts):
    payment = make_payment()

    response = client.post(cashier(payment) + "cancel")
    page = client.get(response["Location"]).content.decode()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert checkouts.events == []
    assert escrow_balance() == 0
    assert 'data-status="pending"' in page
    assert cashier(payment) in page  # the buyer may still pay
    assert 'http-equiv="refresh"' not in page


def test_an_expired_trade_cannot_be_paid(client, make_payment, checkouts):
    payment = make_payment()
    clock.advance(timedelta(minutes=16))

    response = client.post(cashier(payment) + "pay", follow=True)

    assert "交易已关闭" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert checkouts.events == []


def test_the_cashier_is_gone_where_the_sandbox_is_switched_off(client, settings, make_payment):
    payment = make_payment()
    settings.PAYMENTS_SANDBOX_ENABLED = False

    assert client.get(cashier(payment)).status_code == 404
    assert client.post(cashier(payment) + "pay").status_code == 404


def test_an_unknown_trade_has_no_cashier(client, db):
    assert client.get("/payments/sandbox/DM2026112000000000/").status_code == 404


def test_the_return_page_polls_while_a_payment_is_being_confirmed(client, make_payment):
    payment = make_payment()

    page = client.get(
        "/payments/return/", {"out_trade_no": payment.out_trade_no, "trade_no": "2026"}
    ).content.decode()

    assert 'data-status="confirming"' in page
    assert 'http-equiv="refresh"' in page


# --- notification delivery by the worker ------------------------------------------------------


def test_the_worker_delivers_the_notification_to_the_notify_endpoint(
    make_payment, checkouts, worker_transport
):
    payment = make_payment()
    paid = sandbox.sandbox_pay(payment=payment)

    run_jobs()

    assert worker_transport.posts == [("http://testserver" + NOTIFY_PATH, paid.notification)]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert Job.objects.get(name=sandbox.NOTIFY_JOB).done_at is not None


def test_delivery_is_retried_with_backoff_until_answered_success(
    make_payment, checkouts, worker_transport
):
    payment = make_payment()
    sandbox.sandbox_pay(payment=payment)
    worker_transport.answers = ["failure", "<html>502</html>"]

    run_jobs()
    clock.advance(timedelta(seconds=15))
    run_jobs()
    assert len(worker_transport.posts) == 2
    clock.advance(timedelta(seconds=30))
    run_jobs()

    job = Job.objects.get(name=sandbox.NOTIFY_JOB)
    assert (job.attempts, job.done_at is not None) == (3, True)
    assert len(worker_transport.posts) == 3
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


# --- the sandbox's side of the protocol --------------------------------------------------------


def test_query_answers_from_the_sandbox_record(make_payment):
    payment = make_payment()
    gateway = sandbox.from_settings()
    assert gateway.query(payment).status == ""  # the buyer has not been to the cashier

    paid = sandbox.sandbox_pay(payment=payment)
    state = gateway.query(payment)

    assert state.paid
    assert (state.trade_no, state.total_fen) == (paid.notification["trade_no"], payment.amount_fen)


def test_a_paid_trade_cannot_be_closed(make_payment):
    payment = make_payment()
    sandbox.sandbox_pay(payment=payment)

    with pytest.raises(GatewayError) as raised:
        sandbox.from_settings().close(payment)

    assert raised.value.sub_code == TRADE_STATUS_ERROR


def test_a_closed_trade_cannot_be_paid(client, make_payment):
    payment = make_payment()
    client.get(cashier(payment))  # the buyer opened the cashier

    assert sandbox.from_settings().close(payment) is True
    response = client.post(cashier(payment) + "pay", follow=True)

    assert "交易已关闭" in response.content.decode()
    assert SandboxTrade.objects.get().status == "TRADE_CLOSED"


def test_the_sandbox_refuses_requests_not_signed_by_our_app_key(make_payment, keys):
    payment = make_payment()
    config = dataclasses.replace(sandbox.from_settings().config, app_private_key=keys.stranger)
    forged = sandbox.SandboxGateway(config, sandbox.SandboxServer(sandbox_keys_for_test(keys)))

    with pytest.raises(GatewayError) as raised:
        forged.query(payment)

    assert raised.value.sub_code == "isv.invalid-signature"
