"""The Alipay gateway speaks the open platform's protocol: signed requests, verified answers.

No network: the transport is a fake that answers as Alipay would, signing with
the test session's stand-in for Alipay's key.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from designmall.core import clock
from designmall.payments.gateways import rsa2
from designmall.payments.gateways.alipay import (
    AlipayConfig,
    AlipayGateway,
    from_settings,
    response_members,
)
from designmall.payments.gateways.base import GatewayError, GatewayUnavailable
from designmall.payments.models import Payment

pytestmark = pytest.mark.django_db
MOMENT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)  # 17:30 in Beijing
GATEWAY_URL = "https://openapi.alipay.com/gateway.do"


class FakeAlipay:
    """A transport answering every call with ``body`` as ``<method>_response``, signed."""

    def __init__(self, alipay_key, body=None, *, raw=None, error: Exception | None = None):
        self.alipay_key = alipay_key
        self.body = body or {"code": "10000", "msg": "Success"}
        self.raw = raw
        self.error = error
        self.calls: list[tuple[str, dict]] = []

    def post_form(self, url, data, *, timeout):
        self.calls.append((url, dict(data)))
        if self.error:
            raise self.error
        if self.raw is not None:
            return self.raw
        text = json.dumps(self.body, ensure_ascii=False, separators=(",", ":"))
        name = data["method"].replace(".", "_") + "_response"
        return f'{{"{name}":{text},"sign":"{rsa2.sign(self.alipay_key, text)}"}}'

    @property
    def biz(self) -> dict:
        return json.loads(self.calls[-1][1]["biz_content"])


def gateway(keys, transport=None) -> AlipayGateway:
    config = AlipayConfig(
        app_id="2021004100000001",
        app_private_key=keys.app,
        alipay_public_key=keys.alipay.public_key(),
        gateway_url=GATEWAY_URL,
        notify_url="https://mall.example.com/payments/alipay/notify",
        return_url="https://mall.example.com/payments/return/",
        seller_id="2088410000000001",
    )
    return AlipayGateway(config, transport)


def trade(amount_fen: int = 12_900) -> Payment:
    return Payment(
        out_trade_no="DM20261120" + "a1" * 16,
        gateway="alipay",
        amount_fen=amount_fen,
        subject="设计周 · 灯具",
        created_at=MOMENT,
        expires_at=MOMENT.replace(minute=45),
    )


def query_params(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


# --- buyer-facing pay URLs -------------------------------------------------------------------


def test_page_pay_is_a_signed_get_url_to_the_gateway(keys):
    with clock.frozen_at(MOMENT):
        url = gateway(keys).create(trade(), channel="page").url

    assert url.startswith(GATEWAY_URL + "?")
    params = query_params(url)
    assert {k: v for k, v in params.items() if k not in {"sign", "biz_content"}} == {
        "app_id": "2021004100000001",
        "method": "alipay.trade.page.pay",
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": "2026-11-20 17:30:00",
        "version": "1.0",
        "notify_url": "https://mall.example.com/payments/alipay/notify",
        "return_url": "https://mall.example.com/payments/return/",
    }
    assert json.loads(params["biz_content"]) == {
        "out_trade_no": "DM20261120" + "a1" * 16,
        "total_amount": "129.00",
        "subject": "设计周 · 灯具",
        "product_code": "FAST_INSTANT_TRADE_PAY",
        "time_expire": "2026-11-20 17:45:00",
    }


def test_the_request_signature_covers_every_parameter_sorted(keys):
    params = query_params(gateway(keys).create(trade(), channel="page").url)
    signature = params.pop("sign")
    content = "&".join(f"{k}={params[k]}" for k in sorted(params))

    assert rsa2.verify(keys.app.public_key(), content, signature)
    params["subject"] = "x"  # any parameter more (or changed) breaks it
    assert not rsa2.verify(keys.app.public_key(), rsa2.request_content(params), signature)


def test_wap_pay_uses_the_mobile_product(keys):
    params = query_params(gateway(keys).create(trade(), channel="wap").url)

    assert params["method"] == "alipay.trade.wap.pay"
    assert json.loads(params["biz_content"])["product_code"] == "QUICK_WAP_WAY"


def test_amounts_are_exact_yuan_strings(keys):
    params = query_params(gateway(keys).create(trade(amount_fen=100_001), channel="page").url)

    assert json.loads(params["biz_content"])["total_amount"] == "1000.01"


# --- server calls ----------------------------------------------------------------------------


def test_precreate_posts_a_signed_form_and_returns_the_qr_code(keys):
    fake = FakeAlipay(
        keys.alipay, {"code": "10000", "msg": "Success", "qr_code": "https://qr.alipay.com/x1"}
    )

    start = gateway(keys, fake).create(trade(), channel="qr")

    assert start.qr_code == "https://qr.alipay.com/x1"
    url, form = fake.calls[0]
    assert url == GATEWAY_URL
    assert form["method"] == "alipay.trade.precreate"
    assert form["notify_url"] == "https://mall.example.com/payments/alipay/notify"
    assert rsa2.verify(keys.app.public_key(), rsa2.request_content(form), form["sign"])
    assert fake.biz["total_amount"] == "129.00"


def test_query_reads_the_verified_answer(keys):
    fake = FakeAlipay(
        keys.alipay,
        {
            "code": "10000",
            "msg": "Success",
            "out_trade_no": trade().out_trade_no,
            "trade_no": "2026112022001400000000000009",
            "trade_status": "TRADE_SUCCESS",
            "total_amount": "129.00",
        },
    )

    state = gateway(keys, fake).query(trade())

    assert state.paid
    assert (state.trade_no, state.total_fen) == ("2026112022001400000000000009", 12_900)
    assert fake.calls[0][1]["method"] == "alipay.trade.query"
    assert fake.biz == {"out_trade_no": trade().out_trade_no}


def test_an_answer_signed_by_anyone_else_is_not_believed(keys):
    fake = FakeAlipay(keys.stranger, {"code": "10000", "trade_status": "TRADE_SUCCESS"})

    with pytest.raises(GatewayError) as raised:
        gateway(keys, fake).query(trade())

    assert raised.value.code == "bad_signature"
    assert raised.value.retryable


def test_an_unsigned_answer_is_not_believed(keys):
    raw = '{"alipay_trade_query_response":{"code":"10000","trade_status":"TRADE_SUCCESS"}}'

    with pytest.raises(GatewayError, match="signature"):
        gateway(keys, FakeAlipay(keys.alipay, raw=raw)).query(trade())


def test_the_answer_signature_is_over_the_raw_text_as_sent(keys):
    # Spacing, escapes and braces inside strings as Alipay sent them: re-encoding would
    # change the text and the signature would fail.
    text = (
        '{ "code" : "10000", "msg":"Success", "subject":"灯 {\\"A\\"} \\/ b",'
        ' "trade_status":"WAIT_BUYER_PAY", "out_trade_no":"o1", "total_amount":"1.00" }'
    )
    raw = (
        '{"alipay_trade_query_response" : '
        + text
        + ' ,\n "sign":"'
        + rsa2.sign(keys.alipay, text)
        + '"}'
    )

    state = gateway(keys, FakeAlipay(keys.alipay, raw=raw)).query(trade())

    assert (state.status, state.total_fen) == ("WAIT_BUYER_PAY", 100)
    assert response_members(raw)["alipay_trade_query_response"][1] == text


def test_an_unreadable_answer_is_a_retryable_error(keys):
    with pytest.raises(GatewayError) as raised:
        gateway(keys, FakeAlipay(keys.alipay, raw="<html>502</html>")).query(trade())
    assert (raised.value.code, raised.value.retryable) == ("bad_response", True)


def test_a_network_failure_is_a_retryable_error(keys):
    fake = FakeAlipay(keys.alipay, error=TimeoutError("timed out"))

    with pytest.raises(GatewayError) as raised:
        gateway(keys, fake).refund(trade(), out_request_no="RF1", amount_fen=100, reason="r")

    assert (raised.value.code, raised.value.retryable) == ("network", True)


def test_query_of_a_trade_alipay_never_saw_says_so(keys):
    fake = FakeAlipay(
        keys.alipay,
        {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST"},
    )

    state = gateway(keys, fake).query(trade())

    assert (state.status, state.paid) == ("", False)


def test_refund_sends_its_request_number_and_amount(keys):
    fake = FakeAlipay(keys.alipay, {"code": "10000", "msg": "Success", "fund_change": "Y"})

    gateway(keys, fake).refund(
        trade(), out_request_no="RF20261120x", amount_fen=4_550, reason="尺寸不合适"
    )

    assert fake.calls[0][1]["method"] == "alipay.trade.refund"
    assert fake.biz == {
        "out_trade_no": trade().out_trade_no,
        "out_request_no": "RF20261120x",
        "refund_amount": "45.50",
        "refund_reason": "尺寸不合适",
    }


@pytest.mark.parametrize(
    ("code", "sub_code", "retryable"),
    [
        ("40004", "ACQ.TRADE_HAS_CLOSE", False),
        ("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", False),
        ("20000", "aop.ACQ.SYSTEM_ERROR", True),
        ("40004", "ACQ.SYSTEM_ERROR", True),
    ],
)
def test_gateway_error_codes_say_whether_to_retry(keys, code, sub_code, retryable):
    fake = FakeAlipay(keys.alipay, {"code": code, "msg": "Business Failed", "sub_code": sub_code})

    with pytest.raises(GatewayError) as raised:
        gateway(keys, fake).refund(trade(), out_request_no="RF1", amount_fen=100, reason="r")

    assert (raised.value.code, raised.value.sub_code) == (code, sub_code)
    assert raised.value.retryable is retryable


def test_an_error_response_is_read_when_the_method_response_is_missing(keys):
    body = {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-app-id"}
    text = json.dumps(body)
    raw = f'{{"error_response":{text},"sign":"{rsa2.sign(keys.alipay, text)}"}}'

    with pytest.raises(GatewayError) as raised:
        gateway(keys, FakeAlipay(keys.alipay, raw=raw)).close(trade())

    assert (raised.value.sub_code, raised.value.retryable) == ("isv.invalid-app-id", False)


def test_close_of_a_trade_alipay_never_saw_has_nothing_to_close(keys):
    fake = FakeAlipay(keys.alipay, {"code": "40004", "sub_code": "ACQ.TRADE_NOT_EXIST"})

    assert gateway(keys, fake).close(trade()) is False
    assert fake.calls[0][1]["method"] == "alipay.trade.close"


def test_close_of_an_open_trade_closes_it(keys):
    assert gateway(keys, FakeAlipay(keys.alipay)).close(trade()) is True


# --- configuration -------------------------------------------------------------------------


def test_alipay_without_keys_is_unavailable(settings):
    settings.ALIPAY_APP_ID = ""

    with pytest.raises(GatewayUnavailable):
        from_settings()


def test_keys_load_from_pem_or_the_bare_base64_alipay_hands_out(keys, alipay_configured):
    pem = rsa2.public_key_pem(keys.alipay.public_key()).decode()
    bare = "".join(line for line in pem.splitlines() if "-----" not in line)

    assert rsa2.load_public_key(bare).public_numbers() == keys.alipay.public_key().public_numbers()
    assert from_settings().app_id == "2021004100000001"
