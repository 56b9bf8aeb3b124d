"""GET /api/v1/payments/{id}: the buyer's own payment, its status and where to pay it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from designmall.core import clock
from designmall.payments.models import SandboxTrade
from designmall.payments.services import refund_create
from tests.api.conftest import ApiClient, assert_error, token_for
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(buyer) -> ApiClient:
    return ApiClient(Client(), token_for(buyer))


def test_the_buyer_reads_a_pending_payment_with_its_cashier_url(api, make_payment):
    payment = make_payment(amount_fen=129_900)

    response = api.get(f"/payments/{payment.public_id}")

    assert response.status_code == 200
    body = response.json()
    assert body["public_id"] == payment.public_id
    assert (body["status"], body["gateway"]) == ("pending", "sandbox")
    assert (body["amount_fen"], body["amount_display"]) == (129_900, "¥1,299.00")
    assert body["pay_url"] == f"http://testserver/payments/sandbox/{payment.out_trade_no}/"
    assert body["refunds"] == []


def test_a_paid_payment_has_no_pay_url_and_lists_its_refunds(client, api, make_payment):
    payment = make_payment(amount_fen=10_000)
    client.post(f"/payments/sandbox/{payment.out_trade_no}/pay")
    payment.refresh_from_db()
    refund = refund_create(payment=payment, amount_fen=2_500, reason="少寄一件")

    body = api.get(f"/payments/{payment.public_id}").json()

    assert (body["status"], body["pay_url"], body["refunded_fen"]) == ("paid", None, 2_500)
    assert [(r["public_id"], r["status"], r["amount_display"]) for r in body["refunds"]] == [
        (refund.public_id, "pending", "¥25.00")
    ]


def test_an_expired_payment_has_no_pay_url(api, make_payment):
    payment = make_payment()
    clock.advance(timedelta(minutes=16))

    assert api.get(f"/payments/{payment.public_id}").json()["pay_url"] is None


def test_another_buyers_payment_is_not_found(make_payment):
    payment = make_payment()
    stranger = ApiClient(Client(), token_for(make_user()))

    assert_error(stranger.get(f"/payments/{payment.public_id}"), 404, "payment_not_found")


def test_payments_need_a_login(make_payment):
    payment = make_payment()
    response = ApiClient(Client()).get(f"/payments/{payment.public_id}")

    assert_error(response, 401, "not_authenticated")


def test_a_qr_code_comes_from_the_gateway_precreate(api, make_payment):
    payment = make_payment()

    response = api.post(f"/payments/{payment.public_id}/qr")

    assert response.status_code == 200
    assert response.json()["qr_code"].endswith(f"/payments/sandbox/{payment.out_trade_no}/")
    assert SandboxTrade.objects.get().out_trade_no == payment.out_trade_no


def test_a_paid_payment_gives_no_qr_code(client, api, make_payment):
    payment = make_payment()
    client.post(f"/payments/sandbox/{payment.out_trade_no}/pay")

    assert_error(api.post(f"/payments/{payment.public_id}/qr"), 409, "payment_not_payable")


def test_the_payment_operations_are_in_the_openapi_document():
    paths = Client().get("/api/v1/openapi.json").json()["paths"]

    assert "/api/v1/payments/{public_id}" in paths
    assert "/api/v1/payments/{public_id}/qr" in paths
