"""The Alipay gateway's transfer (``alipay.fund.trans.uni.transfer``) for seller payouts:
a signed request with the payout's own out_biz_no, a verified answer, and failures that
say whether asking again with the same number may succeed."""

from __future__ import annotations

import pytest

from designmall.payments.gateways import rsa2
from designmall.payments.gateways.base import GatewayError
from tests.payments.test_alipay_gateway import GATEWAY_URL, FakeAlipay, gateway

pytestmark = pytest.mark.django_db

TRANSFER = {
    "out_biz_no": "po_0123456789abcdef",
    "amount_fen": 123_456,
    "payee_account": "seller@example.com",
    "payee_name": "张三",
    "title": "Design Mall 卖家提现 po_0123456789abcdef",
}


def answer(**fields):
    return {
        "code": "10000",
        "msg": "Success",
        "out_biz_no": TRANSFER["out_biz_no"],
        "order_id": "20261205020070011500000000000001",
        "pay_fund_order_id": "20261205110070001500000000000001",
        "status": "SUCCESS",
        "trans_date": "2026-12-05 11:30:00",
        **fields,
    }


def test_a_transfer_posts_the_signed_transfer_request(keys):
    fake = FakeAlipay(keys.alipay, answer())

    result = gateway(keys, fake).transfer(**TRANSFER)

    url, form = fake.calls[0]
    assert url == GATEWAY_URL
    assert form["method"] == "alipay.fund.trans.uni.transfer"
    assert rsa2.verify(keys.app.public_key(), rsa2.request_content(form), form["sign"])
    assert fake.biz == {
        "out_biz_no": "po_0123456789abcdef",
        "trans_amount": "1234.56",
        "product_code": "TRANS_ACCOUNT_NO_PWD",
        "biz_scene": "DIRECT_TRANSFER",
        "order_title": "Design Mall 卖家提现 po_0123456789abcdef",
        "payee_info": {
            "identity": "seller@example.com",
            "identity_type": "ALIPAY_LOGON_ID",
            "name": "张三",
        },
    }
    assert (result.status, result.order_id) == ("SUCCESS", "20261205020070011500000000000001")


def test_a_transfer_still_processing_is_asked_again_later(keys):
    fake = FakeAlipay(keys.alipay, answer(status="DEALING"))

    with pytest.raises(GatewayError) as raised:
        gateway(keys, fake).transfer(**TRANSFER)

    assert raised.value.retryable


@pytest.mark.parametrize("sub_code", ["SYSTEM_ERROR", "PAYER_BALANCE_NOT_ENOUGH"])
def test_a_busy_gateway_or_a_low_balance_is_retryable(keys, sub_code):
    body = {"code": "40004", "msg": "Business Failed", "sub_code": sub_code, "sub_msg": "x"}

    with pytest.raises(GatewayError) as raised:
        gateway(keys, FakeAlipay(keys.alipay, body)).transfer(**TRANSFER)

    assert raised.value.retryable


def test_an_unknown_payee_is_a_final_refusal(keys):
    body = {"code": "40004", "msg": "Business Failed", "sub_code": "PAYEE_NOT_EXIST"}

    with pytest.raises(GatewayError) as raised:
        gateway(keys, FakeAlipay(keys.alipay, body)).transfer(**TRANSFER)

    assert (raised.value.sub_code, raised.value.retryable) == ("PAYEE_NOT_EXIST", False)


def test_a_lost_answer_is_retryable(keys):
    with pytest.raises(GatewayError) as raised:
        gateway(keys, FakeAlipay(keys.alipay, error=TimeoutError("timed out"))).transfer(**TRANSFER)

    assert raised.value.retryable


def test_an_answer_for_another_transfer_is_not_believed(keys):
    fake = FakeAlipay(keys.alipay, answer(out_biz_no="po_someoneelse0000"))

    with pytest.raises(GatewayError) as raised:
        gateway(keys, fake).transfer(**TRANSFER)

    assert raised.value.code == "bad_response"
