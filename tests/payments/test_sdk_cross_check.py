"""Our RSA2 signing and verification agree with an independent implementation:
the python-alipay-sdk package (a test-only dependency)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from alipay import AliPay

from designmall.payments.gateways import rsa2, sandbox
from designmall.payments.gateways.alipay import AlipayConfig, AlipayGateway
from designmall.payments.models import Payment, PaymentStatus
from tests.payments.conftest import post_notify, sandbox_keys_for_test

pytestmark = pytest.mark.django_db


def sdk(*, app_key, alipay_public_key, appid: str = sandbox.SANDBOX_APP_ID) -> AliPay:
    return AliPay(
        appid=appid,
        app_notify_url=None,
        app_private_key_string=rsa2.private_key_pem(app_key).decode(),
        alipay_public_key_string=rsa2.public_key_pem(alipay_public_key).decode(),
        sign_type="RSA2",
    )


def test_the_sdk_verifies_the_sandbox_notifications(make_payment, keys):
    payment = make_payment()
    params = dict(sandbox.sandbox_pay(payment=payment).notification)
    client = sdk(app_key=keys.app, alipay_public_key=keys.sandbox_platform.public_key())

    signature = params.pop("sign")

    assert client.verify(dict(params), signature)
    params["total_amount"] = "0.01"
    assert not client.verify(dict(params), signature)


def test_the_sdk_verifies_the_sandbox_return_parameters(make_payment, keys):
    params = dict(sandbox.sandbox_pay(payment=make_payment()).return_params)
    client = sdk(app_key=keys.app, alipay_public_key=keys.sandbox_platform.public_key())

    signature = params.pop("sign")

    assert client.verify(params, signature)


def test_our_verifier_accepts_a_notification_the_sdk_signs(client, make_payment, checkouts, keys):
    payment = make_payment(amount_fen=25_800)
    # The SDK plays Alipay: it signs with the key the sandbox's public key stands for.
    alipay_side = sdk(app_key=keys.sandbox_platform, alipay_public_key=keys.app.public_key())
    notification = {
        "notify_time": "2026-11-20 17:31:02",
        "notify_type": "trade_status_sync",
        "notify_id": "ac05099524730693a8b330c5ecf72da9786",
        "app_id": sandbox.SANDBOX_APP_ID,
        "charset": "utf-8",
        "version": "1.0",
        "trade_no": "2026112022001404000000000042",
        "out_trade_no": payment.out_trade_no,
        "buyer_id": "2088102122524333",
        "seller_id": sandbox.SANDBOX_SELLER_ID,
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "258.00",
        "receipt_amount": "258.00",
        "subject": payment.subject,
        "gmt_payment": "2026-11-20 17:31:01",
    }
    signed = dict(parse_qsl(alipay_side.sign_data(dict(notification))))
    signed["sign_type"] = "RSA2"  # sent, but outside the signature, as Alipay does

    response = post_notify(client, signed)

    assert response.content == b"success"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


def test_our_request_signature_is_the_one_the_sdk_computes(keys):
    payment = Payment(
        out_trade_no="DM20261120" + "c3" * 16,
        amount_fen=9_900,
        subject="设计周 · 海报 + 明信片",
        expires_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
    )
    config = AlipayConfig(
        app_id="2021004100000001",
        app_private_key=keys.app,
        alipay_public_key=keys.alipay.public_key(),
        gateway_url="https://openapi.alipay.com/gateway.do",
        notify_url="https://mall.example.com/payments/alipay/notify",
        return_url="https://mall.example.com/payments/return/",
    )
    params = dict(parse_qsl(urlsplit(AlipayGateway(config).create(payment).url).query))
    ours = params.pop("sign")
    client = sdk(app_key=keys.app, alipay_public_key=keys.alipay.public_key())

    theirs = dict(parse_qsl(client.sign_data(params)))["sign"]

    assert ours == theirs  # PKCS#1 v1.5 is deterministic: same text and key, same signature


def test_the_sdk_verifies_the_sandbox_server_answers(make_payment, keys):
    payment = make_payment()
    sandbox.sandbox_pay(payment=payment)
    server = sandbox.SandboxServer(sandbox_keys_for_test(keys))
    gateway = sandbox.from_settings()
    request = gateway.signed_params("alipay.trade.query", {"out_trade_no": payment.out_trade_no})
    client = sdk(app_key=keys.sandbox_app, alipay_public_key=keys.sandbox_platform.public_key())

    raw = server.post_form("sandbox://gateway.do", request, timeout=1)
    answer = client._verify_and_return_sync_response(raw, "alipay_trade_query_response")

    assert answer["trade_status"] == "TRADE_SUCCESS"
    assert answer["total_amount"] == "129.00"
